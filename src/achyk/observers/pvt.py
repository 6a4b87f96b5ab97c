"""The parallel vote tabulation (quick count): how many stations to sample, and the share with its
margin of error from the observers' counts at the sampled stations.

Sample size after NDI, "The Quick Count and Election Observation" (Estok, Nevitte, Cowan, 2002),
chapter 5: n = p(1−p) / (e²/z² + p(1−p)/N) voters, p = 0.5 the most heterogeneous population,
then n / (voters per station) stations. The estimate is the ratio estimator of a stratified cluster
sample (stations are clusters of voters): R = Σ_h N_h ȳ_h / Σ_h N_h x̄_h, with the linearised
variance V(R) = Σ_h N_h² (1 − f_h) s²_dh / n_h / X̂², d = y − R·x (Cochran, "Sampling Techniques",
3rd ed., 1977, §6.11 — the combined ratio estimate); the margin is z·√V.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from achyk.observers.model import ObserverError

# NDI's handbook uses 1.96 and 2.58 (not 2.576): the figures it prints are reproduced with these.
Z = {95: 1.96, 99: 2.58}


def z_value(confidence: int) -> float:
    try:
        return Z[confidence]
    except KeyError:
        raise ObserverError("confidence: 95 or 99 (per cent)") from None


def sample_voters(population: int, margin: float, confidence: int = 99, p: float = 0.5) -> int:
    """Voters to sample for a margin `margin` (a fraction: 0.0032 for ±0.32 points)."""
    if population <= 0 or not 0 < margin < 1 or not 0 < p < 1:
        raise ObserverError("a population of voters ≥ 1 and a margin between 0 and 1")
    z = z_value(confidence)
    return math.ceil(p * (1 - p) / (margin**2 / z**2 + p * (1 - p) / population))


def sample_stations(voters: int, per_station: int) -> int:
    if per_station <= 0:
        raise ObserverError("voters per station: at least 1")
    return math.ceil(voters / per_station)


def margin_of_error(n: int, confidence: int, p: float = 0.5) -> float:
    """The margin (a fraction) of a simple random sample of n units: z·√(p(1−p)/n)."""
    return z_value(confidence) * math.sqrt(p * (1 - p) / n)


@dataclass(frozen=True)
class Estimate:
    share: float  # a fraction
    moe: float  # a fraction, at the confidence asked
    confidence: int
    stations: int  # sampled stations that reported

    def covers(self, official: float) -> bool:
        return abs(official - self.share) <= self.moe


Cluster = tuple[float, float]  # (votes of interest, their denominator) at one station


def ratio_estimate(
    strata: Mapping[str, tuple[int | None, Sequence[Cluster]]],
    confidence: int = 95,
    population_total: float | None = None,
) -> Estimate:
    """`strata`: stratum → (its number of stations or None if unknown, the sampled clusters).

    With a stratum's size unknown (one stratum, as `achyk pvt estimate` reads it) the finite
    population correction is taken from `population_total`, the denominator's total: f = Σx / X.
    """
    z = z_value(confidence)
    used = {h: (size, list(c)) for h, (size, c) in strata.items() if c}
    if not used:
        raise ObserverError("no sampled station has reported")
    weight = {h: (size / len(c) if size else 1.0) for h, (size, c) in used.items()}
    y_hat = sum(weight[h] * sum(y for y, _ in c) for h, (_, c) in used.items())
    x_hat = sum(weight[h] * sum(x for _, x in c) for h, (_, c) in used.items())
    if x_hat <= 0:
        raise ObserverError("the sampled denominators sum to zero")
    r = y_hat / x_hat
    residuals = {h: [y - r * x for y, x in c] for h, (_, c) in used.items()}
    pooled = _s2([d for ds in residuals.values() for d in ds])
    variance = 0.0
    for h, (size, c) in used.items():
        n = len(c)
        # One station says nothing about its stratum's spread: it borrows the pooled one (the
        # usual remedy short of collapsing strata) rather than counting as certain.
        s2 = _s2(residuals[h]) if n >= 2 else pooled
        if size:
            f = n / size
            variance += size * size * (1 - f) * s2 / n
        else:
            f = sum(x for _, x in c) / population_total if population_total else 0.0
            variance += n * n * (1 - min(f, 1.0)) * s2 / n
    moe = z * math.sqrt(variance) / x_hat
    return Estimate(r, moe, confidence, sum(len(c) for _, c in used.values()))


def _s2(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1)
