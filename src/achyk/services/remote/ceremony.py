"""The distributed key ceremony as the server sees it: it relays and logs, and holds no secret.

Each trustee runs `achyk trustee …` on its own machine (achyk.evoting.trustee). The server logs
what they upload — `remote-trustees` (the announcements: names, auxiliary keys with proofs, the
quorum), one `remote-dealing` per trustee (coefficient commitments with proofs and the shares
encrypted to each recipient, signed by the dealer's auxiliary key), `remote-complaint` (a
recipient's proof that a share is bad, with the verdict anyone can recompute) — and, once every
dealing is in and no complaint is upheld, `remote-ceremony` and `remote-params` (the joint key).
A new `remote-trustees` entry starts a new attempt; the log keeps the failed ones in view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from achyk.canonical import canonical_json
from achyk.crypto.group import DEFAULT_GROUP
from achyk.crypto.hashing import element_hex
from achyk.crypto.threshold import ShareComplaint, joint_public_key, verification_key
from achyk.errors import AchykError, ConflictError, InputError, Problem
from achyk.evoting.ceremony import CeremonyFailed, CeremonyRecord
from achyk.evoting.election import ElectionParams, RevotePolicy
from achyk.evoting.trustee import (
    Announcement,
    Attempt,
    Complaint,
    Dealing,
    judge,
    verify_announcement,
    verify_dealing,
)
from achyk.evoting.unit import remote_contests, remote_unit
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries, entries, log_size
from achyk.services.remote.voting import RemoteVotingError
from achyk.store.database import Database
from achyk.store.evoting_repo import RemoteRepo
from achyk.store.repositories import Elections

CEREMONY_KINDS = ("remote-trustees", "remote-dealing", "remote-complaint")


def _base_hash(db: Database, election_id: str) -> str:
    with db.read() as s:
        row = Elections(s).get(election_id)
        assert row is not None
        return row.definition_hash


def _attempt(db: Database, election_id: str) -> Attempt | None:
    """Read the latest attempt from the log (ceremony entries are few; the scan is cheap)."""
    texts = entries(db, election_id, 0, log_size(db, election_id))
    found: list[dict[str, Any]] = []
    for t in texts:
        if '"kind":"remote-' in t:
            doc = json.loads(t)
            if doc["kind"] == "remote-trustees":
                found = [doc]
            elif doc["kind"] in CEREMONY_KINDS and found:
                found.append(doc)
    if not found:
        return None
    head = found[0]
    return Attempt(
        election_id, _base_hash(db, election_id), int(head["quorum"]),
        tuple(Announcement.from_dict(t) for t in head["trustees"]),
        tuple(Dealing.from_dict(d["dealing"]) for d in found if d["kind"] == "remote-dealing"),
        tuple((Complaint.from_dict(d["complaint"]), str(d["verdict"]))
              for d in found if d["kind"] == "remote-complaint"),
    )  # fmt: skip


def ceremony_state(db: Database, election_id: str) -> Attempt:
    a = _attempt(db, get_election(db, election_id).id)
    if a is None:
        raise RemoteVotingError(f"no key ceremony opened for {election_id}")
    return a


def _not_set_up(db: Database, election_id: str) -> None:
    with db.read() as s:
        if RemoteRepo(s, election_id).setup() is not None:
            raise ConflictError(f"remote voting is already set up for {election_id}")


def open_ceremony(db: Database, election_id: str, announcements: list[Any], quorum: int) -> int:
    """Log the trustees' announcements (checked) and the quorum: a new attempt begins."""
    election = get_election(db, election_id)
    if remote_unit(election) is None:
        raise RemoteVotingError(f"election {election.id} has no remote unit: declare a station "
                                "with channel 'remote' in its abroad region")  # fmt: skip
    _not_set_up(db, election.id)
    base = _base_hash(db, election.id)
    problems: list[Problem] = []
    anns: list[Announcement] = []
    for n, d in enumerate(announcements):
        try:
            a = Announcement.from_dict(d)
            verify_announcement(base, a)
            anns.append(a)
        except (AchykError, KeyError, TypeError, ValueError) as err:
            problems.append(Problem(f"announcement {n + 1}", str(err)))
    if sorted(a.index for a in anns) != list(range(1, len(announcements) + 1)):
        problems.append(Problem("announcements", "trustee indices are not 1..n"))
    if not 1 <= quorum <= len(announcements):
        problems.append(Problem("quorum", f"{quorum} of {len(announcements)}"))
    if problems:
        raise InputError("key ceremony", problems)
    anns.sort(key=lambda a: a.index)
    with db.session() as s:
        [index] = append_entries(s, election.id, [
            {"kind": "remote-trustees", "election": election.id, "quorum": quorum,
             "trustees": [a.to_dict() for a in anns]},
        ])  # fmt: skip
    return index


def post_dealing(db: Database, election_id: str, doc: Any) -> int:
    """Relay a trustee's dealing to the log, after the public checks (signature, proofs, shape)."""
    a = ceremony_state(db, election_id)
    _not_set_up(db, a.election)
    try:
        d = Dealing.from_dict(doc)
        verify_dealing(a.base_hash, d, a.trustees, a.quorum)
    except (AchykError, KeyError, TypeError, ValueError) as err:
        raise InputError("dealing", [Problem("", str(err))]) from err
    if any(x.dealer == d.dealer for x in a.dealings):
        raise ConflictError(f"trustee {d.dealer} has already dealt in this ceremony")
    with db.session() as s:
        [index] = append_entries(s, a.election, [
            {"kind": "remote-dealing", "election": a.election, "dealing": d.to_dict()}
        ])  # fmt: skip
    return index


def post_complaint(db: Database, election_id: str, doc: Any) -> str:
    """Log a complaint with its verdict (from public material: anyone recomputes it)."""
    a = ceremony_state(db, election_id)
    try:
        c = Complaint.from_dict(doc)
        dealing = next(d for d in a.dealings if d.dealer == c.dealer)
        recipient = next(t for t in a.trustees if t.index == c.recipient)
    except (AchykError, KeyError, TypeError, ValueError, StopIteration) as err:
        raise InputError("complaint", [Problem("", f"unknown dealer or recipient: {err}")]) from err
    verdict = judge(a.base_hash, c, dealing, recipient)
    with db.session() as s:
        append_entries(s, a.election, [
            {"kind": "remote-complaint", "election": a.election, "complaint": c.to_dict(),
             "verdict": verdict},
        ])  # fmt: skip
    return verdict


@dataclass(frozen=True)
class RemoteSetup:
    params: ElectionParams
    ceremony: CeremonyRecord
    unit_station_id: str
    log_indexes: tuple[int, ...]


def setup_remote(
    db: Database, election_id: str | None, *, revote: RevotePolicy = RevotePolicy.LAST
) -> RemoteSetup:
    """Close the ceremony: every trustee has dealt and no complaint is upheld against a dealer;
    log the ceremony record and the public parameters (the joint key)."""
    election = get_election(db, election_id)
    place = remote_unit(election)
    if place is None:
        raise RemoteVotingError(f"election {election.id} has no remote unit")
    _not_set_up(db, election.id)
    a = ceremony_state(db, election.id)
    g = DEFAULT_GROUP
    upheld = [ShareComplaint(c.dealer, c.recipient, "share does not match the commitments")
              for c, verdict in a.complaints if verdict == "dealer"]  # fmt: skip
    if upheld:
        raise CeremonyFailed(upheld)
    missing = sorted({t.index for t in a.trustees} - {d.dealer for d in a.dealings})
    if missing:
        raise RemoteVotingError(f"trustees {missing} have not dealt yet")
    commitments = [d.commitment for d in sorted(a.dealings, key=lambda d: d.dealer)]
    ceremony = CeremonyRecord(len(a.trustees), a.quorum, tuple(commitments),
                              joint_public_key(g, commitments))  # fmt: skip
    params = ElectionParams(
        a.base_hash, remote_contests(election, place), revote, ceremony.joint_key
    )
    names = [{"index": t.index, "name": t.name} for t in a.trustees]
    with db.session() as s:
        indexes = append_entries(s, election.id, [
            {"kind": "remote-ceremony", "election": election.id, "trustees": names,
             "ceremony": ceremony.to_dict(g)},
            {"kind": "remote-params", "election": election.id, "unit": place.station.id,
             "params": params.to_dict()},
        ])  # fmt: skip
        repo = RemoteRepo(s, election.id)
        repo.add_setup(
            unit_station_id=place.station.id, trustees=len(a.trustees), quorum=a.quorum,
            revote=revote.value, params=canonical_json(params.to_dict()).decode(),
            ceremony=canonical_json(ceremony.to_dict(g)).decode(), params_log_index=indexes[1],
        )  # fmt: skip
        repo.add_trustees(
            (t.index, t.name, element_hex(g, verification_key(g, commitments, t.index)))
            for t in a.trustees
        )
    return RemoteSetup(params, ceremony, place.station.id, tuple(indexes))
