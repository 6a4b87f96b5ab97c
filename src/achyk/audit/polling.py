"""BRAVO ballot-polling audits (Lindeman, Stark, Yates, EVT/WOTE 2012) for presidential contests.

For every pair of a reported winner w and a reported loser l, with reported shares among *all*
ballots p_w = v_w/N, p_l = v_l/N and s_w = v_w/(v_w + v_l) (BRAVO section 4):

- the **test**: start T = 1; a sampled ballot for w multiplies T by 2·s_w, one for l by
  2·(1 − s_w), any other ballot leaves it; the pair is confirmed once T ≥ 1/α, so its measured
  risk is min(1, 1/max T) — Wald's SPRT, whose risk is at most α (BRAVO section 5);
- the **average sample number** (BRAVO section 9.2):
  ASN ≈ (ln(1/α) + ln(2·s_w)/2) / (p_w·ln(2·s_w) + p_l·ln(2 − 2·s_w)),
  and the audit's ASN is the largest over the pairs (the closest pair decides), rounded up.

The risk is computed with logarithms so that a long sample does not overflow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from achyk.errors import InputError, Problem

SUBJECT = "ballot-polling audit"


@dataclass(frozen=True)
class Contest:
    """Reported votes in descending order; the first ``winners`` win; ``ballots`` includes invalid."""

    votes: tuple[int, ...]
    ballots: int
    winners: int = 1

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if len(self.votes) < 2:
            problems.append(Problem("votes", "at least two candidates are needed"))
        if any(v < 0 for v in self.votes):
            problems.append(Problem("votes", "a vote count is negative"))
        if list(self.votes) != sorted(self.votes, reverse=True):
            problems.append(Problem("votes", "votes must be given in descending order"))
        if not 1 <= self.winners < max(len(self.votes), 2):
            problems.append(Problem("winners", f"{self.winners} winners of {len(self.votes)}"))
        if self.ballots < sum(self.votes):
            problems.append(
                Problem("ballots", f"{self.ballots} ballots < {sum(self.votes)} votes given")
            )
        if not problems and self.votes[self.winners - 1] <= self.votes[self.winners]:
            problems.append(Problem("votes", "the last winner does not lead the first loser"))
        if problems:
            raise InputError(SUBJECT, problems)

    def pairs(self) -> list[tuple[int, int]]:
        """(winner index, loser index) for every reported winner–loser pair."""
        n = len(self.votes)
        return [(w, lo) for w in range(self.winners) for lo in range(self.winners, n)]


def check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise InputError(SUBJECT, [Problem("risk limit", f"{alpha} is not between 0 and 1")])


def pair_asn(v_w: int, v_l: int, ballots: int, alpha: float) -> float:
    """BRAVO's average sample number for one pair (section 9.2), before rounding."""
    p_w, p_l = v_w / ballots, v_l / ballots
    s_w = v_w / (v_w + v_l)
    z_w, z_l = math.log(2 * s_w), math.log(2 - 2 * s_w) if v_l else -math.inf
    if v_l == 0:  # every ballot for the pair is the winner's: each one multiplies T by 2
        return math.log(1 / alpha) / math.log(2) / p_w
    return (math.log(1 / alpha) + z_w / 2) / (p_w * z_w + p_l * z_l)


def asn(contest: Contest, alpha: float) -> int:
    """The audit's average sample number: the largest pair ASN, rounded up."""
    check_alpha(alpha)
    v = contest.votes
    return max(
        math.ceil(pair_asn(v[w], v[lo], contest.ballots, alpha)) for w, lo in contest.pairs()
    )


def pair_risk(v_w: int, v_l: int, seen_w: int, seen_l: int) -> float:
    """Measured risk min(1, 1/T) of one pair after seeing seen_w and seen_l sampled ballots.

    This is T at the end of the sample. BRAVO's sequential rule stops at the first time T
    reaches 1/α, and T can dip and recover; measured per round (what is recorded), the risk is
    the end-of-round value, which is the conservative reading.
    """
    s_w = v_w / (v_w + v_l)
    log_t = seen_w * math.log(2 * s_w)
    if seen_l:
        if s_w >= 1:
            return 1.0  # a loser vote where the report gave the loser none: T is 0
        log_t += seen_l * math.log(2 - 2 * s_w)
    return 1.0 if log_t <= 0 else math.exp(-log_t)


def risk(contest: Contest, seen: Sequence[int]) -> float:
    """The audit's measured risk: the largest over the pairs; ``seen`` counts sampled ballots per candidate."""
    if len(seen) != len(contest.votes):
        raise InputError(SUBJECT, [Problem("sample", "one count per candidate is needed")])
    v = contest.votes
    return max(pair_risk(v[w], v[lo], seen[w], seen[lo]) for w, lo in contest.pairs())
