"""Receiving station protocols: examine, then accept, recognise a duplicate, or keep as evidence.

Nothing is dropped: a rejected or conflicting submission is stored whole with its reasons. Resending the
same protocol is idempotent; a different protocol for a filled slot (station, contest, kind) is a
conflict and never overwrites what was accepted — corrections are their own, signed act.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from achyk.canonical import canonical_json
from achyk.domain.correction import examine_correction
from achyk.domain.definition import DeviceRole, Election
from achyk.domain.protocol import ProtocolKind
from achyk.domain.submission import Examined, examine, parse_envelope
from achyk.domain.tally import Folded, protocol_vector
from achyk.errors import NotFoundError, Problem
from achyk.ledger import leaf_hash
from achyk.services.elections import get_election
from achyk.services.evidence import Kept, kept_refusal
from achyk.services.ledger import Encoded, append_encoded, append_entries
from achyk.services.tally import chains_of, record_folded, record_protocols
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
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
    # Accepted and counted, but breaking a relation the election's form flags (an anomaly).
    flags: tuple[Problem, ...] = ()
    log_index: int | None = None  # the log entry this submission became (none for a duplicate)

    def describe(self) -> str:
        where = f"station {self.station_id}" if self.station_id else self.source
        slot = f" {self.contest_id}/{self.kind}" if self.contest_id else ""
        head = f"{where}{slot}: {self.outcome.value}"
        return (
            head
            + "".join(f"\n  {p}" for p in self.problems)
            + "".join(f"\n  flagged: {p}" for p in self.flags)
        )


def submit_protocol(db: Database, election_id: str | None, raw: bytes, source: str) -> Receipt:
    return submit_protocols(db, election_id, [(source, raw)])[0]


# Called inside the transaction with the receipts, before it commits (a transmission's answer).
Record = Callable[[Session, list["Receipt"]], None]


@dataclass(frozen=True)
class Examination:
    """One submission examined — parsed, shape and relations checked, signature verified — with
    nothing read from the database, so that it can run in a worker process. What the slot holds
    is judged afterwards, by the one writer (:func:`record_examined`)."""

    source: str
    raw: bytes
    examined: Examined | None  # None: not an envelope at all, or it could not be examined
    problems: tuple[Problem, ...] = ()  # why `examined` is None
    # Signed by a device registered as a backup: judged again in the writer's transaction,
    # against the device switches stored at that moment (one may have been recorded meanwhile).
    backup_signed: bool = False
    # Of a protocol that passed every check, made here (in parallel) rather than by the one
    # writer: its log entry should it be accepted (RFC 8785, the bytes `protocol_entry` gives),
    # that entry's RFC 9162 leaf hash, and its figures as the running totals fold them
    # (achyk.domain.tally.protocol_vector). None: the writer makes them itself.
    entry: bytes | None = None
    leaf: bytes | None = None
    vector: tuple[int, ...] | None = None

    def for_writer(self) -> Examination | Passed:
        """This examination as it is handed to the writer: a :class:`Passed` for a protocol that
        passed every check and was given its entry and vector here; itself otherwise."""
        e = self.examined
        p = e.protocol if e is not None and e.ok else None
        if e is None or p is None or self.entry is None or self.vector is None:
            return self
        return Passed(self.source, self.raw, p.station_id, p.contest_id, p.kind.value,
                      e.document_hash, (e.canonical or b"").decode(), e.device_id, e.signature,
                      e.flags, self.backup_signed, self.entry, self.leaf, self.vector)  # fmt: skip


class Passed(NamedTuple):
    """An examination whose protocol passed every check, with only what the one writer uses to
    judge its slot and write it (:meth:`Examination.for_writer`). The form in which examiner
    processes hand such a protocol over: a tuple of str, bytes and ints, which pickle writes and
    reads without the per-field bookkeeping of the Examination's three dataclasses and of the
    parsed Protocol, which the writer never reads (made, pickled and read back: a third of the
    instructions)."""

    source: str
    raw: bytes  # examined again by the writer should it be signed by a backup device
    station_id: str
    contest_id: str
    kind: str  # a ProtocolKind's value
    document_hash: str | None
    document: str  # the protocol's RFC 8785 text, as its row stores it
    device_id: str | None
    signature: str | None
    flags: tuple[Problem, ...]
    backup_signed: bool
    entry: bytes  # its log entry, should it be accepted (`protocol_entry`)
    leaf: bytes | None  # that entry's leaf hash (None: the log makes it)
    vector: tuple[int, ...]  # its figures as the running totals fold them (protocol_vector)


def protocol_entry(election_id: str, examined: Examined) -> bytes:
    """The log entry of an accepted protocol, in its canonical bytes."""
    return canonical_json(
        {"kind": "protocol", "election": election_id, "protocol": examined.canonical,
         "device": examined.device_id, "signature": examined.signature}
    )  # fmt: skip


def _signed_by_backup(election: Election, envelope: Mapping[str, Any]) -> bool:
    doc, device_id = envelope.get("protocol"), envelope.get("device")
    station_id = doc.get("station") if isinstance(doc, dict) else None
    place = election.place(station_id) if isinstance(station_id, str) else None
    device = place.station.device(device_id) if place and isinstance(device_id, str) else None
    return device is not None and device.role is DeviceRole.BACKUP


def examine_submissions(
    election: Election,
    submissions: Sequence[tuple[str, bytes]],
    backups: Mapping[str, Collection[str]],
) -> list[Examination]:
    """Examine each submission on its own (pure: the worker processes run this)."""
    return [examine_submission(election, source, raw, backups) for source, raw in submissions]


def examine_submission(
    election: Election, source: str, raw: bytes, backups: Mapping[str, Collection[str]],
    parsed: tuple[dict[str, Any] | None, list[Problem]] | None = None,
) -> Examination:  # fmt: skip
    """Examine one submission (`parsed`: its envelope, when the caller has parsed it already)."""
    envelope, problems = parse_envelope(raw) if parsed is None else parsed
    if envelope is None:
        return Examination(source, raw, None, tuple(problems))
    try:
        # An accepted protocol is judged by its Protocol from here on: the parsed document is
        # not carried back from a worker process.
        examined = examine(election, envelope, backups, keep_accepted_document=False)
        backup = _signed_by_backup(election, envelope)
        p = examined.protocol
        if not examined.ok or p is None:
            return Examination(source, raw, examined, backup_signed=backup)
        entry = protocol_entry(election.id, examined)
        vector = tuple(protocol_vector(p, chains_of(election).orders[p.contest_id]))
        return Examination(source, raw, examined, backup_signed=backup, entry=entry,
                           leaf=leaf_hash(entry), vector=vector)  # fmt: skip
    except Exception as err:  # a submission that breaks the examiner is refused, not fatal
        problem = Problem("", f"could not be examined ({type(err).__name__})")
        return Examination(source, raw, None, (problem,))


def submit_protocols(
    db: Database,
    election_id: str | None,
    submissions: Sequence[tuple[str, bytes]],
    *,
    record: Record | None = None,
) -> list[Receipt]:
    """Receive a batch in one transaction (the demo and bulk imports); receipts in input order."""
    election = get_election(db, election_id)
    with db.read() as s:
        backups = DeviceSwitches(s).active_backups(election.id)
    return record_examined(db, election, examine_submissions(election, submissions, backups),
                           record=record)  # fmt: skip


def record_examined(
    db: Database,
    election: Election,
    examinations: Sequence[Examination | Passed],
    *,
    record: Record | None = None,
) -> list[Receipt]:
    """Judge examined submissions against what is stored and write them, in one transaction:
    the log entries, the protocol and refusal rows, the running totals. Receipts in input order."""
    try:
        return _record(db, election, examinations, record)
    except IntegrityError:
        # Another writer filled a slot between our read and our write: redo one at a time so
        # each submission is judged against what is really stored.
        return [r for item in examinations for r in _record(db, election, [item], record)]


@dataclass
class _Judged:
    """A batch judged against what is stored, before anything is written."""

    receipts: list[Receipt] = field(default_factory=list)
    entries: list[Encoded] = field(default_factory=list)  # log entries, in input order
    # One per "protocol" entry: the row as Protocols.add_rows takes it, the protocol as the
    # running totals fold it.
    accepted: list[tuple[object, ...]] = field(default_factory=list)
    folded: list[Folded] = field(default_factory=list)
    refused: list[tuple[Kept, int | None]] = field(default_factory=list)  # with its log index


def _passed(election: Election, x: Examination | Passed) -> Examination | Passed:
    """`x` as the writer judges it: a :class:`Passed` for a protocol that passed every check
    (its entry and vector made here if the examiner did not), the refused Examination itself."""
    if isinstance(x, Passed):
        return x
    if x.entry is not None and x.vector is not None:
        return x.for_writer()
    e = x.examined
    p = e.protocol if e is not None and e.ok else None
    if e is None or p is None:
        return x
    vector = x.vector
    if vector is None:
        vector = tuple(protocol_vector(p, chains_of(election).orders[p.contest_id]))
    # the leaf goes with the entry it was made of, never with one made here
    entry, leaf = (
        (x.entry, x.leaf) if x.entry is not None else (protocol_entry(election.id, e), None)
    )
    return replace(x, entry=entry, leaf=leaf, vector=vector).for_writer()


def _judge(
    s: Session,
    election: Election,
    examinations: Sequence[Examination | Passed],
    first: int | None = None,
) -> _Judged:
    """Judge examined submissions against what the session holds, writing nothing: `_record`
    writes what this returns, and `examine_protocols` (a dry run) only shows it. `first`: the
    log index the first entry will have (the head locked), None for a dry run."""
    out = _Judged()
    if any(x.backup_signed for x in examinations):
        backups = DeviceSwitches(s).active_backups(election.id)
        examinations = [
            examine_submissions(election, [(x.source, x.raw)], backups)[0]
            if x.backup_signed else x
            for x in examinations
        ]  # fmt: skip
    judged = [_passed(election, x) for x in examinations]
    slots = Protocols(s).slots(election.id, {x.station_id for x in judged if isinstance(x, Passed)})
    receipts, entries = out.receipts, out.entries
    accepted, folded = out.accepted, out.folded
    official = ProtocolKind.OFFICIAL.value

    def at() -> int | None:  # the log index of the entry appended next
        return None if first is None else first + len(entries)

    def refuse(
        source: str, raw: bytes, station: str | None, problems: Sequence[Problem]
    ) -> int | None:
        kept = kept_refusal(election.id, source, station, raw, problems)
        index = at()
        out.refused.append((kept, index))
        entries.append(Encoded("rejection", canonical_json(kept.entry)))
        return index

    for x in judged:
        if not isinstance(x, Passed):
            source, raw, result = x.source, x.raw, x.examined
            if result is None:
                index = refuse(source, raw, None, x.problems)
                receipts.append(Receipt(source, Outcome.REJECTED, None, None, None, None,
                                        x.problems, log_index=index))  # fmt: skip
                continue
            doc = result.document or {}
            contest_id = doc.get("contest") if isinstance(doc.get("contest"), str) else None
            kind = doc.get("kind") if isinstance(doc.get("kind"), str) else None
            index = refuse(source, raw, result.station_id, result.problems)
            receipts.append(Receipt(source, Outcome.REJECTED, result.station_id, contest_id,
                                    kind, result.document_hash, result.problems,
                                    log_index=index))  # fmt: skip
            continue
        (source, raw, station_id, contest_id, kind, document_hash, document, device_id,
         signature, flags, _, entry, leaf, vector) = x  # fmt: skip
        slot = (station_id, contest_id, kind)
        held = slots.get(slot)
        if held == document_hash:
            receipts.append(Receipt(source, Outcome.DUPLICATE, *slot, held))
            continue
        if held is not None:
            problem = Problem(
                f"station {station_id} {contest_id}/{kind}",
                f"already holds protocol {held[:16]}…; this one is "
                f"{(document_hash or '')[:16]}… (a correction must be filed as one)",
            )
            index = refuse(source, raw, station_id, [problem])
            receipts.append(Receipt(source, Outcome.CONFLICT, *slot, document_hash,
                                    (problem,), log_index=index))  # fmt: skip
            continue
        slots[slot] = document_hash or ""
        index = at()
        entries.append(Encoded("protocol", entry, leaf))
        accepted.append((station_id, contest_id, kind, document, document_hash, device_id,
                         signature, index))  # fmt: skip
        folded.append((station_id, contest_id, kind == official, vector))
        receipts.append(Receipt(source, Outcome.ACCEPTED, *slot, document_hash, flags=flags,
                                log_index=index))  # fmt: skip
    return out


def examine_protocols(
    db: Database, election_id: str | None, submissions: Sequence[tuple[str, bytes]]
) -> list[Receipt]:
    """A dry run of `submit_protocols`: the same judgement (signature, form, duplicates and
    conflicts with what is accepted, and within the batch), in a read-only transaction. Nothing is
    written — no log entry, no evidence, no totals; the receipts carry no log index."""
    election = get_election(db, election_id)
    with db.read() as s:
        backups = DeviceSwitches(s).active_backups(election.id)
        return _judge(s, election, examine_submissions(election, submissions, backups)).receipts


def _record(
    db: Database,
    election: Election,
    examinations: Sequence[Examination | Passed],
    record: Record | None = None,
) -> list[Receipt]:
    with db.session() as s:
        # The head first: the entries' indexes are then known as the batch is judged.
        head = LogStore(s, election.id).lock_head()
        judged = _judge(s, election, examinations, head[0])
        append_encoded(s, election.id, judged.entries, head=head)
        rejections = Rejections(s)
        for k, index in judged.refused:
            rejections.add(election.id, k.station, k.source, k.evidence, k.raw_hash,
                           k.reasons, index)  # fmt: skip
        record_folded(s, election, judged.accepted, judged.folded)
        if record is not None:
            record(s, judged.receipts)
    return judged.receipts


def correct_protocol(
    db: Database, election_id: str | None, raw: bytes, source: str = "correction"
) -> Receipt:
    """File a CEC correction: a signed, reasoned new entry that supersedes a slot's protocol.

    The envelope: `{"protocol": {...}, "supersedes": "<document hash>", "reason": "...",
    "authority": "<authority id>", "signature": "<base64>"}`, signed by the authority's key over
    `achyk/correction/v1` + RFC 8785 of {protocol, supersedes, reason}. The old protocol stays in
    the log and in the station's history; the figures change only through this visible entry.
    """
    election = get_election(db, election_id)
    envelope, problems = parse_envelope(raw)
    examined = examine_correction(election, envelope) if envelope is not None else None
    if examined is not None:
        problems = list(examined.problems)
    with db.session() as s:
        protocols = Protocols(s)
        doc = (envelope or {}).get("protocol") if envelope else None
        station = doc.get("station") if isinstance(doc, dict) else None
        if examined is not None and examined.protocol is not None and not problems:
            p = examined.protocol
            current = protocols.current(election.id, p.station_id, p.contest_id, p.kind.value)
            if current is None:
                problems = [Problem("supersedes", "there is no protocol in this slot to correct")]
            elif current.document_hash != examined.supersedes:
                problems = [Problem("supersedes", f"the slot holds {current.document_hash[:16]}…, "
                                    f"not {examined.supersedes[:16]}…")]  # fmt: skip
        if problems or examined is None or examined.protocol is None:
            k = kept_refusal(election.id, source, station, raw, problems)
            [index] = append_entries(s, election.id, [k.entry])
            Rejections(s).add(election.id, k.station, k.source, k.evidence, k.raw_hash,
                              k.reasons, index)  # fmt: skip
            return Receipt(source, Outcome.REJECTED, k.station, None, None, None,
                           tuple(problems))  # fmt: skip
        assert current is not None and envelope is not None
        p = examined.protocol
        [index] = append_entries(s, election.id, [
            {"kind": "correction", "election": election.id, "supersedes": current.log_index,
             "supersedes_hash": current.document_hash, "protocol": envelope["protocol"],
             "reason": envelope["reason"], "authority": envelope["authority"],
             "signature": envelope["signature"]}
        ])  # fmt: skip
        current.superseded = True
        s.flush()
        record_protocols(s, election, [
            {"station_id": p.station_id, "contest_id": p.contest_id, "kind": p.kind.value,
             "document": canonical_json(envelope["protocol"]).decode(),
             "document_hash": examined.document_hash, "device_id": None,
             "signature": envelope["signature"], "superseded": False, "log_index": index,
             "correction_reason": envelope["reason"]}
        ], [p])  # fmt: skip
        return Receipt(source, Outcome.ACCEPTED, p.station_id, p.contest_id, p.kind.value,
                       examined.document_hash)  # fmt: skip


def current_protocol_hash(
    db: Database, election_id: str | None, station_id: str, contest_id: str, kind: str
) -> str:
    """The document hash a correction of this slot must name as the one it supersedes."""
    election = get_election(db, election_id)
    with db.read() as s:
        row = Protocols(s).current(election.id, station_id, contest_id, kind)
    if row is None:
        raise NotFoundError(f"no accepted {kind} protocol for station {station_id} {contest_id}")
    return row.document_hash


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
        append_entries(s, election.id, [
            {"kind": "device-switch", "election": election.id, "station": station_id,
             "from": from_device, "to": to_device, "reason": reason}
        ])  # fmt: skip
