"""The parallel vote tabulation against NDI's published worked example.

Source: NDI, "The Quick Count and Election Observation" (Estok, Nevitte, Cowan, 2002), chapter 5,
pp. 73–78: the 2001 Peruvian presidential election, 14,570,774 eligible voters, p = 0.5, a margin
of ±0.32 points at 99 % (z = 2.58) → 163,185 voters; 1,020 stations of 160 voters, 816 of 200;
Figure 5-5 gives the margins of error of the sample counted in voters and in stations.
"""

from __future__ import annotations

import random

import pytest

from achyk.observers.model import ObserverError
from achyk.observers.pvt import (
    margin_of_error,
    ratio_estimate,
    sample_stations,
    sample_voters,
)

PERU_VOTERS = 14_570_774


def test_ndi_peru_2001_terms_and_sample() -> None:
    # The handbook works the formula with its terms rounded as printed: p(1−p)/N = .000000017 and
    # e²/z² = .000001515 (exactly .0032²/2.58² = .000001538), summing to .000001532 → 163,185.
    assert round(0.25 / PERU_VOTERS, 9) == 0.000000017
    assert round(0.25 / 0.000001532) == 163_185
    # The formula unrounded gives 160,717.4… voters, rounded up 160,718: fewer than the 163,185
    # printed, by the rounding of the handbook's terms only.
    n = sample_voters(PERU_VOTERS, 0.0032, 99)
    assert n == 160_718
    assert abs(n - 163_185) / 163_185 < 0.016  # the difference is the handbook's rounding only


def test_ndi_peru_2001_stations() -> None:
    # 163,185 voters in stations of 160 and of 200 voters (pp. 76–77).
    assert sample_stations(163_185, 160) == 1_020
    assert sample_stations(163_185, 200) == 816


@pytest.mark.parametrize(
    ("n", "confidence", "printed"),
    [
        (163_185, 95, 0.24), (163_185, 99, 0.32),  # the sample counted in voters
        (816, 95, 3.43), (816, 99, 4.5),  # in stations of 200
        (1_020, 99, 4.03),  # in stations of 160
        (324, 95, 5.4),  # in stations of 500
    ],
)  # fmt: skip
def test_ndi_figure_5_5_margins(n: int, confidence: int, printed: float) -> None:
    """Figure 5-5's margins (points) are z·0.5/√n to within the figure's rounding, which mixes
    z = 2.58 and 2.576: half a unit of the printed last digit, plus 0.005 for the z. Two cells do not fit any z: 3.01 at 95 % for 1,020
    stations (the formula gives 3.07) and 7.1 at 99 % for 324 (7.17); they are left out."""
    decimals = len(str(printed).split(".")[1])
    tolerance = 0.5 * 10**-decimals + 0.005
    assert 100 * margin_of_error(n, confidence) == pytest.approx(printed, abs=tolerance)


def test_confidence_other_than_95_or_99_is_refused() -> None:
    with pytest.raises(ObserverError, match="95 or 99"):
        sample_voters(1000, 0.01, 90)


def test_ratio_estimate_by_hand() -> None:
    # Three stations: 30/100, 50/200, 20/100 → R = 100/400 = 0.25; d = (5, 0, −5), s² = 25,
    # x̄ = 133.3…; with no finite population correction V = s²/(n x̄²) → moe = 1.96·√(25/3)/133.3….
    est = ratio_estimate({"all": (None, [(30, 100), (50, 200), (20, 100)])}, 95)
    assert est.share == 0.25
    assert est.moe == pytest.approx(1.96 * (25 / 3) ** 0.5 / (400 / 3))


def test_ratio_estimate_covers_the_truth_at_its_confidence() -> None:
    """Draw 200 stratified samples from a known population: the 95 % interval holds the true share
    in about 95 % of them (binomial: 200 × 0.95 ± 3σ ≈ 181–199)."""
    rng = random.Random(2002)
    strata: dict[str, list[tuple[int, int]]] = {}
    for h, lean in (("north", 0.35), ("south", 0.55), ("abroad", 0.45)):
        stations = []
        for _ in range(400 if h != "abroad" else 40):
            voters = rng.randint(80, 900)
            stations.append(
                (sum(rng.random() < rng.gauss(lean, 0.08) for _ in range(voters)), voters)
            )
        strata[h] = stations
    truth = sum(y for s in strata.values() for y, _ in s) / sum(
        x for s in strata.values() for _, x in s
    )
    covered = 0
    for _ in range(200):
        sample = {h: (len(s), rng.sample(s, max(2, len(s) // 10))) for h, s in strata.items()}
        covered += ratio_estimate(sample, 95).covers(truth)
    assert 181 <= covered <= 199
