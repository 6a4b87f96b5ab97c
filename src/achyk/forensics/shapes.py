"""The shapes of a result: turnout and share histograms, the comet, the 2-D fingerprint.

Histograms are weighted by voters (Kobak et al. 2016 plot the number of voters per 0.1 % bin, so a
big station weighs what its voters weigh); the fingerprint counts stations, as Klimek et al. (2012)
do, in bins of turnout × the leader's share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from achyk.forensics.stations import BoolArray, FloatArray, Stations


@dataclass(frozen=True, eq=False)
class Histogram:
    edges: FloatArray  # bin edges in percent
    weights: FloatArray  # voters per bin


@dataclass(frozen=True, eq=False)
class Fingerprint:
    turnout_edges: FloatArray
    share_edges: FloatArray
    counts: FloatArray  # [turnout bin, share bin] → stations


def usable(s: Stations) -> BoolArray:
    """Stations with a register and ballots found: the ones whose turnout and share exist."""
    return (s.voters > 0) & (s.received > 0) & (s.issued <= s.voters) & (s.leader <= s.received)


def histograms(s: Stations, bin_: float = 0.1) -> tuple[Histogram, Histogram]:
    """(turnout, share) histograms over [0, 100] % in bins of `bin_` %, centred on the integers."""
    ok = usable(s)
    edges = np.arange(-bin_ / 2, 100 + bin_, bin_)
    w = s.voters[ok].astype(np.float64)
    t, _ = np.histogram(s.turnout()[ok], bins=edges, weights=w)
    v, _ = np.histogram(s.share()[ok], bins=edges, weights=w)
    return Histogram(edges, t), Histogram(edges, v)


def fingerprint(s: Stations, bins: int = 100) -> Fingerprint:
    ok = usable(s)
    edges = np.linspace(0.0, 100.0, bins + 1)
    counts, _, _ = np.histogram2d(s.turnout()[ok], s.share()[ok], bins=(edges, edges))
    return Fingerprint(edges, edges, counts)


def comet(s: Stations) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(turnout, share, voters) of the usable stations: the comet plot's points, area ∝ voters."""
    ok = usable(s)
    return s.turnout()[ok], s.share()[ok], s.voters[ok].astype(np.float64)
