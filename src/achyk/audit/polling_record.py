"""A BRAVO ballot-polling audit as log entries: what is sampled, what is asserted, the risks.

For a presidential contest or a district (plurality, k seats) contest, the CEC's seed entry lists
the *manifest*: each station with a counted protocol at that point and its ballots (valid votes
plus invalid ballots). Ballot k of station s (k = 1 … its ballots) has the id ``s#k``; the
population is every such id, station by station in manifest order. Ballots are drawn **with
replacement** by Rivest's consistent sampler from the seed (BRAVO is Wald's SPRT for sampling with
replacement); an audit board finds each drawn ballot in its station's stack and records the vote
it shows. The reported outcome is asserted by:

- ``w>l`` for every reported winner w and every other option l (against-all included): BRAVO's
  pairwise test on the shares of the reported totals (Lindeman, Stark, Yates 2012, section 4);
- ``majority:w`` for a presidential winner reported with more than half of the ballots (elected
  in the first round): the same test with every other ballot, invalid ones included, as l — the
  share of all ballots against ½ (BRAVO's super-majority form with threshold ½). A presidential
  contest with no majority sends the top two to a runoff: both are winners of the pairwise tests.

The measured risk of an assertion after the draws so far is :func:`.polling.pair_risk` on the
cumulative counts (T at the end of the round, the conservative reading).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from achyk.audit.assertions import INVALID
from achyk.audit.batch import Batch
from achyk.audit.polling import pair_risk
from achyk.canonical import canonical_hash
from achyk.domain.definition import Contest, ContestKind
from achyk.domain.tabulation import ballot_order
from achyk.errors import InputError, Problem

POLLING_KINDS = (ContestKind.PRESIDENTIAL, ContestKind.DISTRICT)
METHOD = "ballot-polling"
BALLOTS_PER_ENTRY = 1000  # draws per audit-ballots entry (a log entry holds at most 64 KiB)
SUBJECT = "ballot-polling audit"


@dataclass(frozen=True)
class PollingAssertion:
    id: str
    winner: str
    loser: str | None  # None: every ballot not for the winner (the majority assertion)


@dataclass(frozen=True)
class Reported:
    """The reported totals over the manifest's stations."""

    votes: Mapping[str, int]  # option (against-all included) → votes
    ballots: int  # valid + invalid

    @classmethod
    def of(cls, contest: Contest, reported: Iterable[Batch]) -> Reported:
        votes = dict.fromkeys(ballot_order(contest), 0)
        ballots = 0
        for b in reported:
            if not b.paper:
                continue
            for option, n in b.votes.items():
                votes[option] = votes.get(option, 0) + n
            ballots += b.ballots
        return cls(votes, ballots)


def manifest(reported: Iterable[Batch]) -> list[tuple[str, int]]:
    """(station, ballots) of every paper station, in the batches' (id) order."""
    return [(b.id, b.ballots) for b in reported if b.paper]


def ballot_ids(entries: Sequence[tuple[str, int]]) -> list[str]:
    return [f"{station}#{k}" for station, n in entries for k in range(1, n + 1)]


def sample_hash(draws: Sequence[str]) -> str:
    """What an audit-round entry records of its draws: SHA-256 of their canonical JSON list."""
    return canonical_hash(list(draws))


def station_of(ballot_id: str) -> tuple[str, int]:
    station, _, k = ballot_id.rpartition("#")
    return station, int(k)


def assertions(contest: Contest, totals: Reported) -> list[PollingAssertion]:
    """The assertions of the reported outcome; InputError when a tie leaves no reported winner."""
    if contest.kind not in POLLING_KINDS:
        raise InputError(SUBJECT, [Problem(contest.id, f"a {contest.kind} contest is not polled")])
    v = totals.votes
    ranked = sorted(contest.option_ids(), key=lambda o: (-v.get(o, 0), o))
    majority = (
        contest.kind is ContestKind.PRESIDENTIAL and ranked and 2 * v[ranked[0]] > totals.ballots
    )
    # no majority: the top two go to the runoff
    presidential = 1 if majority else 2
    seats = presidential if contest.kind is ContestKind.PRESIDENTIAL else contest.seats
    winners, others = ranked[:seats], [o for o in ballot_order(contest) if o not in ranked[:seats]]
    if not others:
        raise InputError(SUBJECT, [Problem(contest.id, "every option wins: nothing to audit")])
    if any(v[w] <= v[o] for w in winners for o in others):
        raise InputError(
            SUBJECT, [Problem(contest.id, "a reported winner does not lead every other option")]
        )
    out = [PollingAssertion(f"{w}>{o}", w, o) for w in winners for o in others]
    if majority:
        out.append(PollingAssertion(f"majority:{ranked[0]}", ranked[0], None))
    return out


def risks(
    asserted: Sequence[PollingAssertion], totals: Reported, seen: Mapping[str, int], draws: int
) -> dict[str, float]:
    """Each assertion's measured risk after ``draws`` ballots, ``seen`` counting their votes."""
    out = {}
    for a in asserted:
        v_w, s_w = totals.votes[a.winner], seen.get(a.winner, 0)
        if a.loser is None:
            out[a.id] = pair_risk(v_w, totals.ballots - v_w, s_w, draws - s_w)
        else:
            out[a.id] = pair_risk(v_w, totals.votes[a.loser], s_w, seen.get(a.loser, 0))
    return out


def vote_choices(contest: Contest) -> tuple[str, ...]:
    """What a board may record for a drawn ballot: an option or an invalid ballot."""
    return (*ballot_order(contest), INVALID)


def plan(
    contest: Contest, totals: Reported, alpha: float, levels: Sequence[float]
) -> tuple[int, dict[float, int]]:
    """BRAVO's ASN of the closest assertion and the first rounds completing with each probability."""
    from achyk.audit.completion import bravo_pair_size
    from achyk.audit.polling import pair_asn

    pairs = []
    for a in assertions(contest, totals):
        v_w = totals.votes[a.winner]
        v_l = totals.ballots - v_w if a.loser is None else totals.votes[a.loser]
        pairs.append((math.ceil(pair_asn(v_w, v_l, totals.ballots, alpha)), v_w, v_l))
    asn = max(n for n, _, _ in pairs)
    sizes = dict.fromkeys(levels, 0)
    for n, v_w, v_l in pairs:
        if n < asn / 2:
            continue  # a pair needing half the ASN of the closest never decides the round
        for q in levels:
            size = bravo_pair_size(v_w, v_l, totals.ballots, alpha, q, cap=totals.ballots)
            sizes[q] = max(sizes[q], size)
    return asn, sizes
