"""Batch comparison with the station as the batch, measured by ALPHA (Stark 2022).

Every station has a signed count (the reported batch); an audit board hand-counts the paper of
sampled stations (the actual batch). For an assertion Σ g > 0 (:mod:`.assertions`) with reported
batch sums G_p and actual sums G'_p, the outcome is right iff Σ_p (G_p − G'_p) < G, G = Σ_p G_p.

Stations are sampled uniformly without replacement (Rivest's consistent sampler). The remote-voting
unit has no paper: it counts in G but is not one of the P stations (its e is 0). With P stations,
e_p = G_p − G'_p the batch's overstatement, L = −(least g of a ballot), n_p the ballots found in
p by its signed count (the ballot manifest) and E = max_p (G_p + L·n_p) the largest overstatement
any batch could have (all its ballots turned into the assertion's worst ballot), the assertion is
true iff the mean over the P stations of

    x_p = (1 − e_p/E) / (2·(1 − a)),   a = G/(P·E)   (the batch-level diluted margin)

is above 1/2, and x_p ≥ 0 (SHANGRLA's overstatement assorter, Stark 2020, for batches drawn with
equal probability; understatements make x larger, which is harmless). A hand count that finds
more ballots than the manifest can push x below 0; it is then taken as 0, the worst a batch can be.

**The test** is ALPHA (Stark, "ALPHA: Audit that Learns from Previously Hand-Audited Ballots",
2022, section 2.2, sampling without replacement) in its betting form: for the j-th station drawn,

    μ_j = (P/2 − Σ_{i<j} x_i) / (P − j + 1)          (the null mean of what is left)
    T_j = T_{j−1} · (1 + λ·(x_j/μ_j − 1)),   T_0 = 1,   λ = 0.9

(ALPHA's η_j = μ_j + λ·(u − μ_j); λ < 1 keeps one bad station from zeroing T). If μ_j < 0 the
null is impossible (T = ∞); if μ_j = 0, T = ∞ when x_j > 0, else unchanged. The measured risk is
min(1, 1/max_{j≤n} T_j): T is a test supermartingale under the null, so by Ville's inequality this
holds at any stopping time, round by round. Once every station is counted the assertion is known:
risk 0 if Σ x > P/2, else 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from achyk.audit.assertions import Assertion, integer_form
from achyk.errors import InputError, Problem

LAMBDA = 0.9  # the bet: the fraction of the way from μ to the upper bound ALPHA's η goes
SUBJECT = "batch comparison audit"


@dataclass(frozen=True)
class Batch:
    """One station's counts for one contest."""

    id: str
    region: str
    votes: Mapping[str, int]
    invalid: int
    paper: bool = True  # False for the remote-voting unit: counted in totals, never sampled

    @property
    def ballots(self) -> int:
        return sum(self.votes.values()) + self.invalid


def batch_g(assertion: Assertion, batch: Batch) -> Fraction:
    """Σ g over the batch's ballots."""
    return Fraction(batch_gi(assertion, batch), integer_form(assertion)[0])


def batch_gi(assertion: Assertion, batch: Batch) -> int:
    """Σ g over the batch's ballots, times the assertion's common denominator (exact, fast)."""
    if assertion.region is not None and batch.region != assertion.region:
        return 0
    _, listed, other, inv = integer_form(assertion)
    total = inv * batch.invalid
    for option, n in batch.votes.items():
        total += listed.get(option, other) * n
    return total


@dataclass(frozen=True)
class Scale:
    """What an assertion needs to turn batch overstatements into ALPHA's x values.

    Sums are integers: g times the assertion's common denominator ``unit``.
    """

    total_i: int  # G·unit, the reported Σ g
    ballots: int  # N, reported ballots in the population
    stations: int  # P
    e_max_i: int  # E·unit
    lower_i: int  # L·unit, L = −least g
    unit: int = 1

    @property
    def total(self) -> Fraction:
        return Fraction(self.total_i, self.unit)

    @property
    def margin(self) -> float:
        """The assorter's diluted margin G/(L·N) (SHANGRLA's v = 2·mean − 1)."""
        return self.total_i / (self.lower_i * self.ballots) if self.ballots else 0.0

    @property
    def batch_margin(self) -> Fraction:
        return Fraction(self.total_i, self.stations * self.e_max_i)

    def x(self, overstatement_i: int) -> float:
        """(1 − e/E) / (2·(1 − a)) = (E − e)·P / (2·(P·E − G)), at least 0; e in units."""
        p, e_max = self.stations, self.e_max_i
        value = ((e_max - overstatement_i) * p) / (2 * (p * e_max - self.total_i))
        return max(0.0, value)


def scale(assertion: Assertion, reported: Sequence[Batch]) -> Scale:
    low, _ = assertion.bounds()
    unit = integer_form(assertion)[0]
    lower_i = int(-low * unit)
    if lower_i <= 0:
        raise InputError(SUBJECT, [Problem(assertion.id, "no ballot can count against it")])
    sums = [batch_gi(assertion, b) for b in reported]
    paper = [(g, b) for g, b in zip(sums, reported, strict=True) if b.paper]
    e_max = max((g + lower_i * b.ballots for g, b in paper), default=0)
    if e_max <= 0:
        e_max = unit
    return Scale(sum(sums), sum(b.ballots for b in reported), len(paper), e_max, lower_i, unit)


@dataclass(frozen=True)
class AlphaState:
    """ALPHA after j draws: enough to go on, and the largest T seen."""

    draws: int = 0
    total: float = 0.0  # Σ x
    log_t: float = 0.0
    max_log_t: float = 0.0
    refuted: bool = False  # every station counted and the assertion is false

    @property
    def risk(self) -> float:
        return 1.0 if self.refuted else min(1.0, math.exp(-self.max_log_t))


def alpha_step(state: AlphaState, x: float, population: int) -> AlphaState:
    j = state.draws + 1
    if j > population:
        raise InputError(SUBJECT, [Problem("sample", "more draws than stations")])
    mu = (population / 2 - state.total) / (population - j + 1)
    log_t = state.log_t
    if mu < 0 or (mu == 0 and x > 0):
        log_t = math.inf
    elif mu > 0 and math.isfinite(log_t):
        log_t += math.log(1 + LAMBDA * (x / mu - 1))
    total = state.total + x
    if j == population:  # every station counted: the assertion is known, true or false
        if total > population / 2:
            log_t = math.inf
        else:
            return AlphaState(j, total, log_t, state.max_log_t, refuted=True)
    return AlphaState(j, total, log_t, max(state.max_log_t, log_t))


def measure(sc: Scale, xs: Sequence[float]) -> AlphaState:
    """ALPHA over the x values of the stations in draw order."""
    state = AlphaState()
    for x in xs:
        state = alpha_step(state, x, sc.stations)
    return state


def expected_stations(sc: Scale, alpha: float) -> int:
    """Stations to hand-count before the risk falls to α when every batch matches its count.

    Deterministic (every x is the error-free value); P when α cannot be met short of a full count.
    """
    if sc.total <= 0:
        return sc.stations
    x0 = sc.x(0)
    state = AlphaState()
    while state.draws < sc.stations:
        state = alpha_step(state, x0, sc.stations)
        if state.risk <= alpha:
            return state.draws
    return sc.stations
