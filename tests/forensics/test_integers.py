"""Integer-percentage peaks (Kobak, Shpilkin & Pshenichnikov 2016, Ann. Appl. Stat. 10(1):54–75)."""

from __future__ import annotations

import numpy as np
import pytest

from achyk.errors import InputError
from achyk.forensics.integers import included, integer_peaks, near_multiple
from achyk.forensics.stations import Stations
from achyk.sim.manipulations import honest, rounding, stealing


def test_integer_test_is_exact_at_the_bin_border() -> None:
    k = np.array([603, 1201, 1202, 1199, 1198, 30, 7])
    n = np.array([1005, 2000, 2000, 2000, 2000, 60, 7])
    # 60 %, 60.05 % (on the border: in), 60.1 % (out), 59.95 % (in), 59.9 % (out), 50 %, 100 %
    assert near_multiple(k, n, 0.1).tolist() == [True, True, False, True, False, True, True]
    # multiples of 5 %: 60, 60.05, 60.1, 59.95, 59.9, 50, 100
    assert near_multiple(k, n, 0.1, 5).tolist() == [True, True, False, True, False, True, True]
    assert near_multiple(np.array([620]), np.array([1000]), 0.1, 5).tolist() == [False]


def test_integer_test_agrees_with_floats_away_from_the_border() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(100, 5000, 20_000)
    k = rng.integers(0, n + 1)
    x = 100 * k / n
    distance = np.abs(x - np.rint(x))
    clear = np.abs(distance - 0.05) > 1e-6
    assert (near_multiple(k, n, 0.1)[clear] == (distance <= 0.05)[clear]).all()


def test_inclusion_rules_from_the_paper() -> None:
    s = Stations.of(
        ["ok", "small", "none", "t100", "v100"],
        voters=[1000, 99, 1000, 1000, 1000], issued=[600, 60, 0, 995, 600],
        received=[600, 60, 0, 995, 600], leader=[300, 30, 0, 500, 597],
    )  # fmt: skip
    assert included(s).tolist() == [True, False, False, False, False]


def test_a_smooth_null_puts_about_one_tenth_of_stations_in_integer_bins() -> None:
    # Bins of 0.1 % centred on the 100 integers cover a tenth of [0, 100] %: with smooth turnout and
    # share, about 10 % of stations are integer in each (the baseline argument of Kobak et al. 2016).
    r = integer_peaks(honest(4000, seed=11), replicates=100, seed=1)
    assert r.included == 4000
    assert r.expected_turnout == pytest.approx(400, rel=0.1)
    assert r.expected_share == pytest.approx(400, rel=0.1)
    assert r.expected_either == pytest.approx(4000 * (1 - 0.9**2), rel=0.1)


def test_honest_elections_are_not_flagged_beyond_the_stated_rate() -> None:
    # The test's stated false-positive rate is 0.1 % (observed above the null's 99.9th percentile).
    flagged = [
        integer_peaks(honest(2000, seed=100 + i), replicates=200, seed=i).significant
        for i in range(5)
    ]
    assert sum(flagged) == 0


def test_vote_stealing_alone_makes_no_integer_peak() -> None:
    s, touched = stealing(honest(3000, seed=5), 0.1, seed=6)
    assert len(touched) == 300
    assert not integer_peaks(s, replicates=300, seed=2).significant


def test_planted_rounding_is_found_and_measured() -> None:
    base = honest(5000, seed=21)
    s, touched = rounding(base, 0.04, seed=22)
    r = integer_peaks(s, replicates=300, seed=3)
    assert r.significant and r.p_value < 0.01
    # Each rounded station whose figures meet the definition adds one integer station (minus the
    # few that were integer anyway); the excess must account for them within the null's spread.
    t = s.select(np.isin(np.array(s.ids), touched))
    planted = int(
        (included(t) & (near_multiple(t.issued, t.voters, 0.1)
                        | near_multiple(t.leader, np.maximum(t.received, 1), 0.1))).sum()
    )  # fmt: skip
    assert planted > 150
    assert abs(r.excess - planted * 0.81) < 4 * np.sqrt(r.expected_either)
    # Rounding to multiples of 5 % shows in the round-number count as well.
    s5, _ = rounding(base, 0.04, seed=22, step=5)
    r5 = integer_peaks(s5, replicates=300, seed=3)
    assert r5.round5_either > r5.p999_round5


def test_results_are_reproducible_from_the_seed() -> None:
    s = honest(500, seed=1)
    assert integer_peaks(s, replicates=50, seed=9) == integer_peaks(s, replicates=50, seed=9)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InputError):
        integer_peaks(honest(10, seed=1), bin_=1.5)
    with pytest.raises(InputError):
        integer_peaks(honest(10, seed=1), replicates=0)
