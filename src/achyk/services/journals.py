"""Offline stations: a device that lost its link keeps a signed journal and syncs it later.

Each entry is judged by the same rule as an online check-in (:func:`achyk.domain.register.decide`),
but an offline station could not refuse a voter who had already voted elsewhere: such a voter
becomes a double-vote incident holding both records, for the commission to act on. The same
journal synced twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from achyk.canonical import canonical_hash
from achyk.domain.bounded_json import JsonLimits, read_json
from achyk.domain.register import (
    ELECTION_TZ,
    JOURNAL_PURPOSE,
    Channel,
    MatchResult,
    Refusal,
    decide,
    refusal_message,
)
from achyk.errors import InputError, NotFoundError, Problem
from achyk.services.checkin import device_keys, open_stations, voter_hasher
from achyk.services.commit_group import writer_lock
from achyk.signing import verify
from achyk.store.database import Database
from achyk.store.journal_repo import JournalRepo
from achyk.store.register_repo import RegisterRepo, StoredCheckin


@dataclass(frozen=True)
class DoubleVote:
    voter_hash: str
    first: StoredCheckin
    second: StoredCheckin

    def describe(self) -> str:
        def one(c: StoredCheckin) -> str:
            return (
                f"station {c.station_id} ({c.channel.value}, {c.device_id}) at {c.at.isoformat()}"
            )

        return f"voter {self.voter_hash[:12]}… checked in at {one(self.first)} and at {one(self.second)}"


@dataclass(frozen=True)
class JournalReport:
    journal_hash: str
    duplicate: bool  # the very same journal was synced before: nothing changed
    accepted: int
    already_recorded: int
    double_votes: tuple[DoubleVote, ...]
    refused: tuple[tuple[int, Refusal, str], ...]


Entry = tuple[int, str, datetime, Channel, MatchResult]  # index in the journal, and its fields


def _journal_entries(doc: Any) -> tuple[list[Entry], list[Problem]]:
    """The readable entries, and a problem for each one that is not: one malformed entry never
    takes its journal down (it is recorded as a refusal; the others are judged)."""
    problems: list[Problem] = []
    out: list[Entry] = []
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise InputError("journal", [Problem("entries", "must be a list")])
    for i, e in enumerate(entries):
        try:
            bio = e["biometric"]
            at = datetime.fromisoformat(e["at"])
            if at.tzinfo is None:
                raise ValueError("time without a zone")
            out.append((i, str(e["personal_number"]), at, Channel(e.get("channel", "station")),
                        MatchResult(bool(bio["matched"]), float(bio["score"]))))  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            problems.append(Problem(f"entries[{i}]", f"malformed ({type(err).__name__})"))
    return out, problems


# A device's day offline: a few thousand check-ins of ~150 bytes each.
JOURNAL_LIMITS = JsonLimits(max_bytes=16 << 20, max_depth=8, max_string=4_096, max_fields=64,
                            max_items=100_000)  # fmt: skip


def sync_journal(
    db: Database, election_id: str, raw: bytes, secret: bytes, *, tz: tzinfo = ELECTION_TZ
) -> JournalReport:
    """Record an offline device's signed journal: ``{"journal": {...}, "device", "signature"}``."""
    envelope, problems = read_json(raw, JOURNAL_LIMITS)  # NaN, 2^53, depth… refused by name
    if problems:
        raise InputError("journal", problems)
    try:
        doc, device_id, signature = envelope["journal"], envelope["device"], envelope["signature"]
        station_id = doc["station"]
    except (KeyError, TypeError):
        raise InputError("journal", [Problem("", "not a signed journal envelope")]) from None
    if not isinstance(doc, dict) or not isinstance(station_id, str):
        raise InputError("journal", [Problem("journal", "not a signed journal")])
    if doc.get("election") != election_id:
        raise InputError("journal", [Problem("election", f"is not {election_id}")])
    owner = device_keys(db, election_id).get(str(device_id))
    if owner is None or owner[0] != station_id:
        raise NotFoundError(f"{device_id!r} is not a registered device of station {station_id}")
    verify(owner[1], JOURNAL_PURPOSE, doc, str(signature))
    entries, malformed = _journal_entries(doc)
    digest = canonical_hash(doc)
    hasher = voter_hasher(secret)
    open_here = station_id in open_stations(db, election_id)
    accepted = already = 0
    doubles: list[DoubleVote] = []
    refused: list[tuple[int, Refusal, str]] = []
    with writer_lock(db), db.session() as s:
        repo = RegisterRepo(s, election_id)
        journals = JournalRepo(s, election_id)
        if journals.journal_seen(digest):
            return JournalReport(digest, True, 0, 0, (), ())
        refusal_rows: list[dict[str, Any]] = []
        for p in malformed:  # kept as refusals with their place in the journal
            i = int(p.where.removeprefix("entries[").rstrip("]"))
            message = f"{refusal_message(Refusal.MALFORMED)}: {p.what}"
            refused.append((i, Refusal.MALFORMED, message))
            refusal_rows.append({"station_id": station_id, "device_id": device_id,
                                 "voter_hash": None, "reason": Refusal.MALFORMED.value,
                                 "message": message})  # fmt: skip
        for i, number, at, channel, match in entries:
            voter = hasher(number.strip())
            home = repo.station_of(voter)
            if (
                home is not None
                and (home == station_id or open_here)
                and match.matched
                and repo.insert_checkin(
                    voter, station_id, channel, device_id, at, at.astimezone(tz).hour, offline=True
                )
            ):
                accepted += 1
                continue
            held = repo.checkin_of(voter)
            mine = StoredCheckin(station_id, channel, device_id, at.astimezone(UTC))
            if held is not None and home is not None and match.matched:
                if held == mine:
                    already += 1
                    continue
                a, b = sorted((held, mine), key=lambda c: c.at)
                journals.add_double_vote(voter, a, b, digest)
                doubles.append(DoubleVote(voter.hex(), a, b))
                continue
            d = decide(home, station_id, held.prior() if held else None, match,
                       open_here=open_here)  # fmt: skip
            reason = d.reason or Refusal.ALREADY_VOTED
            refused.append((i, reason, d.message))
            refusal_rows.append({"station_id": station_id, "device_id": device_id,
                                 "voter_hash": voter, "reason": reason.value,
                                 "message": d.message})  # fmt: skip
        repo.add_refusals(refusal_rows)
        journals.add_journal(device_id, station_id, digest, len(entries) + len(malformed),
                         str(signature))  # fmt: skip
    return JournalReport(digest, False, accepted, already, tuple(doubles), tuple(sorted(refused)))
