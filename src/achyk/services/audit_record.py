"""Recording an audit: each entry judged against the log so far, then appended — or kept as a rejection.

The judge is :class:`achyk.audit.record.AuditChecker`, the same code ``achyk verify`` replays,
fed from the log itself (protocol and correction entries give the counted protocols at the
seed's place; they were checked on the way in). Signing happens elsewhere: the CEC's authority
key signs seeds and decisions, board members sign hand counts, each on their own machine.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from achyk.audit.record import AUDIT_KINDS, AuditChecker, counted_now
from achyk.canonical import canonical_json, sha256_hex
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.errors import InputError, Problem
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries, entries, log_size
from achyk.store.database import Database
from achyk.store.repositories import Rejections


@dataclass
class _State:
    size: int = 0
    checker: AuditChecker | None = None
    slots: dict[tuple[str, str, str], Protocol] = field(default_factory=dict)


_states: dict[tuple[str, str], _State] = {}


def _advance(db: Database, election: Election) -> _State:
    """The audit state after every entry of the log (cached, read on from where it stopped)."""
    key = (db.engine.url.render_as_string(hide_password=False), election.id)
    state = _states.get(key)
    if state is None or state.checker is None or state.checker.election != election:
        state = _states[key] = _State(checker=AuditChecker(election))
    head = log_size(db, election.id)
    if head < state.size:  # another log under the same name (a test database reused)
        state = _states[key] = _State(checker=AuditChecker(election))
    assert state.checker is not None
    step = 2000
    for start in range(state.size, head, step):
        for text in entries(db, election.id, start, min(head, start + step)):
            entry = json.loads(text)
            kind = entry.get("kind")
            if kind in ("protocol", "correction"):
                p, _ = protocol_from_json(entry.get("protocol"))
                if p is not None:
                    state.slots[(p.station_id, p.contest_id, p.kind.value)] = p
            elif kind in AUDIT_KINDS:
                counted = counted_now(list(state.slots.values())) if kind == "audit-seed" else {}
                state.checker.check(entry, counted)
    state.size = head
    return state


def audit_checker(db: Database, election_id: str | None = None) -> AuditChecker:
    """The audit as the log has it now (read-only copy)."""
    election = get_election(db, election_id)
    checker = _advance(db, election).checker
    assert checker is not None
    return copy.deepcopy(checker)


def counted_protocols(
    db: Database, election_id: str | None = None
) -> dict[tuple[str, str], Protocol]:
    """(station, contest) → the counted protocol, as the log has it now."""
    election = get_election(db, election_id)
    return counted_now(list(_advance(db, election).slots.values()))


def record_audit_entry(
    db: Database, election_id: str | None, entry: dict[str, Any], source: str = "audit"
) -> int:
    """Judge and append one audit entry; a refused entry is kept as a rejection and raised."""
    return record_audit_entries(db, election_id, [entry], source)[0]


def record_audit_entries(
    db: Database, election_id: str | None, batch: list[dict[str, Any]], source: str = "audit"
) -> list[int]:
    """Judge entries in order and append them in one transaction (a board's counts of a round).

    At the first refused entry, the ones before it are appended, the refused one is kept as a
    rejection with its reasons, the rest are not looked at, and InputError is raised.
    """
    election = get_election(db, election_id)
    key = (db.engine.url.render_as_string(hide_password=False), election.id)
    state = _advance(db, election)
    checker = state.checker
    assert checker is not None
    accepted: list[dict[str, Any]] = []
    problems: list[str] = []
    refused: dict[str, Any] = {}
    for raw_entry in batch:
        entry = {**raw_entry, "election": election.id}
        if entry.get("kind") not in AUDIT_KINDS:
            problems = [f"not an audit entry kind: {entry.get('kind')!r}"]
        else:
            counted = (
                counted_now(list(state.slots.values())) if entry["kind"] == "audit-seed" else {}
            )
            problems = checker.check(entry, counted)  # changes the checker only when accepted
        if problems:
            refused = entry
            break
        accepted.append(entry)
    written: list[dict[str, Any]] = list(accepted)
    if problems:
        raw = canonical_json(refused)
        written.append({
            "kind": "rejection", "election": election.id, "source": source,
            "station": refused.get("station") if isinstance(refused.get("station"), str) else None,
            "submission_sha256": sha256_hex(raw), "reasons": problems,
        })  # fmt: skip
    try:
        with db.session() as s:
            indexes = append_entries(s, election.id, written)
            if problems:
                Rejections(s).add(
                    election.id, None, source, raw, sha256_hex(raw), problems, indexes[-1]
                )
    except BaseException:
        _states.pop(key, None)  # the checker saw entries the log does not hold
        raise
    if indexes and indexes[0] == state.size:
        state.size = indexes[-1] + 1  # nobody wrote in between: the checker matches the log
    else:
        _states.pop(key, None)
    if problems:
        raise InputError(
            f"audit entry (kept as rejection, log entry {indexes[-1]})",
            [Problem("", p) for p in problems],
        )
    return indexes
