"""The audit statistics against figures published outside the project (each source cited)."""

from __future__ import annotations

import math

import pytest
import rlacalc

from achyk.audit import comparison, polling, sampling
from achyk.errors import InputError


# Rivest's consistent_sampler, USAGE_EXAMPLES.md (examples 1 and 2) and the docstrings of
# consistent_sampler.py / test_consistent_sampler.py (github.com/ron-rivest/consistent_sampler).
@pytest.mark.parametrize(
    ("ids", "seed", "expected"),
    [
        (["a", "b", "c", "d"], "31", ["b", "a", "d", "c"]),
        (["a", "b", "c", "d"], "77", ["b", "d", "c", "a"]),
        (
            ["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"],
            "314159",
            ["B-2", "B-3", "A-3", "A-2", "B-1", "A-1"],
        ),
    ],
)
def test_consistent_sampler_published_orders(
    ids: list[str], seed: str, expected: list[str]
) -> None:
    assert sampling.draw(seed, ids, len(ids)) == expected
    assert sampling.draw(seed, ids, 3) == expected[:3]  # a smaller sample is a prefix


def test_consistent_sampler_with_replacement_published() -> None:
    # consistent_sampler.py, docstring of sampler(): take=8 with replacement, seed 314159.
    ids = ["A#2", "B#7", "C#1", "D#4"]
    drawn = sampling.draw("314159", ids, 8, with_replacement=True)
    assert drawn == ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]


def test_consistent_sampler_is_consistent_across_subsets() -> None:
    # Rivest (2018), section 1: the sample of a subset is the superset's sample restricted to it.
    seed = "01382438112797316654"
    whole = sampling.draw_range(seed, 200, 200)
    evens = sampling.draw(seed, range(0, 200, 2), 100)
    assert [i for i in whole if i % 2 == 0] == evens


def test_seed_must_be_dice_digits() -> None:
    sampling.check_seed("01382438112797316654")
    for bad in ["123", "0138243811279731665x", ""]:
        with pytest.raises(InputError):
            sampling.check_seed(bad)


# Lindeman, Stark, Yates, "BRAVO" (EVT/WOTE 2012), Table 1: ASN at a 10% risk limit for a
# two-candidate contest by margin (as also reproduced in rlacalc's doctests).
@pytest.mark.parametrize(("margin_pct", "asn"), [(20, 119), (4, 2902), (1, 46151)])
def test_bravo_asn_table_1(margin_pct: int, asn: int) -> None:
    ballots = 100_000
    winner = ballots * (100 + margin_pct) // 200
    contest = polling.Contest((winner, ballots - winner), ballots)
    assert polling.asn(contest, 0.10) == asn


def test_bravo_asn_agrees_with_rlacalc_over_a_range_of_margins() -> None:
    for margin_pct in range(1, 60, 3):
        ballots = 100_000
        winner = ballots * (100 + margin_pct) // 200
        mine = polling.asn(polling.Contest((winner, ballots - winner), ballots), 0.10)
        assert mine == rlacalc.findAsn(alpha=0.10, margin=margin_pct / 100)


def test_bravo_risk_colorado_2018() -> None:
    # Colorado 2018 ballot-polling audits quoted in rlacalc (Custer and Las Animas counties).
    assert polling.pair_risk(1410, 1132, 170, 135) == pytest.approx(0.1342382069344729, rel=1e-12)
    assert polling.pair_risk(2894, 1695, 45, 32) == pytest.approx(0.47002027242290234, rel=1e-12)


def test_bravo_multi_candidate_takes_the_closest_pair() -> None:
    wide = polling.asn(polling.Contest((60_000, 10_000), 100_000), 0.05)
    close = polling.asn(polling.Contest((60_000, 40_000), 100_000), 0.05)
    assert polling.asn(polling.Contest((60_000, 40_000, 10_000), 110_000), 0.05) > close > wide


def test_bravo_refuses_unordered_or_tied_votes() -> None:
    for votes in [(10, 20), (10, 10), (5,)]:
        with pytest.raises(InputError):
            polling.Contest(votes, 100)


# Stark, "Super-Simple Simultaneous Single-Ballot Risk-Limiting Audits" (EVT/WOTE 2010), and
# Lindeman & Stark, "A Gentle Introduction to Risk-Limiting Audits" (2012) p. 5: with γ = 1.03905
# and α = 10%, 24 ballots for a 20% diluted margin, 48 for 10%, 96 for 5%, 2393 for 0.2%; 123
# for 5% after one 1-vote overstatement; ρ = 6.58 for λ = 0.2 (super-simple p. 4).
@pytest.mark.parametrize(("margin", "n"), [(0.20, 24), (0.10, 48), (0.05, 96), (0.002, 2393)])
def test_super_simple_first_round(margin: float, n: int) -> None:
    assert comparison.sample_size(margin, 0.10) == n


def test_super_simple_with_discrepancies_and_rho() -> None:
    assert comparison.sample_size(0.05, 0.10, found=comparison.Discrepancies(o1=1)) == 123
    assert comparison.rho(0.10, lam=0.2) == pytest.approx(6.5796, abs=1e-4)
    assert math.ceil(comparison.rho(0.10) / 0.10) == 48  # n = ⌈ρ/μ⌉, λ = 0


def test_kaplan_markov_new_hampshire_2016() -> None:
    # Stark, Statistics 157 (UC Berkeley, fall 2017) audit notebook, New Hampshire 2016:
    # Clinton 354,040, Trump 337,589, other ballots 33,234; 200 ballots audited with one
    # 1-vote overstatement: P = 0.2144 (also rlacalc's KM_P_value doctest).
    margin = comparison.diluted_margin(354_040, 337_589, 354_040 + 337_589 + 33_234)
    p = comparison.p_value(200, margin, found=comparison.Discrepancies(o1=1))
    assert p == pytest.approx(0.21438135077031842, rel=1e-12)


def test_comparison_agrees_with_rlacalc() -> None:
    for margin in [0.003, 0.01, 0.07, 0.3]:
        for o1, o2 in [(0, 0), (2, 0), (1, 1)]:
            found = comparison.Discrepancies(o1=o1, o2=o2)
            assert comparison.sample_size(margin, 0.05, found=found) == rlacalc.nmin(
                alpha=0.05, margin=margin, o1=o1, o2=o2
            )
