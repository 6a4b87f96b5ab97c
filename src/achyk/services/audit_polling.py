"""A BRAVO ballot-polling audit from seed to decision (presidential and district contests).

As :mod:`.audit_run` for the party list: the signing keys are passed in (in a real audit each
member signs on their own machine). The boards find each drawn ballot ``station#k`` in the
station's stack of paper and record its vote; ``Ballots`` is that paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from achyk.audit import completion, polling, polling_record, sampling
from achyk.audit.assertions import INVALID
from achyk.audit.party_list import batches
from achyk.audit.record import AUDIT_PURPOSE, COUNT_PURPOSE, risk_text
from achyk.domain.protocol import Protocol
from achyk.errors import NotFoundError
from achyk.services.audit_record import (
    counted_protocols,
    record_audit_entries,
    record_audit_entry,
)
from achyk.services.audit_run import AuditKeys
from achyk.services.elections import get_election
from achyk.signing import sign
from achyk.store.database import Database

Ballots = Callable[[str], str]  # ballot id "station#k" → the vote on the paper (or INVALID)
MAX_ROUNDS = 6  # then a full hand count: BRAVO with replacement has no end of its own


@dataclass(frozen=True)
class PollingOutcome:
    contest_id: str
    ballots: int  # in the manifest
    rounds: int
    drawn: int  # draws, repeats included
    decision: str
    risk: float


def stacks_from(protocols: dict[str, Protocol]) -> Ballots:
    """The paper as the counted protocols describe it: ballot k of a station is the k-th of its
    votes laid out option by option (ballot order), then its invalid ballots."""

    def vote(ballot_id: str) -> str:
        station, k = polling_record.station_of(ballot_id)
        p = protocols[station]
        for option, n in dict(p.votes).items():
            if k <= n:
                return option
            k -= n
        return INVALID

    return vote


def run_polling_audit(
    db: Database,
    election_id: str | None,
    contest_id: str,
    seed: str,
    risk_limit_pct: str,
    keys: AuditKeys,
    paper: Ballots | None = None,
    first_round: int | None = None,
) -> PollingOutcome:
    """Seed, rounds (first: 90 % completion size unless given; then doubling), decisions."""
    election = get_election(db, election_id)
    contest = election.contest(contest_id)
    if contest is None:
        raise NotFoundError(f"no contest {contest_id!r} in election {election.id}")
    mine = {s: p for (s, c), p in counted_protocols(db, election.id).items() if c == contest.id}
    reported = batches(election, contest, mine)
    listed = polling_record.manifest(reported)
    totals = polling_record.Reported.of(contest, reported)
    asserted = polling_record.assertions(contest, totals)
    paper = paper or stacks_from(mine)
    alpha = float(Decimal(risk_limit_pct)) / 100
    base = {"election": election.id, "contest": contest.id}
    seed_entry = {
        "kind": "audit-seed", **base, "method": polling_record.METHOD, "seed": seed,
        "risk_limit": risk_limit_pct, "manifest": [list(m) for m in listed], "witnesses": [],
        "authority": keys.authority_id,
    }  # fmt: skip
    record_audit_entry(db, election.id, _signed(seed_entry, keys.authority))
    size = first_round or _first_round(totals, asserted, alpha)
    ids = polling_record.ballot_ids(listed)
    drawn: list[str] = []
    seen: dict[str, int] = {}
    rounds, decision, worst = 0, "continue", 1.0
    while decision == "continue":
        rounds += 1
        new = sampling.draw(seed, ids, size, with_replacement=True)[len(drawn) :]
        record_audit_entry(db, election.id, {
            "kind": "audit-round", **base, "round": rounds, "size": size,
            "sample_sha256": polling_record.sample_hash(new),
        })  # fmt: skip
        votes = [paper(b) for b in new]
        chunk = polling_record.BALLOTS_PER_ENTRY
        signed = []
        for start in range(0, len(new), chunk):
            entry = {"kind": "audit-ballots", **base, "round": rounds,
                     "sample": new[start : start + chunk], "votes": votes[start : start + chunk]}  # fmt: skip
            sigs = [
                {"member": m, "signature": sign(k, COUNT_PURPOSE, entry)} for m, k in keys.board
            ]
            signed.append({**entry, "signatures": sigs})
        record_audit_entries(db, election.id, signed)
        drawn.extend(new)
        for v in votes:
            seen[v] = seen.get(v, 0) + 1
        measured = polling_record.risks(asserted, totals, seen, len(drawn))
        worst = max(measured.values(), default=0.0)
        if worst <= alpha:
            decision = "confirmed"
        elif rounds == MAX_ROUNDS or 2 * size > totals.ballots:
            decision = "full-count"  # the sample would be as large as a hand count of every ballot
        decided = {
            "kind": "audit-decision", **base, "round": rounds,
            "risks": {k: risk_text(r) for k, r in measured.items()}, "decision": decision,
            "authority": keys.authority_id,
        }  # fmt: skip
        record_audit_entry(db, election.id, _signed(decided, keys.authority))
        size *= 2
    return PollingOutcome(contest.id, totals.ballots, rounds, len(drawn), decision, worst)


def _first_round(
    totals: polling_record.Reported,
    asserted: list[polling_record.PollingAssertion],
    alpha: float,
) -> int:
    """The draws that confirm every assertion in one round with probability 90 %."""
    sizes = []
    for a in asserted:
        v_w = totals.votes[a.winner]
        v_l = totals.ballots - v_w if a.loser is None else totals.votes[a.loser]
        if v_l >= v_w:
            return totals.ballots
        if polling.pair_asn(v_w, v_l, totals.ballots, alpha) > totals.ballots:
            return totals.ballots
        sizes.append(
            completion.bravo_pair_size(v_w, v_l, totals.ballots, alpha, 0.9, cap=totals.ballots)
        )
    return max(1, min(max(sizes, default=1), totals.ballots))


def _signed(entry: dict[str, Any], key: Any) -> dict[str, Any]:
    return {**entry, "signature": sign(key, AUDIT_PURPOSE, entry)}
