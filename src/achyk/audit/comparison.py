"""Ballot-level comparison: Stark's super-simple sample size and the Kaplan–Markov risk.

Stark, "Super-Simple Simultaneous Single-Ballot Risk-Limiting Audits" (EVT/WOTE 2010), section 2:
with error inflation γ > 1 (1.03905 is the customary value), tolerance λ for one-vote
overstatements and the diluted margin μ = (winner's votes − runner-up's votes) / ballots cast,

    ρ = −ln α / (1/(2γ) + λ·ln(1 − 1/(2γ))),   first-round sample n = ⌈ρ/μ⌉.

The first round assumes no overstatement (λ = 0): ρ = 2γ·ln(1/α). With o₁, o₂ one- and two-vote
overstatements and u₁, u₂ understatements found in n ballots, the Kaplan–Markov P-value is
(Stark 2009; "A Gentle Introduction to Risk-Limiting Audits", Lindeman and Stark 2012)

    P = (1 − μ/(2γ))ⁿ · (1 − 1/(2γ))^(−o₁) · (1 − 1/γ)^(−o₂) · (1 + 1/(2γ))^(−u₁) · (1 + 1/γ)^(−u₂),

and the sample needed to reach α with those discrepancies is the least n with P ≤ α:
n = ⌈−2γ·(ln α + o₁·ln(1 − 1/(2γ)) + o₂·ln(1 − 1/γ) + u₁·ln(1 + 1/(2γ)) + u₂·ln(1 + 1/γ)) / μ⌉.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from achyk.errors import InputError, Problem

GAMMA = 1.03905
SUBJECT = "comparison audit"


@dataclass(frozen=True)
class Discrepancies:
    o1: int = 0
    o2: int = 0
    u1: int = 0
    u2: int = 0


def _check(alpha: float, gamma: float, margin: float) -> None:
    problems = []
    if not 0 < alpha < 1:
        problems.append(Problem("risk limit", f"{alpha} is not between 0 and 1"))
    if gamma <= 1:
        problems.append(Problem("gamma", f"{gamma} must exceed 1"))
    if not 0 < margin <= 1:
        problems.append(Problem("margin", f"diluted margin {margin} is not in (0, 1]"))
    if problems:
        raise InputError(SUBJECT, problems)


def diluted_margin(winner: int, loser: int, ballots: int) -> float:
    if not 0 <= loser < winner <= ballots:
        raise InputError(
            SUBJECT,
            [Problem("votes", f"need 0 ≤ loser {loser} < winner {winner} ≤ ballots {ballots}")],
        )
    return (winner - loser) / ballots


def rho(alpha: float, gamma: float = GAMMA, lam: float = 0.0) -> float:
    """The sample-size multiplier ρ (super-simple, section 2)."""
    _check(alpha, gamma, 1.0)
    return -math.log(alpha) / (1 / (2 * gamma) + lam * math.log(1 - 1 / (2 * gamma)))


def _log_discrepancy(d: Discrepancies, gamma: float) -> float:
    return (
        d.o1 * math.log(1 - 1 / (2 * gamma))
        + d.o2 * math.log(1 - 1 / gamma)
        + d.u1 * math.log(1 + 1 / (2 * gamma))
        + d.u2 * math.log(1 + 1 / gamma)
    )


def sample_size(
    margin: float, alpha: float, gamma: float = GAMMA, found: Discrepancies | None = None
) -> int:
    """Ballots to audit to reach ``alpha`` given the discrepancies found (none: the first round)."""
    _check(alpha, gamma, margin)
    d = found or Discrepancies()
    n = math.ceil(-2 * gamma * (math.log(alpha) + _log_discrepancy(d, gamma)) / margin)
    return max(n, d.o1 + d.o2 + d.u1 + d.u2)


def p_value(
    n: int, margin: float, gamma: float = GAMMA, found: Discrepancies | None = None
) -> float:
    """The Kaplan–Markov P-value (measured risk) after auditing n ballots."""
    _check(0.5, gamma, margin)
    d = found or Discrepancies()
    log_p = n * math.log(1 - margin / (2 * gamma)) - _log_discrepancy(d, gamma)
    return min(1.0, math.exp(log_p))
