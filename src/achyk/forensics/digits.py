"""Digit tests — WEAK screens only.

Mebane's second-digit Benford test (2BL) and last-digit tests are cheap and popular, but honest
elections fail them and manipulated ones pass them often enough (Mebane 2006; Deckert, Myagkov &
Ordeshook 2011 on Russian data) that a deviation is at most a reason to look, never a finding. Each
result says so in its `weak` field, and the faces print it.

- second digit: counts ≥ 10, against Benford's second-digit law P(d) = Σ_{k=1..9} log10(1 + 1/(10k+d));
- last digit: counts ≥ 100 (large enough for the last digit to be nearly uniform), against uniform;
- 0/5 endings: the share of those counts ending in 0 or 5, against 1/5 (exact binomial test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest, chisquare

from achyk.forensics.stations import FloatArray, IntArray

ALPHA = 0.001  # a digit test "deviates" below this p-value

BENFORD_SECOND: FloatArray = np.array(
    [sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)]
)


@dataclass(frozen=True)
class DigitTest:
    name: str
    n: int  # counts tested
    observed: tuple[int, ...]  # per digit (or (hits, misses) for 0/5 endings)
    expected: tuple[float, ...]
    statistic: float
    p_value: float
    weak: bool = True

    @property
    def deviates(self) -> bool:
        return self.n > 0 and self.p_value < ALPHA


def _second_digits(counts: IntArray) -> IntArray:
    c = counts[counts >= 10]
    magnitude = 10 ** np.floor(np.log10(c)).astype(np.int64)
    return (c // (magnitude // 10)) % 10


def second_digit(counts: IntArray) -> DigitTest:
    digits = _second_digits(np.asarray(counts, dtype=np.int64))
    observed = np.bincount(digits, minlength=10)
    expected = BENFORD_SECOND * digits.size
    if digits.size == 0:
        return DigitTest("second-digit Benford", 0, (0,) * 10, tuple(expected), 0.0, 1.0)
    stat, p = chisquare(observed, expected)
    return DigitTest("second-digit Benford", int(digits.size), tuple(int(o) for o in observed),
                     tuple(float(e) for e in expected), float(stat), float(p))  # fmt: skip


def last_digit(counts: IntArray) -> DigitTest:
    c = np.asarray(counts, dtype=np.int64)
    c = c[c >= 100]
    observed = np.bincount(c % 10, minlength=10)
    expected = np.full(10, c.size / 10)
    if c.size == 0:
        return DigitTest("last digit", 0, (0,) * 10, tuple(expected), 0.0, 1.0)
    stat, p = chisquare(observed, expected)
    return DigitTest("last digit", int(c.size), tuple(int(o) for o in observed),
                     tuple(float(e) for e in expected), float(stat), float(p))  # fmt: skip


def zero_five(counts: IntArray) -> DigitTest:
    c = np.asarray(counts, dtype=np.int64)
    c = c[c >= 100]
    hits = int(np.isin(c % 10, (0, 5)).sum())
    if c.size == 0:
        return DigitTest("ending in 0 or 5", 0, (0, 0), (0.0, 0.0), 0.0, 1.0)
    result = binomtest(hits, int(c.size), 0.2, alternative="greater")
    return DigitTest("ending in 0 or 5", int(c.size), (hits, int(c.size) - hits),
                     (0.2 * c.size, 0.8 * c.size), hits / c.size, float(result.pvalue))  # fmt: skip
