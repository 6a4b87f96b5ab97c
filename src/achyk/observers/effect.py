"""Observed versus unobserved stations: the observer effect, estimated with a confidence interval.

A mission's deployment plan is a seeded random draw committed to the log before election day
(`achyk.observers.deployment`), so which stations were observed is (up to the stratification) a
coin toss: the difference between the mean turnout of observed and unobserved stations estimates
what the observers' presence changed — Hyde's natural experiment ("The Observer Effect in
International Politics: Evidence from a Natural Experiment", World Politics 60(1), 2007, 37–63,
Armenia 2003: turnout lower by about 6 points where OSCE observers went). The estimate here is the
difference in means with Welch's t interval (unequal variances; `scipy.stats.ttest_ind` with
``equal_var=False``), for turnout and for the leading party's share of the valid votes.

A mission without a committed plan (party agents, who go where they choose) gets the same figures
but they are not an estimate of an effect: `random` is False and the page says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scipy import stats

from achyk.observers.model import ObserverError

METRICS = ("turnout", "leader_share")
CONFIDENCE = 0.95


@dataclass(frozen=True)
class StationFigures:
    """One station's figures from its official protocol, as fractions of 1."""

    station: str
    turnout: float  # ballots issued / voters on the list
    leader_share: float  # the overall leader's votes / valid votes


@dataclass(frozen=True)
class Difference:
    metric: str  # "turnout" or "leader_share"
    observed_mean: float
    unobserved_mean: float
    difference: float  # observed − unobserved, fraction of 1
    low: float  # the confidence interval of the difference
    high: float
    observed: int  # stations
    unobserved: int
    confidence: float

    @property
    def significant(self) -> bool:
        """The interval excludes zero: a difference the draw alone would rarely produce."""
        return self.low > 0 or self.high < 0

    def document(self) -> dict[str, float | int | str | bool]:
        return {"metric": self.metric, "observed_mean": self.observed_mean,
                "unobserved_mean": self.unobserved_mean, "difference": self.difference,
                "low": self.low, "high": self.high, "observed": self.observed,
                "unobserved": self.unobserved, "confidence": self.confidence,
                "significant": self.significant}  # fmt: skip


@dataclass(frozen=True)
class Effect:
    mission: str
    random: bool  # observed stations were drawn by a committed plan
    differences: tuple[Difference, ...]

    def document(self) -> dict[str, object]:
        return {"mission": self.mission, "random": self.random,
                "differences": [d.document() for d in self.differences]}  # fmt: skip


def difference_in_means(
    metric: str, observed: list[float], unobserved: list[float], confidence: float = CONFIDENCE
) -> Difference:
    """Welch's difference in means and its `confidence` interval; at least two stations a side."""
    if len(observed) < 2 or len(unobserved) < 2:
        raise ObserverError("the observer effect needs two observed and two unobserved stations")
    result = stats.ttest_ind(observed, unobserved, equal_var=False)
    mean_o, mean_u = sum(observed) / len(observed), sum(unobserved) / len(unobserved)
    low, high = result.confidence_interval(confidence)
    if math.isnan(low):  # no spread on either side: the difference is exact
        low = high = mean_o - mean_u
    return Difference(metric, mean_o, mean_u, mean_o - mean_u, float(low), float(high),
                      len(observed), len(unobserved), confidence)  # fmt: skip


def observer_effect(
    mission: str,
    observed: Iterable[str],
    figures: Mapping[str, StationFigures],
    random: bool,
    confidence: float = CONFIDENCE,
) -> Effect | None:
    """Observed (`observed` ∩ stations with figures) against every other station with figures;
    None when either side has fewer than two stations."""
    seen = set(observed) & set(figures)
    rest = [f for s, f in figures.items() if s not in seen]
    mine = [figures[s] for s in sorted(seen)]
    if len(mine) < 2 or len(rest) < 2:
        return None
    return Effect(mission, random, tuple(
        difference_in_means(m, [getattr(f, m) for f in mine], [getattr(f, m) for f in rest],
                            confidence)
        for m in METRICS
    ))  # fmt: skip


def station_figures(doc: Mapping[str, object], leader: str) -> StationFigures | None:
    """From a protocol document (the stored JSON): None where the list or the valid votes are 0."""
    voters, valid = doc.get("voters_on_list"), doc.get("valid")
    issued = doc.get("issued_in_station"), doc.get("issued_outside")
    votes = doc.get("votes")
    if not isinstance(voters, int) or not isinstance(valid, int) or not isinstance(votes, dict):
        return None
    if voters <= 0 or valid <= 0 or not all(isinstance(i, int) for i in issued):
        return None
    ballots = sum(i for i in issued if isinstance(i, int))
    return StationFigures(str(doc.get("station")), ballots / voters,
                          int(votes.get(leader, 0)) / valid)  # fmt: skip
