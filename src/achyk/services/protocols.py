"""Receiving station protocols: examine, then accept, recognise a duplicate, or keep as evidence.

Nothing is dropped: a rejected or conflicting submission is stored whole with its reasons. Resending the
same protocol is idempotent; a different protocol for a filled slot (station, contest, kind) is a
conflict and never overwrites what was accepted — corrections are their own, signed act.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from achyk.canonical import canonical_json, sha256_hex
from achyk.domain.submission import examine, parse_envelope
from achyk.errors import NotFoundError, Problem
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.store.repositories import DeviceSwitches, Protocols, Rejections


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # the very same protocol was already accepted: nothing changes
    REJECTED = "rejected"  # broke a rule; kept as evidence
    CONFLICT = "conflict"  # the slot holds a different protocol; kept as evidence


@dataclass(frozen=True)
class Receipt:
    source: str
    outcome: Outcome
    station_id: str | None
    contest_id: str | None
    kind: str | None
    document_hash: str | None
    problems: tuple[Problem, ...] = ()

    def describe(self) -> str:
        where = f"station {self.station_id}" if self.station_id else self.source
        slot = f" {self.contest_id}/{self.kind}" if self.contest_id else ""
        head = f"{where}{slot}: {self.outcome.value}"
        return head + "".join(f"\n  {p}" for p in self.problems)


def submit_protocol(db: Database, election_id: str | None, raw: bytes, source: str) -> Receipt:
    return submit_protocols(db, election_id, [(source, raw)])[0]


def submit_protocols(
    db: Database, election_id: str | None, submissions: Sequence[tuple[str, bytes]]
) -> list[Receipt]:
    """Receive a batch in one transaction (the demo and bulk imports); receipts in input order."""
    election = get_election(db, election_id)
    try:
        return _submit(db, election.id, submissions)
    except IntegrityError:
        # Another writer filled a slot between our read and our write: redo one at a time so
        # each submission is judged against what is really stored.
        return [r for item in submissions for r in _submit(db, election.id, [item])]


def _submit(
    db: Database, election_id: str, submissions: Sequence[tuple[str, bytes]]
) -> list[Receipt]:
    election = get_election(db, election_id)
    receipts: list[Receipt] = []
    with db.session() as s:
        protocols, rejections = Protocols(s), Rejections(s)
        backups = DeviceSwitches(s).active_backups(election.id)
        examined = []
        for source, raw in submissions:
            envelope, problems = parse_envelope(raw)
            examined.append((source, raw, envelope, problems))
        stations = {
            str(env["protocol"].get("station"))
            for _, _, env, _ in examined
            if env is not None and isinstance(env.get("protocol"), dict)
        }
        slots = protocols.slots(election.id, stations if len(stations) < 500 else None)
        new_rows: list[dict[str, object]] = []
        for source, raw, envelope, problems in examined:
            if envelope is None:
                rejections.add(
                    election.id, None, source, raw, sha256_hex(raw), [str(p) for p in problems]
                )
                receipts.append(
                    Receipt(source, Outcome.REJECTED, None, None, None, None, tuple(problems))
                )
                continue
            result = examine(election, envelope, backups)
            doc = result.document or {}
            contest_id = doc.get("contest") if isinstance(doc.get("contest"), str) else None
            kind = doc.get("kind") if isinstance(doc.get("kind"), str) else None
            if not result.ok or result.protocol is None:
                rejections.add(
                    election.id,
                    result.station_id,
                    source,
                    raw,
                    sha256_hex(raw),
                    [str(p) for p in result.problems],
                )
                receipts.append(
                    Receipt(
                        source,
                        Outcome.REJECTED,
                        result.station_id,
                        contest_id,
                        kind,
                        result.document_hash,
                        result.problems,
                    )
                )
                continue
            p = result.protocol
            slot = (p.station_id, p.contest_id, p.kind.value)
            held = slots.get(slot)
            if held == result.document_hash:
                receipts.append(Receipt(source, Outcome.DUPLICATE, *slot, held))
                continue
            if held is not None:
                problem = Problem(
                    f"station {p.station_id} {p.contest_id}/{p.kind.value}",
                    f"already holds protocol {held[:16]}…; this one is "
                    f"{(result.document_hash or '')[:16]}… (a correction must be filed as one)",
                )
                rejections.add(
                    election.id, p.station_id, source, raw, sha256_hex(raw), [str(problem)]
                )
                receipts.append(
                    Receipt(source, Outcome.CONFLICT, *slot, result.document_hash, (problem,))
                )
                continue
            slots[slot] = result.document_hash or ""
            new_rows.append(
                {
                    "station_id": p.station_id,
                    "contest_id": p.contest_id,
                    "kind": p.kind.value,
                    "document": canonical_json(doc).decode(),
                    "document_hash": result.document_hash,
                    "device_id": result.device_id,
                    "signature": result.signature,
                }
            )
            receipts.append(Receipt(source, Outcome.ACCEPTED, *slot, result.document_hash))
        protocols.add_many(election.id, new_rows)
    return receipts


def record_device_switch(
    db: Database,
    election_id: str | None,
    station_id: str,
    from_device: str,
    to_device: str,
    reason: str,
) -> None:
    """A scanner failed and a registered backup took over: from now on the backup may sign."""
    election = get_election(db, election_id)
    place = election.place(station_id)
    if place is None:
        raise NotFoundError(f"no station {station_id!r} in election {election.id}")
    for device in (from_device, to_device):
        if place.station.device(device) is None:
            raise NotFoundError(f"{device!r} is not a registered device of station {station_id}")
    with db.session() as s:
        DeviceSwitches(s).add(election.id, station_id, from_device, to_device, reason)
