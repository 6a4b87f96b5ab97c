"""Batch comparison with the station as the batch, measured by ALPHA (Stark 2022).

Every station has a signed count (the reported batch); an audit board hand-counts the paper of
sampled stations (the actual batch). For an assertion Σ g > 0 (:mod:`.assertions`) with reported
batch sums G_p and actual sums G'_p, the outcome is right iff Σ_p (G_p − G'_p) < G, G = Σ_p G_p.

Stations are sampled uniformly without replacement (Rivest's consistent sampler). With P stations,
e_p = G_p − G'_p the batch's overstatement, and E the largest |e| any batch could have,
E = max_p max(G_p + L·n_p, U·n_p − G_p) (L = −least g, U = greatest g, n_p the ballots found in
p by its signed count — the ballot manifest), the assertion is true iff the mean over stations of

    x_p = (1 − e_p/E) / (2·(1 − a)),   a = G/(P·E)   (the batch-level diluted margin)

is above 1/2, and 0 ≤ x_p ≤ u = 1/(1 − a) (SHANGRLA's overstatement assorter, Stark 2020,
written for batches drawn with equal probability). A hand count that finds more ballots than the
manifest can push x below 0; it is then taken as 0, the worst a batch can be.

**ALPHA** (Stark, "ALPHA: Audit that Learns from Previously Hand-Audited Ballots", 2022, section
2.2, sampling without replacement) tests H₀: mean ≤ 1/2. For the j-th station drawn (j = 1, 2, …):

    μ_j = (P/2 − Σ_{i<j} x_i) / (P − j + 1)
    η_j = min(u·(1 − 10⁻⁹), max(μ_j + c/√(d + j − 1), (d·η₀ + Σ_{i<j} x_i)/(d + j − 1)))
    T_j = T_{j−1} · ( x_j·(η_j − μ_j) / (μ_j·(u − μ_j)) + (u − η_j)/(u − μ_j) ),  T_0 = 1

with η₀ = x for an error-free batch, d = 100, c = (η₀ − 1/2)/2 (the truncated shrinkage estimator
of ALPHA section 2.5). If μ_j < 0 the null is impossible (T = ∞); if μ_j ≥ u it cannot be
rejected (the factor is 1). The measured risk is min(1, 1/max_{j≤n} T_j) (Ville's inequality:
ALPHA is a test supermartingale, so this holds at any stopping time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from achyk.audit.assertions import Assertion
from achyk.errors import InputError, Problem

D = 100
SUBJECT = "batch comparison audit"


@dataclass(frozen=True)
class Batch:
    """One station's counts for one contest."""

    id: str
    region: str
    votes: Mapping[str, int]
    invalid: int

    @property
    def ballots(self) -> int:
        return sum(self.votes.values()) + self.invalid


def batch_g(assertion: Assertion, batch: Batch) -> Fraction:
    if assertion.region is not None and batch.region != assertion.region:
        return Fraction(0)
    return assertion.g(batch.votes, batch.invalid)


@dataclass(frozen=True)
class Scale:
    """What an assertion needs to turn batch overstatements into ALPHA's x values."""

    total: Fraction  # G, the reported Σ g
    ballots: int  # N, reported ballots in the population
    stations: int  # P
    e_max: Fraction  # E
    lower: Fraction  # L = −least g

    @property
    def margin(self) -> float:
        """The assorter's diluted margin G/(L·N) (SHANGRLA's v = 2·mean − 1)."""
        return float(self.total / (self.lower * self.ballots)) if self.ballots else 0.0

    @property
    def batch_margin(self) -> Fraction:
        return self.total / (self.stations * self.e_max)

    @property
    def upper(self) -> float:
        return float(1 / (1 - self.batch_margin))

    def x(self, overstatement: Fraction) -> float:
        value = (1 - overstatement / self.e_max) / (2 * (1 - self.batch_margin))
        return max(0.0, float(value))


def scale(assertion: Assertion, reported: Sequence[Batch]) -> Scale:
    low, high = assertion.bounds()
    lower = -low
    if lower <= 0:
        raise InputError(SUBJECT, [Problem(assertion.id, "no ballot can count against it")])
    sums = [batch_g(assertion, b) for b in reported]
    e_max = max(
        (
            max(g + lower * b.ballots, high * b.ballots - g)
            for g, b in zip(sums, reported, strict=True)
        ),
        default=Fraction(0),
    )
    if e_max <= 0:
        e_max = Fraction(1)
    return Scale(
        sum(sums, Fraction(0)), sum(b.ballots for b in reported), len(reported), e_max, lower
    )


@dataclass(frozen=True)
class AlphaState:
    """ALPHA after j draws: enough to go on, and the largest T seen."""

    draws: int = 0
    total: float = 0.0  # Σ x
    log_t: float = 0.0
    max_log_t: float = 0.0

    @property
    def risk(self) -> float:
        return min(1.0, math.exp(-self.max_log_t))


def alpha_step(
    state: AlphaState, x: float, population: int, upper: float, eta0: float
) -> AlphaState:
    j = state.draws + 1
    if j > population:
        raise InputError(SUBJECT, [Problem("sample", "more draws than stations")])
    mu = (population / 2 - state.total) / (population - j + 1)
    log_t = state.log_t
    if mu < 0:
        log_t = math.inf
    elif mu < upper and math.isfinite(log_t):
        c = (eta0 - 0.5) / 2
        shrunk = (D * eta0 + state.total) / (D + j - 1)
        eta = min(upper * (1 - 1e-9), max(mu + c / math.sqrt(D + j - 1), shrunk))
        if mu == 0:
            log_t = math.inf if x > 0 else log_t + math.log((upper - eta) / upper)
        else:
            factor = x * (eta - mu) / (mu * (upper - mu)) + (upper - eta) / (upper - mu)
            log_t = log_t + math.log(factor) if factor > 0 else -math.inf
    return AlphaState(j, state.total + x, log_t, max(state.max_log_t, log_t))


def eta0_for(sc: Scale) -> float:
    return sc.x(Fraction(0))


def measure(sc: Scale, xs: Sequence[float]) -> AlphaState:
    """ALPHA over the x values of the stations in draw order."""
    state = AlphaState()
    eta0 = eta0_for(sc)
    for x in xs:
        state = alpha_step(state, x, sc.stations, sc.upper, eta0)
    return state


def expected_stations(sc: Scale, alpha: float) -> int:
    """Stations to hand-count before the risk falls to α when every batch matches its count.

    Deterministic (every x is the error-free value); P when α cannot be met short of a full count.
    """
    if sc.total <= 0:
        return sc.stations
    eta0 = eta0_for(sc)
    state = AlphaState()
    while state.draws < sc.stations:
        state = alpha_step(state, eta0, sc.stations, sc.upper, eta0)
        if state.risk <= alpha:
            return state.draws
    return sc.stations
