"""Sample sizes that complete an audit in its first round with a given probability (80 %, 90 %).

The expected sample size (BRAVO's ASN, super-simple's ρ/μ, the error-free stations of the plan)
says what a typical audit needs; an audit board plans a first round that finishes with a stated
probability instead (Arlo offers 70/80/90 %). Each figure below is "the least n whose first round
of n confirms the outcome with probability ≥ q when the reported results are right":

- **BRAVO** (sampling with replacement, the risk measured at the end of the round, as
  :func:`.polling.pair_risk`): the sample's ballots for w and l, m = n_w + n_l ~ Binomial(n, p_w + p_l),
  and n_w | m ~ Binomial(m, s_w); the pair is confirmed iff
  n_w·ln(2s_w) + (m − n_w)·ln(2 − 2s_w) ≥ ln(1/α). That probability is summed exactly. It is not
  monotone in n (a sawtooth of period about 1/(p_w + p_l)): the figure is the first n reaching q.
  For several pairs, the largest per-pair n (the closest pair decides), as Arlo does. Arlo's tests
  (votingworks/arlo, server/tests/audit_math/test_bravo.py) give the figures tests/audit checks.
- **Kaplan–Markov / super-simple** (Stark 2010; the P-value of :func:`.comparison.p_value`):
  with error-free counts every round of ⌈ρ/μ⌉ confirms, so a completion probability only means
  something under an error model. One- and two-vote overstatements occur independently on each
  ballot at rates r₁, r₂ (rlacalc's defaults: 0.001 and 0.0001); understatements, which only lower
  the P-value, are left out (so the figures are a little high, never low). Exact: o₂ ~ Binomial(n, r₂)
  and o₁ | o₂ ~ Binomial(n − o₂, r₁/(1 − r₂)), summed.
- **Party-list assertions** (batch comparison, ALPHA, :mod:`.batch`): simulation with a seeded RNG.
  Each replicate draws the stations in a uniformly random order; each station's hand count misses
  its report by o₁ ~ Binomial(n_p, r₁) one-vote and o₂ ~ Binomial(n_p, r₂) two-vote overstatements of
  the assertion (a one-vote one is half the largest change one ballot can make to Σ g). The
  replicate's first-round size is the station at which every assertion's ALPHA risk has reached α
  (max T only grows, so it is a stopping time); the figure is the q-quantile over replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln
from scipy.stats import binom

from achyk.audit import comparison, polling
from achyk.audit.assertions import Assertion, integer_form
from achyk.audit.batch import LAMBDA, Batch, Scale, expected_stations
from achyk.errors import InputError, Problem

LEVELS = (0.8, 0.9)
O1_RATE = 0.001  # rlacalc's default one-vote overstatement rate per ballot
O2_RATE = 0.0001  # and two-vote
REPLICATES = 400
SUBJECT = "audit sample size"
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _check_level(q: float) -> None:
    if not 0 < q < 1:
        raise InputError(SUBJECT, [Problem("probability", f"{q} is not in (0, 1)")])


# BRAVO ---------------------------------------------------------------------------------------


def _confirming_tails(v_w: int, v_l: int, alpha: float, m_max: int) -> FloatArray:
    """For m = 0 … m_max ballots of the pair in the sample: P(enough of them are w's to confirm)."""
    m = np.arange(m_max + 1)
    if v_l == 0:  # only w's ballots count: T doubles with each, so enough of them confirm
        need = np.full(m.shape, math.ceil(math.log(1 / alpha) / math.log(2)))
        return np.asarray(need <= m, dtype=np.float64)
    s = v_w / (v_w + v_l)
    up, down = math.log(2 * s), math.log(2 - 2 * s)
    # least n_w with n_w·up + (m − n_w)·down ≥ ln(1/α); the epsilon keeps an exact tie confirmed
    need = np.ceil((math.log(1 / alpha) - m * down) / (up - down) - 1e-9)
    return np.asarray(binom.sf(np.clip(need, 0, None) - 1, m, s), dtype=np.float64)


def _probability(n: int, p_pair: float, tails: FloatArray) -> float:
    """Σ_m P(m of the n draws are the pair's) · tails[m], over m within 10 sd of the mean."""
    if p_pair >= 1:
        return float(tails[n])
    sd = math.sqrt(n * p_pair * (1 - p_pair))
    lo, hi = (
        max(0, math.floor(n * p_pair - 10 * sd - 1)),
        min(n, math.ceil(n * p_pair + 10 * sd + 1)),
    )
    m = np.arange(lo, hi + 1, dtype=np.float64)
    # the binomial pmf from log-gamma directly: scipy.stats' per-call overhead dominated the plan
    log_pmf = (
        gammaln(n + 1) - gammaln(m + 1) - gammaln(n - m + 1)
        + m * math.log(p_pair) + (n - m) * math.log1p(-p_pair)
    )  # fmt: skip
    return float(np.sum(np.exp(log_pmf) * tails[lo : hi + 1]))


def bravo_pair_probability(n: int, v_w: int, v_l: int, ballots: int, alpha: float) -> float:
    """P(a first round of n ballots, drawn with replacement, confirms w over l)."""
    return _probability(n, (v_w + v_l) / ballots, _confirming_tails(v_w, v_l, alpha, n))


def bravo_pair_size(
    v_w: int, v_l: int, ballots: int, alpha: float, q: float, cap: int | None = None
) -> int:
    """The least n whose first round confirms the pair with probability ≥ q.

    With ``cap`` (e.g. the ballots: a hand count of every ballot is cheaper), no more than it.
    The probability is a sawtooth in n (teeth of a fraction of a percent): a coarse scan in steps
    of 1/16 of the ASN passes q, then bisection between the last two steps finds n with
    P(n − 1) < q ≤ P(n) — the first such n, or one a tooth later (Arlo's figures agree to 0.5 %).
    The tails depend on the pair's ballots in the sample, not on n: computed once.
    """
    _check_level(q)
    p_pair = (v_w + v_l) / ballots
    asn = math.ceil(polling.pair_asn(v_w, v_l, ballots, alpha))
    if cap is not None and asn >= cap:
        return cap
    hi = max(16, 2 * asn)
    tails = _confirming_tails(v_w, v_l, alpha, hi)

    def reaches(n: int) -> bool:
        nonlocal hi, tails
        while n > hi:
            hi *= 2
            tails = _confirming_tails(v_w, v_l, alpha, hi)
        return _probability(n, p_pair, tails) >= q

    step = max(1, asn // 16)
    below, n = 0, step
    while not reaches(n):
        if cap is not None and n >= cap:
            return cap
        below, n = n, n + step
        if cap is not None and n > cap:
            n = cap
    while n - below > 1:  # P(below) < q ≤ P(n)
        mid = (below + n) // 2
        if reaches(mid):
            n = mid
        else:
            below = mid
    return n


def bravo_size(contest: polling.Contest, alpha: float, q: float) -> int:
    polling.check_alpha(alpha)
    v = contest.votes
    return max(bravo_pair_size(v[w], v[lo], contest.ballots, alpha, q) for w, lo in contest.pairs())


# Kaplan–Markov --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRates:
    """Per-ballot rates of one- and two-vote overstatements the figures plan for."""

    o1: float = O1_RATE
    o2: float = O2_RATE

    def __post_init__(self) -> None:
        if not (0 <= self.o1 < 1 and 0 <= self.o2 < 1 and self.o1 + self.o2 < 1):
            raise InputError(SUBJECT, [Problem("rates", f"{self.o1}, {self.o2} are not rates")])


def km_probability(
    n: int, margin: float, alpha: float, rates: ErrorRates, gamma: float = comparison.GAMMA
) -> float:
    """P(the Kaplan–Markov P-value after n ballots is ≤ α) under the error rates."""
    a1 = -math.log(1 - 1 / (2 * gamma))  # what one o₁ adds to ln P
    a2 = -math.log(1 - 1 / gamma)
    # ln P = n·ln(1 − μ/(2γ)) + o₁·a₁ + o₂·a₂ ≤ ln α  ⟺  o₁·a₁ + o₂·a₂ ≤ budget
    budget = math.log(alpha) - n * math.log(1 - margin / (2 * gamma))
    if budget < 0:
        return 0.0
    if rates.o2 == 0:
        o2s = np.array([0])
        weights = np.array([1.0])
    else:
        o2s = np.arange(min(n, int(budget / a2)) + 1)
        weights = binom.pmf(o2s, n, rates.o2)
    r1 = rates.o1 / (1 - rates.o2) if rates.o2 < 1 else 0.0
    max_o1 = np.floor((budget - o2s * a2) / a1 + 1e-9)
    return float(np.sum(weights * binom.cdf(max_o1, n - o2s, r1)))


def km_size(margin: float, alpha: float, q: float, rates: ErrorRates) -> int:
    """The least n whose first round reaches α with probability ≥ q (n ≥ the error-free size)."""
    _check_level(q)
    n = comparison.sample_size(margin, alpha)
    if rates.o1 == 0 and rates.o2 == 0:
        return n
    step = max(1, n // 32)
    while km_probability(n, margin, alpha, rates) < q:
        n += step
        if n > 50 * comparison.sample_size(margin, alpha) + 10_000:
            raise InputError(
                SUBJECT, [Problem("rates", "at these error rates the audit would not complete")]
            )
    n = max(comparison.sample_size(margin, alpha), n - step)
    while km_probability(n, margin, alpha, rates) < q:
        n += 1
    return n


# Party-list assertions (ALPHA over stations) --------------------------------------------------


def _stopping_draws(sc: Scale, overstatement: FloatArray, alpha: float) -> IntArray:
    """Per replicate (row), the draw at which ALPHA's risk first reaches α; P + 1 if never.

    ``overstatement``: e_p (in the assertion's units) of each station, rows in draw order.
    """
    p, e_max = sc.stations, sc.e_max_i
    x = np.maximum(0.0, (e_max - overstatement) * p / (2 * (p * e_max - sc.total_i)))
    sums = np.cumsum(x, axis=1) - x  # Σ_{i<j} x_i
    j = np.arange(1, p + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (p / 2 - sums) / (p - j + 1)
        factor = 1 + LAMBDA * (x / mu - 1)
        step = np.where(mu > 0, np.log(np.maximum(factor, 1e-300)), np.inf)
        step = np.where((mu == 0) & (x == 0), 0.0, step)
    log_t = np.cumsum(step, axis=1)
    reached = log_t >= math.log(1 / alpha)
    # the last draw settles it: every station counted and the assertion true (Σ x > P/2)
    reached[:, -1] |= sums[:, -1] + x[:, -1] > p / 2
    first = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, p + 1)
    return first


CLOSE = 0.5  # assertions whose error-free size is at least this fraction of the largest


def _deciding(
    assertions: Sequence[tuple[Assertion, Scale]], alpha: float
) -> list[tuple[Assertion, Scale]]:
    """The assertions that can decide the first round: the closest few and any near them.

    An assertion needing a tenth of the stations the closest needs, error-free, does not decide
    the round at planning error rates; skipping it keeps the plan of a national list quick.
    """
    sized = sorted(
        ((expected_stations(sc, alpha), a, sc) for a, sc in assertions), key=lambda t: -t[0]
    )
    top = sized[0][0] if sized else 0
    return [(a, sc) for i, (n, a, sc) in enumerate(sized) if i < 5 or n >= CLOSE * top]


def stations_for(
    assertions: Sequence[tuple[Assertion, Scale]],
    reported: Sequence[Batch],
    alpha: float,
    levels: Sequence[float] = LEVELS,
    rates: ErrorRates | None = None,
    replicates: int = REPLICATES,
    seed: int = 2012,
) -> dict[float, int]:
    """Stations to draw so that the first round confirms every assertion with each probability."""
    for q in levels:
        _check_level(q)
    rates = rates or ErrorRates()
    paper = [b for b in reported if b.paper]
    if not paper or not assertions:
        return dict.fromkeys(levels, 0)
    rng = np.random.default_rng(seed)
    ballots = np.array([b.ballots for b in paper])
    order = np.argsort(rng.random((replicates, len(paper))), axis=1)  # uniform draw orders
    o1 = rng.binomial(ballots[order], rates.o1)  # each drawn station's misreads, in draw order
    o2 = rng.binomial(ballots[order], rates.o2)
    stop = np.zeros(replicates, dtype=np.int64)
    for a, sc in _deciding(assertions, alpha):
        if sc.total_i <= 0:
            stop[:] = len(paper)
            continue
        _, listed, other, inv = integer_form(a)
        values = [*listed.values(), other, inv]
        swing = max(values) - min(values)  # the most one misread ballot changes Σ g (units)
        in_region = np.array([a.region is None or b.region == a.region for b in paper])
        e = (o1 * swing / 2 + o2 * swing) * in_region[order]
        stop = np.maximum(stop, _stopping_draws(sc, e.astype(np.float64), alpha))
    stop = np.minimum(stop, len(paper))
    return {q: int(np.quantile(stop, q, method="higher")) for q in levels}
