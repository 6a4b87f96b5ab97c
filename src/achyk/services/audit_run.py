"""An audit from seed to decision, as a CEC and its audit boards would run it (demo, tests, bench).

The signing keys are passed in: in a real audit each member signs on their own machine and only
the signed entries reach the server; the simulation holds every key itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.audit import sampling
from achyk.audit.batch import Batch
from achyk.audit.party_list import batches, plan, risks
from achyk.audit.record import AUDIT_PURPOSE, COUNT_PURPOSE, risk_text
from achyk.errors import NotFoundError
from achyk.services.audit_record import (
    counted_protocols,
    record_audit_entries,
    record_audit_entry,
)
from achyk.services.elections import get_election
from achyk.signing import sign
from achyk.store.database import Database

Paper = Callable[[str], tuple[dict[str, int], int]]  # station → the board's count: votes, invalid


@dataclass(frozen=True)
class AuditKeys:
    authority_id: str
    authority: Ed25519PrivateKey
    board: tuple[tuple[str, Ed25519PrivateKey], ...]  # members of one board (different parties)


@dataclass(frozen=True)
class AuditOutcome:
    contest_id: str
    stations: int  # population
    rounds: int
    counted: int  # stations hand-counted
    decision: str
    risk: float  # the largest assertion risk at the end
    discrepancies: int  # counted stations whose hand count differs from the reported count


def _signed(entry: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {**entry, "signature": sign(key, AUDIT_PURPOSE, entry)}


def run_audit(
    db: Database,
    election_id: str | None,
    contest_id: str,
    seed: str,
    risk_limit_pct: str,
    keys: AuditKeys,
    paper: Paper,
    witnesses: Sequence[str] = (),
) -> AuditOutcome:
    election = get_election(db, election_id)
    contest = election.contest(contest_id)
    if contest is None:
        raise NotFoundError(f"no contest {contest_id!r} in election {election.id}")
    counted = counted_protocols(db, election.id)
    reported = batches(
        election, contest, {s: p for (s, c), p in counted.items() if c == contest.id}
    )
    population = [b.id for b in reported if b.paper]
    alpha = float(Decimal(risk_limit_pct)) / 100
    base = {"election": election.id, "contest": contest.id}
    seed_entry = {
        "kind": "audit-seed", **base, "seed": seed, "risk_limit": risk_limit_pct,
        "population": population, "witnesses": list(witnesses), "authority": keys.authority_id,
    }  # fmt: skip
    record_audit_entry(db, election.id, _signed(seed_entry, keys.authority))
    size = max(1, max((p.expected for p in plan(contest, reported, alpha)), default=1))
    by_id = {b.id: b for b in reported}
    drawn: list[str] = []
    actual: dict[str, Batch] = {}
    rounds, decision, worst, differ = 0, "continue", 1.0, 0
    while decision == "continue":
        rounds += 1
        size = min(size, len(population))
        new = sampling.draw(seed, population, size)[len(drawn) :]
        record_audit_entry(
            db,
            election.id,
            {"kind": "audit-round", **base, "round": rounds, "size": size, "sample": new},
        )
        counts = []
        for station in new:
            votes, invalid = paper(station)
            entry = {
                "kind": "audit-count",
                **base,
                "station": station,
                "votes": votes,
                "invalid": invalid,
            }
            sigs = [
                {"member": m, "signature": sign(k, COUNT_PURPOSE, entry)} for m, k in keys.board
            ]
            counts.append({**entry, "signatures": sigs})
            actual[station] = Batch(station, by_id[station].region, votes, invalid)
            differ += (votes, invalid) != (dict(by_id[station].votes), by_id[station].invalid)
        for start in range(0, len(counts), 500):  # the boards' counts of a round, in batches
            record_audit_entries(db, election.id, counts[start : start + 500])
        drawn.extend(new)
        measured = risks(contest, reported, drawn, actual)
        worst = max((r.risk for r in measured), default=0.0)
        if worst <= alpha:
            decision = "confirmed"
        elif len(drawn) == len(population):
            decision = "full-count"
        decided = {
            "kind": "audit-decision", **base, "round": rounds,
            "risks": {r.id: risk_text(r.risk) for r in measured}, "decision": decision,
            "authority": keys.authority_id,
        }  # fmt: skip
        record_audit_entry(db, election.id, _signed(decided, keys.authority))
        size = 2 * size
    return AuditOutcome(contest.id, len(population), rounds, len(drawn), decision, worst, differ)


def board_paper(
    db: Database, election_id: str | None, contest_id: str, misread_every: int = 25
) -> Paper:
    """The paper of an honest election as an audit board counts it: the counted protocol, except
    that at every ``misread_every``-th station (by id) the board reads one ballot for the next party
    — the honest discrepancies a real audit finds and records."""
    counted = counted_protocols(db, election_id)

    def paper(station: str) -> tuple[dict[str, int], int]:
        p = counted[(station, contest_id)]
        votes = dict(p.votes)
        if (
            misread_every
            and int("".join(c for c in station if c.isdigit()) or 0) % misread_every == 0
        ):
            first, second = list(votes)[:2]
            if votes[first]:
                votes[first] -= 1
                votes[second] += 1
        return votes, p.invalid

    return paper


def correct_from_full_count(
    db: Database, election_id: str | None, contest_id: str, paper: Paper, keys: AuditKeys
) -> list[str]:
    """After a full hand count: a CEC correction of every official protocol the paper contradicts.

    Only the votes (and with them valid, and ballots found in the stationary box) change; a
    correction that would break a control relation is refused and kept as evidence, like any.
    Returns the stations corrected.
    """
    from achyk.services.protocols import Outcome, correct_protocol, current_protocol_hash
    from achyk.signing import CORRECTION_PURPOSE

    election = get_election(db, election_id)
    corrected = []
    for (station, contest), p in sorted(counted_protocols(db, election.id).items()):
        if contest != contest_id or p.kind.value != "official":
            continue
        place = election.place(station)
        if place is None or place.station.remote:
            continue
        votes, invalid = paper(station)
        if (votes, invalid) == (dict(p.votes), p.invalid):
            continue
        doc = p.to_json()
        valid = sum(votes.values())
        doc.update(votes=votes, invalid=invalid, valid=valid,
                   found_stationary=valid + invalid - p.found_mobile)  # fmt: skip
        supersedes = current_protocol_hash(db, election.id, station, contest, "official")
        reason = f"full hand count by the audit boards (audit of contest {contest_id})"
        signed = {"protocol": doc, "supersedes": supersedes, "reason": reason}
        envelope = {**signed, "authority": keys.authority_id,
                    "signature": sign(keys.authority, CORRECTION_PURPOSE, signed)}  # fmt: skip
        receipt = correct_protocol(
            db, election.id, json.dumps(envelope).encode(), "audit-full-count"
        )
        if receipt.outcome is Outcome.ACCEPTED:
            corrected.append(station)
    return corrected
