"""Digit tests (weak screens): they must find crude planted digits and pass honest counts."""

from __future__ import annotations

import numpy as np
import pytest

from achyk.forensics.digits import BENFORD_SECOND, last_digit, second_digit, zero_five
from achyk.sim.manipulations import honest


def test_benford_second_digit_law_matches_the_published_table() -> None:
    # Nigrini (2012), "Benford's Law", Table 5.1 / Mebane (2006): second-digit probabilities.
    published = [0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035, 0.08757,
                 0.08500]  # fmt: skip
    assert BENFORD_SECOND.tolist() == pytest.approx(published, abs=5e-6)


def test_honest_counts_pass_every_digit_test() -> None:
    for seed in range(5):
        s = honest(4000, seed=seed)
        for test in (last_digit(s.leader), zero_five(s.leader)):
            assert test.weak and not test.deviates, test
    # Counts spread over several decades follow Benford's law closely (log-uniform magnitudes).
    rng = np.random.default_rng(1)
    counts = np.floor(10 ** rng.uniform(1, 4, 20_000)).astype(np.int64)
    assert not second_digit(counts).deviates


def test_planted_round_numbers_are_caught() -> None:
    s = honest(4000, seed=3)
    rounded = s.leader.copy()
    rounded[:800] = rounded[:800] // 10 * 10  # a fifth of the stations report round figures
    assert last_digit(rounded).deviates
    assert zero_five(rounded).deviates
    rng = np.random.default_rng(2)
    counts = np.floor(10 ** rng.uniform(1, 4, 20_000)).astype(np.int64)
    counts[:3000] = counts[:3000] // 10 * 10  # second digit unchanged, but 2-digit ones gain 0s
    counts[:3000] = np.maximum(counts[:3000], 10)
    assert last_digit(counts).deviates
