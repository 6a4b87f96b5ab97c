"""Remote voting for citizens abroad: credentials, cast-or-audit, lookup.

Every act is a log entry written in the same transaction as its rows (docs/record-format.md):
`remote-credentials` (the credential authority's signed public list, in parts that fit a
tlog-tiles entry), `remote-ballot` (cast or audited, with its tracking code). The key ceremony is
in achyk.services.remote.ceremony; closing and the tally in achyk.services.remote.tally.

One person, one vote across channels: obtaining a credential checks the voter in on the register with
channel "remote" (their own station, device "remote-credentials"), in the transaction that publishes
the credential key. An in-person check-in afterwards is refused as "already voted (remote channel)",
and a voter already checked in at a station gets no credential. Nothing links the credential key to
the voter: the register row holds no credential and the published list is sorted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from achyk.canonical import canonical_json
from achyk.domain.register import ELECTION_TZ, Channel, MatchResult, VoterHasher, decide
from achyk.errors import AchykError, InputError, NotFoundError, Problem
from achyk.evoting.authority import check_list
from achyk.evoting.ballot import (
    Intent,
    body_dict,
    check_sealed,
    opening_to_dict,
    seal_to_dict,
    short_code,
)
from achyk.evoting.board import standings
from achyk.evoting.election import ElectionParams, RevotePolicy
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries
from achyk.store.database import Database
from achyk.store.evoting_repo import RemoteRepo
from achyk.store.register_models import VoterRow
from achyk.store.register_repo import RegisterRepo

MAX_ENTRY = 65_535  # a C2SP tlog-tiles entry bundle gives each entry a 2-byte length
CREDENTIALS_PER_ENTRY = 800  # 800 × 67 bytes ≈ 54 KB: one entry each
REMOTE_DEVICE = "remote-credentials"  # the "device" on a remote check-in row


class RemoteVotingError(AchykError):
    """Remote voting is not set up, already set up, closed, or asked something it cannot do."""


@dataclass(frozen=True)
class RemoteInfo:
    params: ElectionParams
    unit_station_id: str
    trustees: tuple[tuple[int, str, str], ...]  # (index, name, verification key hex)
    quorum: int
    closed: bool
    params_log_index: int


_parsed: dict[str, ElectionParams] = {}  # params text → parsed (decoding the key costs)


def remote_info(db: Database, election_id: str) -> RemoteInfo:
    """The election's remote-voting parameters, trustees and state."""
    with db.read() as s:
        repo = RemoteRepo(s, election_id)
        row = repo.setup()
        if row is None:
            raise NotFoundError(f"remote voting is not set up for election {election_id!r}")
        params = _parsed.get(row.params)
        if params is None:
            params = _parsed[row.params] = ElectionParams.from_dict(json.loads(row.params))
        trustees = tuple((t.index, t.name, t.verification_key) for t in repo.trustees())
        return RemoteInfo(params, row.unit_station_id, trustees, row.quorum,
                          row.closed_log_index is not None, row.params_log_index)  # fmt: skip


def params_document(db: Database, election_id: str) -> dict[str, Any]:
    """What a voting client needs: the public parameters and where they sit on the log."""
    info = remote_info(db, election_id)
    return {
        "election": election_id,
        "params": info.params.to_dict(),
        "unit": info.unit_station_id,
        "log_index": info.params_log_index,
        "quorum": info.quorum,
        "trustees": [{"index": i, "name": n} for i, n, _ in info.trustees],
        "closed": info.closed,
    }


# --- credentials ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    credentials: int
    log_indexes: tuple[int, ...]


def _open_for_credentials(s: Any, election_id: str) -> None:
    row = RemoteRepo(s, election_id).lock_setup()
    if row is None:
        raise NotFoundError(f"remote voting is not set up for election {election_id!r}")
    if row.closed_log_index is not None:
        raise RemoteVotingError("remote voting is closed: no more credentials")


def _check_in_remote(
    s: Any, election_id: str, personal_numbers: Sequence[str], secret: bytes, at: datetime
) -> list[tuple[str, str]]:
    """Check these voters in on the remote channel; return the refused (number, why)."""
    hour = at.astimezone(ELECTION_TZ).hour
    hasher = VoterHasher(secret)
    hashes = [hasher(n.strip()) for n in personal_numbers]
    refused: list[tuple[str, str]] = []
    homes: dict[bytes, str] = {}
    for start in range(0, len(hashes), 500):
        q = select(VoterRow.voter_hash, VoterRow.station_id).where(
            VoterRow.election_id == election_id,
            VoterRow.voter_hash.in_(hashes[start : start + 500]),
        )
        homes.update((bytes(v), st) for v, st in s.execute(q))
    staged = []
    seen: set[bytes] = set()
    for i, (number, voter) in enumerate(zip(personal_numbers, hashes, strict=True)):
        if voter not in homes:
            refused.append((number, "not on the register of this election"))
        elif voter in seen:
            refused.append((number, "twice on the list"))
        else:
            seen.add(voter)
            staged.append((i, voter, homes[voter], Channel.REMOTE.value, REMOTE_DEVICE, at, hour))  # fmt: skip
    lost = {v.seq: v for v in RegisterRepo(s, election_id).judge_batch(staged)}
    for seq, verdict in sorted(lost.items()):
        prior = verdict.held.prior() if verdict.held else None
        d = decide(verdict.home_station, homes[hashes[seq]], prior, MatchResult(True, 1.0))
        refused.append((personal_numbers[seq], d.message))
    return refused


def import_credentials(
    db: Database,
    election_id: str,
    parts: Sequence[Any],
    *,
    voters: Sequence[str] | None = None,
    secret: bytes | None = None,
    at: datetime | None = None,
) -> Imported:
    """Import the credential authority's signed public list — the server never sees a seed.

    Refused as a whole (nothing published) unless every part is signed by the authority the
    definition names, for these parameters; every key is new; the credentials do not outnumber
    the voters abroad on the register; and — with `voters` (the personal numbers the authority
    made credentials for, one each) — every one of them can be checked in on the remote channel
    (a voter who already voted at a station gets no credential: the authority must leave them out).
    """
    election = get_election(db, election_id)
    info = remote_info(db, election.id)
    check = check_list(parts, election.credential_authority, election.id, info.params.fingerprint)
    if check.problems:
        raise InputError("credential list", [Problem("", p) for p in check.problems])
    keys = list(check.keys)
    with db.session() as s:
        _open_for_credentials(s, election.id)
        repo = RemoteRepo(s, election.id)
        again = repo.known_credentials(keys)
        if again:
            raise InputError("credential list", [Problem("", f"{len(again)} key(s) already listed")])  # fmt: skip
        registers = RegisterRepo(s, election.id)
        if registers.commitment() is not None:
            abroad = registers.counts()["abroad"]
            total = repo.credential_count() + len(keys)
            if total > abroad:
                raise InputError("credential list", [Problem("", f"{total} credentials for "
                                                                 f"{abroad} voters abroad")])  # fmt: skip
        if voters is not None:
            if secret is None or len(voters) != len(keys):
                raise InputError("credential list", [Problem("voters", f"{len(voters)} voters for "
                                                                       f"{len(keys)} credentials (and the register secret)")])  # fmt: skip
            refused = _check_in_remote(s, election.id, voters, secret, at or datetime.now(UTC))
            if refused:
                raise InputError("credential list", [Problem(n, why) for n, why in refused[:50]])
        indexes = append_entries(s, election.id, [
            {"kind": "remote-credentials", "election": election.id, "list": p} for p in parts
        ])  # fmt: skip
        rows: list[tuple[str, int]] = []
        for p, index in zip(parts, indexes, strict=True):
            n = len(p["credentials"])
            rows += [(c, index) for c in keys[len(rows) : len(rows) + n]]
        repo.add_credentials(rows)
    return Imported(len(keys), tuple(indexes))


# --- cast or challenge ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CastReceipt:
    accepted: bool
    challenged: bool
    tracking_code: str
    log_index: int | None = None
    seq: int | None = None
    reason: str = ""

    @property
    def short_code(self) -> str:
        return short_code(self.tracking_code) if self.tracking_code else ""


Submission = Any  # a sealed ballot as JSON (achyk.evoting.ballot.submission)
# (entry fields, tracking code, credential, challenged, error)
Checked = tuple[dict[str, Any] | None, str, str, bool, str]


def check_submissions(params_dict: Any, items: Sequence[Submission]) -> list[Checked]:
    """Parse and fully verify sealed ballots, re-encoded canonically — the same check
    (`check_sealed`) the verifier runs on every board entry.

    Module-level and dict-in/dict-out so a process pool can run it."""
    params = ElectionParams.from_dict(params_dict)
    out: list[Checked] = []
    for doc in items:
        audit = isinstance(doc, dict) and doc.get("intent") == Intent.AUDIT.value
        try:
            if not isinstance(doc, dict) or doc.get("intent") not in ("cast", "audit"):
                raise InputError("ballot", [Problem("intent", "must be 'cast' or 'audit'")])
            fields = {k: v for k, v in doc.items() if k != "intent"}
            c = check_sealed(params, fields, Intent(doc["intent"]))
            entry: dict[str, Any] = {"ballot": body_dict(params, c.ballot), **seal_to_dict(c.seal)}
            if c.opening is not None:
                entry["opening"] = opening_to_dict(params, c.opening)
            out.append((entry, c.code, c.seal.credential, audit, ""))
        except (AchykError, KeyError, TypeError, ValueError, binascii.Error) as err:
            out.append((None, "", "", audit, f"{type(err).__name__}: {err}"))
    return out


def _check(
    params: ElectionParams, items: Sequence[Submission], workers: int | None
) -> list[Checked]:
    chunk = 100
    if workers is None or workers <= 1 or len(items) < 2 * chunk:
        return check_submissions(params.to_dict(), items)
    parts = [list(items[i : i + chunk]) for i in range(0, len(items), chunk)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_submissions, params.to_dict(), p) for p in parts]
        return [c for f in futures for c in f.result()]


def cast_ballots(
    db: Database, election_id: str, items: Sequence[Submission], *, workers: int | None = None
) -> list[CastReceipt]:
    """Verify each sealed ballot fully, then append the accepted ones to the board in one
    transaction.

    An audit (intent "audit") is logged with its opening and no credential, and never counted.
    Refused: a ballot that fails a proof or its seal, a credential not on the public list, a
    tracking code already on the board, a counter not above the credential's last, a second cast
    under the re-vote policy "first", any ballot after the close.
    """
    info = remote_info(db, election_id)
    checked = _check(info.params, items, workers)
    receipts: list[CastReceipt | None] = [None] * len(items)
    with db.session() as s:
        repo = RemoteRepo(s, election_id)
        row = repo.lock_setup()
        assert row is not None
        if row.closed_log_index is not None:
            return [CastReceipt(False, c[3], c[1], reason="remote voting is closed") for c in checked]  # fmt: skip
        creds = [c[2] for c in checked if c[0] is not None and not c[3]]
        listed = repo.known_credentials(creds)
        codes = repo.known_codes(c[1] for c in checked if c[0] is not None)
        counters = repo.last_counters(listed)
        first_only = info.params.revote is RevotePolicy.FIRST
        seq = repo.next_seq()
        entries: list[dict[str, Any]] = []
        placed: list[tuple[int, int, str, str, bool]] = []  # (item, seq, code, credential, audit)
        for i, (fields, code, credential, audit, error) in enumerate(checked):
            reason = error
            if not reason and not audit and credential not in listed:
                reason = "the credential is not on the public credential list"
            elif not reason and code in codes:
                reason = "this ballot is already on the board (same tracking code)"
            elif not reason and not audit and first_only and credential in counters:
                reason = "this credential has already cast a ballot; the first one counts"
            elif not reason and not audit and fields and fields["counter"] <= counters.get(credential, 0):  # fmt: skip
                reason = (f"counter {fields['counter']} is not above this credential's last "
                          f"({counters[credential]}): encrypt and seal the ballot again")  # fmt: skip
            if reason or fields is None:
                receipts[i] = CastReceipt(False, audit, code, reason=reason)
                continue
            codes.add(code)
            if not audit:
                counters[credential] = fields["counter"]
            entries.append({
                "kind": "remote-ballot", "election": election_id, "seq": seq,
                "status": "challenged" if audit else "cast", "tracking_code": code, **fields,
            })  # fmt: skip
            placed.append((i, seq, code, credential, audit))
            seq += 1
        texts = [canonical_json(e) for e in entries]
        for (i, *_), text in zip(placed, texts, strict=True):
            if len(text) > MAX_ENTRY:
                raise InputError("ballot", [Problem(f"item {i}", "entry exceeds 65,535 bytes")])
        indexes = append_entries(s, election_id, entries)
        repo.add_ballots([
            {"seq": sq, "credential": cred, "tracking_code": code, "challenged": ch,
             "log_index": index, "entry": text.decode()}
            for (_, sq, code, cred, ch), index, text in zip(placed, indexes, texts, strict=True)
        ])  # fmt: skip
        for (i, sq, code, _, ch), index in zip(placed, indexes, strict=True):
            receipts[i] = CastReceipt(True, ch, code, index, sq)
    return [r for r in receipts if r is not None]


def cast_ballot(db: Database, election_id: str, submission: Any) -> CastReceipt:
    """One sealed ballot: cast (intent "cast") or audited (intent "audit", with its opening)."""
    return cast_ballots(db, election_id, [submission])[0]


def next_counter(db: Database, election_id: str, credential: str) -> int:
    """The counter a new cast ballot of this credential must carry at least (its last + 1).
    A server that lies here only gets the voter's ballot refused: it cannot reuse a counter."""
    with db.read() as s:
        last = RemoteRepo(s, election_id).last_counters([credential])
    return last.get(credential, 0) + 1


# --- tracking codes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedBallot:
    tracking_code: str
    short_code: str
    seq: int
    status: str
    log_index: int
    entry: str  # the log entry's canonical JSON
    standing: str = "cast"  # counted | cast | superseded | audited (evoting.board.standings)


def code_prefix(code: str) -> str | None:
    """A full hex tracking code, or the short form 'ABCD-EFGH-IJKL-MNOP' → its hex prefix."""
    text = code.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text).hex()
        except ValueError:
            return None
    letters = text.replace("-", "").replace(" ", "").upper()
    if len(letters) != 16:
        return None
    try:
        return base64.b32decode(letters).hex()
    except (binascii.Error, ValueError):
        return None


def find_tracking_code(db: Database, election_id: str, code: str) -> TrackedBallot | None:
    """The board entry holding this tracking code (full or short form), if any, and what became of
    it: counted, superseded by a later ballot, or audited (never counted)."""
    prefix = code_prefix(code)
    if prefix is None:
        return None
    with db.read() as s:
        repo = RemoteRepo(s, election_id)
        rows = repo.find_code(prefix)
        if len(rows) != 1:
            return None  # unknown, or (for a short code, in theory) ambiguous
        r = rows[0]
        standing = "audited"
        if not r.challenged:
            setup = repo.setup()
            revote = RevotePolicy(setup.revote) if setup else RevotePolicy.LAST
            mine = [json.loads(e) for e in repo.credential_entries(r.credential)]
            # renumbered 0.. so the board check reads them as a board of their own
            board = [{**d, "seq": n} for n, d in enumerate(mine)]
            standing = standings(board, revote, repo.tally() is not None).get(
                r.tracking_code, "cast"
            )
    return TrackedBallot(r.tracking_code, short_code(r.tracking_code), r.seq,
                         "challenged" if r.challenged else "cast", r.log_index, r.entry, standing)  # fmt: skip
