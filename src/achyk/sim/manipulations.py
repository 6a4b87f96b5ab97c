"""Honest elections and planted manipulations as station tables, for the forensics tests, the
benchmark and the generator.

The honest model is the binomial null of Kobak et al. (2016): each station has a true turnout and a
true leader's share, drawn normal around the election's values, and its counts are binomial draws.
The manipulations are the three the issue names: ballot stuffing (extra ballots, all for the leader),
rounding to target percentages (the commission writes whole-percent turnout and share), and vote
stealing (the others' votes moved to the leader, turnout unchanged). Each returns the new table and
the ids of the stations it touched.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from achyk.forensics.stations import BoolArray, IntArray, Stations


def honest(
    n: int,
    seed: int,
    turnout: float = 0.55,
    turnout_sd: float = 0.08,
    share: float = 0.45,
    share_sd: float = 0.07,
    mean_voters: float = 1500.0,
    strata: tuple[str, ...] = (),
) -> Stations:
    rng = np.random.default_rng(seed)
    voters = np.maximum(100, rng.lognormal(np.log(mean_voters), 0.45, n)).astype(np.int64)
    p = np.clip(rng.normal(turnout, turnout_sd, n), 0.02, 0.97)
    issued = rng.binomial(voters, p)
    q = np.clip(rng.normal(share, share_sd, n), 0.02, 0.97)
    leader = rng.binomial(np.maximum(issued, 0), q)
    ids = tuple(str(10_000 + i) for i in range(n))
    labels = tuple(strata[i % len(strata)] for i in range(n)) if strata else ()
    return Stations(ids, voters, issued, issued.copy(), leader, labels)


def _pick(s: Stations, fraction: float, rng: np.random.Generator) -> BoolArray:
    chosen = np.zeros(len(s), dtype=bool)
    k = round(fraction * len(s))
    chosen[rng.choice(len(s), size=k, replace=False)] = True
    return chosen


def _touched(s: Stations, mask: BoolArray) -> tuple[str, ...]:
    return tuple(s.ids[i] for i in np.flatnonzero(mask))


def stuffing(
    s: Stations,
    fraction: float,
    seed: int,
    low: float = 0.6,
    high: float = 0.95,
    steal: float = 0.0,
) -> tuple[Stations, tuple[str, ...]]:
    """Fill a share `x ~ U(low, high)` of the non-voters' ballots for the leader at `fraction` of
    the stations: turnout and share rise together (the comet's tail toward 100 %, 100 %). With
    `steal` > 0 the same stations also move that share of the others' votes to the leader — the
    "extreme fraud" of Klimek et al. 2012 and the demo's stuffed station."""
    rng = np.random.default_rng(seed)
    mask = _pick(s, fraction, rng)
    x = rng.uniform(low, high, len(s))
    extra = np.where(mask, np.floor(x * (s.voters - s.issued)), 0).astype(np.int64)
    moved = np.where(mask, np.floor(steal * (s.received - s.leader)), 0).astype(np.int64)
    out = replace(
        s, issued=s.issued + extra, received=s.received + extra, leader=s.leader + extra + moved
    )
    return out, _touched(s, mask)


def _round_to(k_target_pct: IntArray, n: IntArray) -> IntArray:
    return np.asarray(np.rint(k_target_pct * n / 100), dtype=np.int64)


def rounding(
    s: Stations, fraction: float, seed: int, step: int = 1
) -> tuple[Stations, tuple[str, ...]]:
    """Report turnout and share raised to the next multiple of `step` percent at `fraction` of the
    stations (the extra ballots, and votes taken from the others, go to the leader)."""
    rng = np.random.default_rng(seed)
    mask = _pick(s, fraction, rng) & (s.voters > 0) & (s.received > 0)
    t_target = np.minimum(99, step * np.ceil(s.turnout() / step + 1e-9)).astype(np.int64)
    issued = np.where(mask, np.maximum(s.issued, _round_to(t_target, s.voters)), s.issued)
    added = issued - s.issued
    received = s.received + added
    with np.errstate(divide="ignore", invalid="ignore"):
        share_now = np.where(received > 0, 100 * (s.leader + added) / np.maximum(received, 1), 0)
    v_target = np.minimum(99, step * np.ceil(share_now / step + 1e-9)).astype(np.int64)
    leader = np.where(
        mask, np.maximum(s.leader + added, _round_to(v_target, received)), s.leader
    ).astype(np.int64)
    leader = np.minimum(leader, received)
    out = replace(s, issued=issued.astype(np.int64), received=received, leader=leader)
    return out, _touched(s, mask)


def stealing(
    s: Stations, fraction: float, seed: int, low: float = 0.2, high: float = 0.6
) -> tuple[Stations, tuple[str, ...]]:
    """Move a share y ~ U(low, high) of the other parties' votes to the leader: share rises,
    turnout does not move."""
    rng = np.random.default_rng(seed)
    mask = _pick(s, fraction, rng)
    y = rng.uniform(low, high, len(s))
    moved = np.where(mask, np.floor(y * (s.received - s.leader)), 0).astype(np.int64)
    return replace(s, leader=s.leader + moved), _touched(s, mask)
