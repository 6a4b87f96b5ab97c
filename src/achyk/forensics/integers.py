"""Integer-percentage peaks (Kobak, Shpilkin & Pshenichnikov 2016, Annals of Applied Statistics 10(1),
"Integer percentages as electoral falsification fingerprints").

A commission that writes down a target figure instead of a count tends to hit whole percentages of
turnout or of the leader's share. With thousands of voters per station such values are rare by
chance, and the binomial null tells how rare: each replicate redraws issued ~ Binomial(voters,
turnout) and leader ~ Binomial(received, share) at every station and counts the integer values again.

Definitions (as in issue 14 and the paper): turnout = 100·issued/voters, share = 100·leader/received;
a station counts when received > 0, voters ≥ 100, turnout ≤ 99 % and share ≤ 99 % (the 100 % pile is
not a rounding artefact but a different anomaly); a value is integer when it lies within bin/2 of a
whole percent. The test is made in exact integer arithmetic, so no float rounding decides a border.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from achyk.errors import InputError, Problem
from achyk.forensics.stations import BoolArray, Stations

AnyInts = npt.NDArray[Any]  # int64, or int32 in the replicate loop (dtype chosen at run time)

CHUNK_CELLS = 2_000_000  # replicate × station cells per chunk: ~60 MB per drawing thread
LEVEL = 99.9  # the percentile of the null reported beside the expectation


@dataclass(frozen=True)
class IntegerPeaks:
    bin: float
    replicates: int
    seed: int
    stations: int
    included: int
    integer_turnout: int
    integer_share: int
    integer_either: int
    expected_turnout: float
    expected_share: float
    expected_either: float
    excess: float  # integer_either − expected_either
    p999_either: float  # 99.9th percentile of the replicates' integer_either
    p_value: float  # (1 + replicates with at least the observed count) / (1 + replicates)
    round5_either: int  # stations with turnout or share within bin/2 of a multiple of 5 %
    expected_round5: float
    p999_round5: float

    @property
    def significant(self) -> bool:
        """More integer stations than 99.9 % of honest binomial replicates."""
        return self.integer_either > self.p999_either

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def included(s: Stations) -> BoolArray:
    """The stations the paper counts: a register of 100+, ballots found, turnout and share ≤ 99 %."""
    return (
        (s.received > 0)
        & (s.voters >= 100)
        & (100 * s.issued <= 99 * s.voters)
        & (100 * s.leader <= 99 * s.received)
    )


def near_multiple(k: AnyInts, n: AnyInts, bin_: float, step: int = 1) -> BoolArray:
    """Is 100·k/n within bin/2 of a multiple of `step` percent? Exact for integer arrays, n > 0.

    100k/n = step·(100k/step)/n, whose distance to the nearest multiple of `step` is
    step·min(r, n − r)/n with r = (100k/step) mod n — one remainder, no division by n in floats.
    """
    frac = Fraction(bin_).limit_denominator(10_000)
    p, q = frac.numerator, frac.denominator
    if 100 % step:
        raise InputError("integer peaks", [Problem("step", f"{step} does not divide 100")])
    r = ((100 // step) * k) % n
    return np.asarray(2 * q * step * np.minimum(r, n - r) <= p * n, dtype=bool)


def integer_values(s: Stations, bin_: float = 0.1) -> tuple[BoolArray, BoolArray]:
    """Per station: (turnout is integer, share is integer), False where the station is excluded."""
    inc = included(s)
    voters, received = np.maximum(s.voters, 1), np.maximum(s.received, 1)
    return (
        inc & near_multiple(s.issued, voters, bin_),
        inc & near_multiple(s.leader, received, bin_),
    )


def integer_peaks(
    s: Stations, bin_: float = 0.1, replicates: int = 1000, seed: int = 0
) -> IntegerPeaks:
    if not 0 < bin_ < 1:
        raise InputError("integer peaks", [Problem("bin", f"{bin_} is not between 0 and 1")])
    if replicates < 1:
        raise InputError("integer peaks", [Problem("replicates", f"{replicates} < 1")])
    inc = included(s)
    voters, issued = s.voters[inc], s.issued[inc]
    received, leader = s.received[inc], s.leader[inc]
    n = int(inc.sum())
    t_obs = near_multiple(issued, voters, bin_)
    v_obs = near_multiple(leader, received, bin_)
    r5_obs = near_multiple(issued, voters, bin_, 5) | near_multiple(leader, received, bin_, 5)
    t_rep = np.zeros(replicates, dtype=np.int64)
    v_rep = np.zeros(replicates, dtype=np.int64)
    e_rep = np.zeros(replicates, dtype=np.int64)
    r5_rep = np.zeros(replicates, dtype=np.int64)
    if n:
        p_turnout, p_share = issued / voters, leader / received
        # int32 arithmetic is several times faster; exact while 100·(ballots) fits in 31 bits.
        small = int(max(voters.max(), received.max())) < 2**31 // 100
        kind = np.int32 if small else np.int64
        voters_k, received_k = voters.astype(kind), received.astype(kind)
        rows = max(1, CHUNK_CELLS // n)
        starts = list(range(0, replicates, rows))
        # One generator per chunk, spawned from the seed: the result does not depend on how many
        # threads draw (numpy's samplers release the GIL, so the chunks run in parallel).
        seeds = np.random.SeedSequence(seed).spawn(len(starts))

        def chunk(i: int) -> None:
            start = starts[i]
            r = min(rows, replicates - start)
            rng = np.random.default_rng(seeds[i])
            k_t = rng.binomial(voters, p_turnout, size=(r, n)).astype(kind)
            k_v = rng.binomial(received, p_share, size=(r, n)).astype(kind)
            t = near_multiple(k_t, voters_k, bin_)
            v = near_multiple(k_v, received_k, bin_)
            t_rep[start : start + r] = t.sum(axis=1)
            v_rep[start : start + r] = v.sum(axis=1)
            e_rep[start : start + r] = (t | v).sum(axis=1)
            r5 = near_multiple(k_t, voters_k, bin_, 5) | near_multiple(k_v, received_k, bin_, 5)
            r5_rep[start : start + r] = r5.sum(axis=1)

        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            list(pool.map(chunk, range(len(starts))))  # chunks of replicates, never of stations
    either = int((t_obs | v_obs).sum())
    expected = float(e_rep.mean())
    return IntegerPeaks(
        bin=bin_, replicates=replicates, seed=seed, stations=len(s), included=n,
        integer_turnout=int(t_obs.sum()), integer_share=int(v_obs.sum()), integer_either=either,
        expected_turnout=float(t_rep.mean()), expected_share=float(v_rep.mean()),
        expected_either=expected, excess=either - expected,
        p999_either=float(np.percentile(e_rep, LEVEL)),
        p_value=float((1 + (e_rep >= either).sum()) / (1 + replicates)),
        round5_either=int(r5_obs.sum()), expected_round5=float(r5_rep.mean()),
        p999_round5=float(np.percentile(r5_rep, LEVEL)),
    )  # fmt: skip
