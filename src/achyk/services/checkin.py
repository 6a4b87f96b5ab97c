"""Check-in on election day: one person, one vote, across every station and channel.

Three ways in, one rule (:func:`achyk.domain.register.decide`) and one guarantee (the unique index
on the voter's hash in ``checkins``):

* :func:`check_in` — a station device, online, authenticated by :func:`authenticate` (its Ed25519
  key from the election definition; the request signed over method, path, body, timestamp, nonce);
* :func:`achyk.services.journals.sync_journal` — a device that was offline sends its signed
  journal later; a voter found checked in elsewhere becomes a double-vote incident;
* :func:`check_in_batch` — many check-ins judged in one SQL statement (the simulator and bulk
  replays; not exposed over HTTP, since it trusts its caller for device authentication).

Nothing stored links a check-in to a ballot: the row holds the voter's keyed hash, the station,
device, channel and time — no ballot number, no position in a queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache, partial
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from achyk.domain.definition import Election
from achyk.domain.personal_number import PersonalNumberError, parse_personal_number
from achyk.domain.register import (
    CHECKIN_PURPOSE,
    ELECTION_TZ,
    Channel,
    Decision,
    MatchResult,
    Refusal,
    VoterHasher,
    decide,
    refusal_message,
)
from achyk.domain.signed_request import STALE_AFTER_S, RequestAuthError, check_request
from achyk.errors import ConflictError
from achyk.services.commit_group import commit_group, writer_lock
from achyk.services.elections import get_election
from achyk.signing import load_public_key
from achyk.store.async_pg import close_pools
from achyk.store.checkin_statements import fast_checkin_async
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo, StoredCheckin
from achyk.store.timestamps import utc


class DeviceAuthError(RequestAuthError):
    """A device request that is not signed by a registered device of the station, or is replayed."""


@lru_cache(maxsize=16)
def voter_hasher(secret: bytes) -> VoterHasher:
    return VoterHasher(secret)


class _Rules(NamedTuple):
    election: Election
    keys: Mapping[str, tuple[str, Ed25519PublicKey]]  # device id → (its station, its key)
    open_to_all: frozenset[str]  # stations where any voter on the register may check in


# Derived once per loaded definition (which never changes), keyed by the Election object that
# get_election caches per engine: test schemas share one URL, so the URL is no key.
_rules: dict[int, _Rules] = {}


def _rules_of(db: Database, election_id: str) -> _Rules:
    election = get_election(db, election_id)
    found = _rules.get(id(election))
    if found is None or found.election is not election:
        keys = {
            d.id: (p.station.id, load_public_key(d.public_key))
            for p in election.stations()
            for d in p.station.devices
        }
        opened = frozenset(p.station.id for p in election.stations()
                           if election.open_to_all(p.station.id))  # fmt: skip
        found = _rules[id(election)] = _Rules(election, keys, opened)
    return found


def device_keys(db: Database, election_id: str) -> Mapping[str, tuple[str, Ed25519PublicKey]]:
    """device id → (its station, its public key)."""
    return _rules_of(db, election_id).keys


def open_stations(db: Database, election_id: str) -> frozenset[str]:
    """Stations where any voter on the register may check in (abroad, where the law says so)."""
    return _rules_of(db, election_id).open_to_all


def authenticate(
    db: Database,
    election_id: str,
    station_id: str,
    device_id: str,
    *,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    signature: str,
    now: datetime | None = None,
) -> None:
    """Raise DeviceAuthError unless a device of `station_id` signed this request just now.

    ``signature`` is the base64 of ``X-Signature``; the nonce is spent later, with the check-in.
    """
    entry = device_keys(db, election_id).get(device_id)
    if entry is None or entry[0] != station_id:
        raise DeviceAuthError(f"{device_id!r} is not a registered device of station {station_id}")
    try:
        check_request(
            entry[1], CHECKIN_PURPOSE, method=method, path=path, body=body, timestamp=timestamp,
            nonce=nonce, signature=signature, now=now,
        )  # fmt: skip
    except RequestAuthError as err:
        raise DeviceAuthError(str(err)) from None


# A replayed request carries its signed timestamp, which is accepted up to STALE_AFTER_S either
# side of the server clock: a nonce can come back at most 2 × STALE_AFTER_S after it was first
# seen. Kept a little longer than that, it can then be forgotten.
NONCES_KEPT_S = 3 * STALE_AFTER_S


def prune_spent_nonces(db: Database, *, now: datetime | None = None) -> int:
    """Forget nonces too old to be replayed (the signature check refuses such requests as stale)."""
    before = (now or datetime.now(UTC)) - timedelta(seconds=NONCES_KEPT_S)
    with writer_lock(db), db.session() as s:
        return RegisterRepo(s, "").prune_nonces(before)


@dataclass(frozen=True)
class CheckinOutcome:
    accepted: bool
    reason: Refusal | None
    message: str
    station_id: str
    at: datetime


def check_in(
    db: Database,
    election_id: str,
    station_id: str,
    device_id: str,
    personal_number: str,
    match: MatchResult,
    secret: bytes,
    *,
    channel: Channel = Channel.STATION,
    nonce: str | None = None,
    at: datetime | None = None,
    tz: tzinfo = ELECTION_TZ,
) -> CheckinOutcome:
    """:func:`check_in_async`, run to the end in an event loop of its own (for scripts and tests;
    the server awaits :func:`check_in_async` itself)."""

    async def once() -> CheckinOutcome:
        try:
            return await check_in_async(
                db, election_id, station_id, device_id, personal_number, match, secret,
                channel=channel, nonce=nonce, at=at, tz=tz,
            )  # fmt: skip
        finally:
            await close_pools()  # this loop's connections end with it

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(once())
    # Called from inside an event loop (a notebook, say): its own loop in another thread.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, once()).result()


async def check_in_async(
    db: Database,
    election_id: str,
    station_id: str,
    device_id: str,
    personal_number: str,
    match: MatchResult,
    secret: bytes,
    *,
    channel: Channel = Channel.STATION,
    nonce: str | None = None,
    at: datetime | None = None,
    tz: tzinfo = ELECTION_TZ,
) -> CheckinOutcome:
    """Issue a ballot, or refuse and say why; the nonce, if any, is spent with the outcome.

    The usual case, a voter on this station's list who has not voted, is one statement that
    spends the nonce and marks the voter together: on PostgreSQL awaited on an asyncio
    connection, on SQLite inside a group commit. Anything else (a refusal, which must explain
    itself and be recorded) takes the ordinary path, one transaction in a worker thread.
    """
    at = at or datetime.now(UTC)
    open_here = station_id in open_stations(db, election_id)
    voter = _voter(personal_number, secret)
    if db.dialect == "postgresql" and nonce is not None and match.matched and voter is not None:
        fresh, marked = await fast_checkin_async(
            db.engine, election_id, voter, station_id, channel, device_id, at,
            at.astimezone(tz).hour, nonce, open_here,
        )  # fmt: skip
        if marked:
            return CheckinOutcome(True, None, "ballot issued", station_id, at)
        # Fresh: spent by this request, whose refusal the ordinary path explains and records
        # with the nonce. Not fresh: the ordinary path finds what the nonce was first answered.
        spent = fresh
    else:
        spent = False
    if db.dialect == "sqlite":  # one durable commit for the check-ins that arrive together
        return await commit_group(db).run(partial(
            _sqlite_unit, election_id=election_id, station_id=station_id, device_id=device_id,
            personal_number=personal_number, voter=voter, match=match, channel=channel,
            nonce=nonce, at=at, tz=tz, open_here=open_here,
        ))  # fmt: skip
    return await asyncio.to_thread(
        _judge, db, election_id, station_id, device_id, personal_number, voter, match, channel,
        nonce, at, tz, open_here, spent,
    )  # fmt: skip


def _voter(personal_number: str, secret: bytes) -> bytes | None:
    """The voter's keyed hash; None for something that is not a personal number."""
    try:
        parse_personal_number(personal_number)
    except PersonalNumberError:
        return None
    return voter_hasher(secret)(personal_number.strip())


def _number_problem(personal_number: str) -> str:
    """What is wrong with it, without a digit of it: the answer and the refusal row keep none."""
    try:
        parse_personal_number(personal_number)
    except PersonalNumberError as err:
        return f"not a valid personal number: {err.reason}"
    return "not a valid personal number"


def _judge(
    db: Database, election_id: str, station_id: str, device_id: str, personal_number: str,
    voter: bytes | None, match: MatchResult, channel: Channel, nonce: str | None, at: datetime,
    tz: tzinfo, open_here: bool, spent: bool = False,
) -> CheckinOutcome:  # fmt: skip
    """The ordinary path: one transaction that records the check-in or the refusal and its reason."""
    with writer_lock(db), db.session() as s:
        return _judge_in(s, election_id, station_id, device_id, personal_number, voter, match,
                         channel, nonce, at, tz, open_here, spent)  # fmt: skip


def _sqlite_unit(
    s: Session, election_id: str, station_id: str, device_id: str, personal_number: str,
    voter: bytes | None, match: MatchResult, channel: Channel, nonce: str | None, at: datetime,
    tz: tzinfo, open_here: bool,
) -> CheckinOutcome:  # fmt: skip
    """One check-in inside a commit group: the usual case in two plain statements, else judged."""
    if nonce is not None and match.matched and voter is not None:
        fresh, marked = RegisterRepo(s, election_id).spend_and_mark(
            voter, station_id, channel, device_id, at, at.astimezone(tz).hour, nonce, open_here
        )
        if marked:
            return CheckinOutcome(True, None, "ballot issued", station_id, at)
        return _judge_in(s, election_id, station_id, device_id, personal_number, voter, match,
                         channel, nonce, at, tz, open_here, spent=fresh)  # fmt: skip
    return _judge_in(s, election_id, station_id, device_id, personal_number, voter, match,
                     channel, nonce, at, tz, open_here)  # fmt: skip


RESENT = "ballot issued (this request was recorded when first sent)"


def _first_answer(
    repo: RegisterRepo, voter: bytes | None, station_id: str, device_id: str, nonce: str,
    at: datetime,
) -> CheckinOutcome | None:  # fmt: skip
    """A request sent again after its answer was lost (a 503, a dropped link) repeats its nonce:
    it gets the answer recorded for that very request — its ballot, or its refusal with the same
    reason — never a new judgement. The signature binds the nonce to the body, so only that
    request can carry that nonce; the nonce spent for another voter is a replay.

    None when the nonce was spent but nothing was recorded with it: no answer was ever given
    (see :meth:`RegisterRepo.first_answer`), so the request is judged now, for the first time.
    """
    first = repo.first_answer(device_id, nonce, voter)
    if first.kind == "unjudged":
        return None
    # Past the window a signed request is refused as stale anyway; the service holds to it too.
    if (
        first.kind == "replay"
        or first.station_id != station_id
        or first.at is None
        or abs((at - first.at).total_seconds()) > 2 * STALE_AFTER_S
    ):
        raise DeviceAuthError(f"replayed request: nonce {nonce} was already used")
    if first.kind == "issued":
        return CheckinOutcome(True, None, RESENT, station_id, first.at)
    return CheckinOutcome(
        False, Refusal(str(first.reason)), str(first.message), station_id, first.at
    )


def _judge_in(
    s: Session, election_id: str, station_id: str, device_id: str, personal_number: str,
    voter: bytes | None, match: MatchResult, channel: Channel, nonce: str | None, at: datetime,
    tz: tzinfo, open_here: bool, spent: bool = False,
) -> CheckinOutcome:  # fmt: skip
    """Judge one request in the caller's transaction. ``spent``: this very request spent its
    nonce a moment ago (the one-statement path, which marks only the usual case)."""
    repo = RegisterRepo(s, election_id)
    # Spent a moment ago by this very request, the nonce may yet have been answered: a resend
    # that overtook it found nothing recorded and was judged first.
    if nonce is not None and (spent or not repo.add_nonce(device_id, nonce, voter)):
        answered = _first_answer(repo, voter, station_id, device_id, nonce, at)
        if answered is not None:
            return answered
    if voter is None:
        decision = Decision(False, Refusal.BAD_NUMBER, _number_problem(personal_number))
    else:
        home = repo.station_of(voter)
        hour = at.astimezone(tz).hour
        if (
            home is not None
            and (home == station_id or open_here)
            and match.matched
            and repo.insert_checkin(voter, station_id, channel, device_id, at, hour, nonce=nonce)
        ):
            return CheckinOutcome(True, None, "ballot issued", station_id, at)
        held = repo.checkin_of(voter)
        decision = decide(home, station_id, held.prior() if held else None, match,
                          open_here=open_here)  # fmt: skip
        if decision.accepted:  # the insert lost, yet no check-in is visible: fail closed
            raise ConflictError("check-in not recorded; retry")
    repo.add_refusals(
        [{"station_id": station_id, "device_id": device_id, "voter_hash": voter,
          "reason": (decision.reason or Refusal.ALREADY_VOTED).value,
          "message": decision.message, "nonce": nonce, "refused_at": utc(at)}]
    )  # fmt: skip
    return CheckinOutcome(False, decision.reason, decision.message, station_id, at)


# --- batches ----------------------------------------------------------------------------------


class BatchCheckin(NamedTuple):
    personal_number: str
    station_id: str
    device_id: str
    at: datetime
    match: MatchResult
    channel: Channel = Channel.STATION


@dataclass(frozen=True)
class BatchReport:
    accepted: int
    refused: tuple[tuple[int, Refusal, str], ...]  # (index in the batch, reason, message)


def check_in_batch(
    db: Database,
    election_id: str,
    items: Sequence[BatchCheckin],
    secret: bytes,
    *,
    tz: tzinfo = ELECTION_TZ,
) -> BatchReport:
    """Judge a batch in one transaction: registered here, not voted, identified → recorded."""
    hasher = voter_hasher(secret)
    keys = device_keys(db, election_id)
    refused: list[tuple[int, Refusal, str]] = []
    refusal_rows: list[dict[str, Any]] = []
    staged: list[tuple[int, bytes, str, str, str, datetime, int]] = []
    first: dict[bytes, int] = {}
    hours: dict[datetime, int] = {}
    for i, item in enumerate(items):
        owner = keys.get(item.device_id)
        if owner is None or owner[0] != item.station_id:
            raise DeviceAuthError(
                f"{item.device_id!r} is not a device of station {item.station_id}"
            )
        voter = hasher(item.personal_number)
        if not item.match.matched:
            reason, msg = Refusal.BIOMETRIC_MISMATCH, refusal_message(Refusal.BIOMETRIC_MISMATCH)
        elif voter in first:
            prev = items[first[voter]]
            held = StoredCheckin(prev.station_id, prev.channel, prev.device_id, prev.at)
            reason, msg = (
                Refusal.ALREADY_VOTED,
                refusal_message(Refusal.ALREADY_VOTED, held.prior()),
            )
        else:
            first[voter] = i
            hour = hours.get(item.at)
            if hour is None:
                hour = hours[item.at] = item.at.astimezone(tz).hour
            staged.append((i, voter, item.station_id, item.channel.value, item.device_id,
                           item.at, hour))  # fmt: skip
            continue
        refused.append((i, reason, msg))
        refusal_rows.append({"station_id": item.station_id, "device_id": item.device_id,
                             "voter_hash": voter, "reason": reason.value, "message": msg})  # fmt: skip
    with writer_lock(db), db.session() as s:
        repo = RegisterRepo(s, election_id)
        by_seq = {row[0]: row for row in staged}
        opened = open_stations(db, election_id)
        for verdict in repo.judge_batch(staged, opened):
            row = by_seq[verdict.seq]
            d = decide(verdict.home_station, row[2],
                       verdict.held.prior() if verdict.held else None, MatchResult(True, 1.0),
                       open_here=row[2] in opened)  # fmt: skip
            reason = d.reason or Refusal.ALREADY_VOTED
            refused.append((verdict.seq, reason, d.message))
            refusal_rows.append({"station_id": row[2], "device_id": row[4], "voter_hash": row[1],
                                 "reason": reason.value, "message": d.message})  # fmt: skip
        repo.add_refusals(refusal_rows)
    refused.sort()
    return BatchReport(len(items) - len(refused), tuple(refused))
