"""First rounds that complete with probability 80 % / 90 % (achyk.audit.completion).

Outside figures: Arlo's BRAVO tests (votingworks/arlo, server/tests/audit_math/test_bravo.py,
`test_bravo_sample_sizes`, `test_bravo_sample_sizes_small_prob`, `true_sample_sizes`; AGPL code,
only its published numbers are used here) and rlacalc's Kaplan–Markov expected sample size
(rlacalc 0.4, `KM_Expected_sample_size`, from Stark's S157F17 audit notebook).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import rlacalc

from achyk.audit import comparison, completion, polling
from achyk.audit.batch import measure
from achyk.audit.completion import ErrorRates, _stopping_draws
from achyk.audit.party_list import plan

from .test_simulation import CONTEST, _true_batches


# Arlo's bravo_sample_sizes(α = 10 %, p_w, p_r, p_completion): shares of all ballots. Arlo searches
# n its own way; the completion probability is a sawtooth in n, so the two first crossings can
# differ by a tooth: tolerance 0.5 %.
@pytest.mark.parametrize(
    ("p_w", "p_r", "q", "arlo"),
    [
        (0.40, 0.32, 0.9, 1599),
        (0.40, 0.32, 0.4, 409),
        (0.36, 0.32, 0.9, 6067),
        (0.36, 0.32, 0.6, 2476),
        (0.52, 0.47, 0.9, 5657),
    ],
)
def test_bravo_first_round_sizes_match_arlo(p_w: float, p_r: float, q: float, arlo: int) -> None:
    ballots = 1_000_000
    n = completion.bravo_pair_size(round(p_w * ballots), round(p_r * ballots), ballots, 0.1, q)
    assert n == pytest.approx(arlo, rel=0.005)
    # and it is the first crossing: one ballot fewer falls short
    p = completion.bravo_pair_probability
    assert p(n, round(p_w * ballots), round(p_r * ballots), ballots, 0.1) >= q
    assert p(n - 1, round(p_w * ballots), round(p_r * ballots), ballots, 0.1) < q


def test_bravo_arlo_contest_with_a_small_third_candidate() -> None:
    # Arlo's true_sample_sizes["test_small_third_candidate"]: 10000 / 9000 / 200 of 20000 ballots.
    contest = polling.Contest((10000, 9000, 200), 20000)
    assert completion.bravo_size(contest, 0.1, 0.8) == pytest.approx(3760, rel=0.005)
    assert completion.bravo_size(contest, 0.1, 0.9) == pytest.approx(5426, rel=0.005)


def test_bravo_completes_about_half_the_time_at_the_asn() -> None:
    # Arlo's test_bravo_expected_prob: a 60/40 contest at its ASN of 119 completes with 0.52
    # (Arlo's finite 1000-ballot population; ours samples with replacement: 0.495).
    p = completion.bravo_pair_probability(119, 60_000, 40_000, 100_000, 0.1)
    assert p == pytest.approx(0.52, abs=0.03)


def test_bravo_probability_agrees_with_a_seeded_simulation() -> None:
    rng = np.random.default_rng(4)
    n, p_w, p_l = 300, 0.45, 0.38
    counts = rng.multinomial(n, [p_w, p_l, 1 - p_w - p_l], size=20_000)
    risks = [polling.pair_risk(45, 38, int(w), int(lo)) for w, lo, _ in counts]
    simulated = float(np.mean(np.array(risks) <= 0.1))
    exact = completion.bravo_pair_probability(n, 45_000, 38_000, 100_000, 0.1)
    assert exact == pytest.approx(simulated, abs=0.015)  # 3 standard errors of 20,000 draws


def test_kaplan_markov_sizes() -> None:
    margin = 0.02
    error_free = comparison.sample_size(margin, 0.1)
    zero = ErrorRates(0.0, 0.0)
    assert completion.km_size(margin, 0.1, 0.9, zero) == error_free
    rates = ErrorRates(0.005, 0.0)
    n50 = completion.km_size(margin, 0.1, 0.5, rates)
    n80 = completion.km_size(margin, 0.1, 0.8, rates)
    n90 = completion.km_size(margin, 0.1, 0.9, rates)
    assert error_free < n50 <= n80 <= n90
    # rlacalc plans with the expected counts (rate × n, 361 here); the first-round size is a step
    # function of the whole number of overstatements found (306 for 1, 374 for 2, …), and
    # rlacalc's figure lies between our median and 80 % sizes
    planned = rlacalc.KM_Expected_sample_size(0.1, comparison.GAMMA, margin, 0.005, 0, 0, 0)
    assert n50 < planned < n80
    # the probability is what a seeded simulation of the P-value gives
    rng = np.random.default_rng(9)
    o1 = rng.binomial(n80, 0.005, size=20_000)
    ok = [
        comparison.p_value(n80, margin, found=comparison.Discrepancies(o1=int(k))) <= 0.1
        for k in o1
    ]
    assert float(np.mean(ok)) == pytest.approx(
        completion.km_probability(n80, margin, 0.1, rates), abs=0.01
    )


def test_party_list_first_round_without_errors_is_the_expected_size() -> None:
    reported = _true_batches(random.Random(3))
    planned = plan(CONTEST, reported, 0.1)
    expected = max(p.expected for p in planned)
    pairs = [(p.assertion, p.scale) for p in planned]
    assert completion.stations_for(pairs, reported, 0.1, rates=ErrorRates(0, 0)) == {
        0.8: expected,
        0.9: expected,
    }
    noisy = completion.stations_for(pairs, reported, 0.1, rates=ErrorRates(0.01, 0.001))
    assert expected <= noisy[0.8] <= noisy[0.9] <= len(reported)


def test_vectorised_alpha_stops_where_the_reference_stops() -> None:
    # the simulation's numpy ALPHA against batch.measure, station by station, on noisy draws
    reported = _true_batches(random.Random(5), stations=80)
    planned = plan(CONTEST, reported, 0.1)
    rng = np.random.default_rng(1)
    for p in planned[:6]:
        sc = p.scale
        e = rng.integers(-2, 3, size=(5, sc.stations)) * rng.integers(
            0, sc.e_max_i // 50 + 2, size=(5, sc.stations)
        )
        stops = _stopping_draws(sc, e.astype(np.float64), 0.1)
        for row, stop in zip(e, stops, strict=True):
            xs = [sc.x(int(v)) for v in row]
            reference = next(
                (j for j in range(1, sc.stations + 1) if measure(sc, xs[:j]).risk <= 0.1),
                sc.stations + 1,
            )
            assert stop == reference
