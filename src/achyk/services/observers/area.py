"""A mission's area of the server, reached by its own members' signed requests.

Who is who comes from what the mission signed: admins and analysts from memberships signed by the
mission's key (or an admin's), observers from their registration on the log. The server stores
those public documents and the area's unpublished documents; it holds no secret of the mission, so
it can neither sign as the mission nor as any member. Every read or write of the area is a request
signed by a member's key (purpose ``achyk/mission-request/v1``), fresh, its nonce spent once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from achyk.canonical import canonical_json
from achyk.domain.signed_request import RequestAuthError, check_request
from achyk.errors import ForbiddenError, NotFoundError, SignatureError
from achyk.observers.members import (
    MISSION_REQUEST_PURPOSE,
    READERS,
    Member,
    MemberRole,
    check_membership,
)
from achyk.observers.model import Mission, ObserverError
from achyk.observers.statement import check_document
from achyk.services.elections import get_election
from achyk.services.observers.record import read_observers
from achyk.services.observers.statements import draft_statement
from achyk.signing import load_public_key
from achyk.store.database import Database
from achyk.store.mission_area_models import MissionArea
from achyk.store.register_repo import RegisterRepo

CONTENT, DRAFT, REFUSED = "content", "draft", "refused"


def _mission(db: Database, election_id: str, mission: str) -> Mission:
    found = read_observers(db, election_id).missions.get(mission)
    if found is None:
        raise NotFoundError(f"no accredited mission {mission!r}")
    return found


def members(db: Database, election_id: str, mission: str) -> dict[str, Member]:
    with db.read() as s:
        rows = MissionArea(s, election_id, mission).members()
    return {r.member: Member(mission, r.member, MemberRole(r.role), r.public_key, "")
            for r in rows}  # fmt: skip


def add_member(db: Database, election_id: str, mission: str, doc: Any) -> Member:
    """Store a membership after checking it was signed by the mission or one of its admins."""
    election = get_election(db, election_id)
    found = _mission(db, election.id, mission)
    try:
        if not isinstance(doc, dict):
            raise ObserverError("a membership is a JSON object")
        member = check_membership(doc, found, members(db, election.id, mission))
        if (mission, member.name) in read_observers(db, election.id).observers:
            raise ObserverError(f"{member.name} is an observer's pseudonym in {mission}")
    except (ObserverError, SignatureError) as err:
        _keep_refused(db, election.id, mission, doc, str(err))
        raise
    with db.session() as s:
        MissionArea(s, election.id, mission).add_member(
            member.name, member.role.value, member.public_key, canonical_json(doc).decode()
        )
    return member


def _keep_refused(db: Database, election_id: str, mission: str, doc: Any, reason: str) -> None:
    """A refused membership is kept, with its reason, in the mission's area (kind "refused"):
    its admins can see who tried to join and why it failed."""
    raw = json.dumps(doc, ensure_ascii=False, default=repr)[:100_000]
    digest = hashlib.sha256(raw.encode()).hexdigest()
    body = json.dumps({"kind": "membership", "reason": reason, "received": raw})
    with db.session() as s:
        MissionArea(s, election_id, mission).put(REFUSED, digest, body, "server")


def refusals(db: Database, election_id: str, member: Member) -> list[dict[str, Any]]:
    require(member, {MemberRole.ADMIN})
    with db.read() as s:
        rows = MissionArea(s, election_id, member.mission).documents(REFUSED)
    return [json.loads(r.body) | {"sha256": r.ref, "at": r.updated_at.isoformat()} for r in rows]


def nonce_owner(mission: str, member: str) -> str:
    return "mission:" + hashlib.sha256(f"{mission}/{member}".encode()).hexdigest()[:56]


def authenticate(
    db: Database, election_id: str, mission: str, member: str, *, method: str, path: str,
    body: bytes, timestamp: str, nonce: str, signature: str, now: datetime | None = None,
) -> Member:  # fmt: skip
    """The member of `mission` who signed this request just now; its nonce is spent here."""
    election = get_election(db, election_id)
    _mission(db, election.id, mission)
    found = members(db, election.id, mission).get(member)
    if found is None:
        observer = read_observers(db, election.id).observers.get((mission, member))
        if observer is None:
            raise RequestAuthError(f"{member!r} is not a member of mission {mission}")
        found = Member(mission, member, MemberRole.OBSERVER, observer.public_key, "log")
    check_request(load_public_key(found.public_key), MISSION_REQUEST_PURPOSE, method=method,
                  path=path, body=body, timestamp=timestamp, nonce=nonce, signature=signature,
                  now=now)  # fmt: skip
    with db.session() as s:
        if not RegisterRepo(s, election.id).add_nonce(nonce_owner(mission, member), nonce):
            raise RequestAuthError(f"replayed request: nonce {nonce} was already used")
    return found


def require(member: Member, roles: Collection[MemberRole]) -> None:
    if member.role not in roles:
        raise ForbiddenError(f"a mission {member.role.value} may not do this; "
                             f"{' or '.join(sorted(r.value for r in roles))} only")  # fmt: skip


def hand_in(db: Database, election_id: str, member: Member, observation: int,
            content: Any) -> None:  # fmt: skip
    """A form's content into the area: by its own observer, or by an analyst or admin; it must
    hash to what the observer signed on the log."""
    state = read_observers(db, election_id)
    logged = state.observations.get(observation)
    if logged is None or logged.mission != member.mission:
        raise NotFoundError(f"log entry {observation} is not an observation of {member.mission}")
    if member.role is MemberRole.OBSERVER and logged.observer != member.name:
        raise ForbiddenError("an observer hands in only their own forms")
    if not isinstance(content, dict):
        raise ObserverError("content: the form's answers, an object")
    digest = hashlib.sha256(canonical_json(content)).hexdigest()
    if digest != logged.content_sha256:
        raise ObserverError(f"the content hashes to {digest}, the observer signed "
                            f"{logged.content_sha256}")  # fmt: skip
    with db.session() as s:
        MissionArea(s, election_id, member.mission).put(
            CONTENT, str(observation), canonical_json(content).decode(), member.name
        )


def area_contents(db: Database, election_id: str, member: Member) -> dict[int, dict[str, Any]]:
    require(member, READERS)
    with db.read() as s:
        rows = MissionArea(s, election_id, member.mission).documents(CONTENT)
    return {int(r.ref): json.loads(r.body) for r in rows}


def get_draft(db: Database, election_id: str, member: Member, name: str) -> dict[str, Any]:
    require(member, READERS)
    with db.read() as s:
        row = MissionArea(s, election_id, member.mission).get(DRAFT, name)
    if row is None:
        raise NotFoundError(f"no draft {name!r} in {member.mission}'s area")
    doc: dict[str, Any] = json.loads(row.body)
    return doc


def put_draft(
    db: Database, election_id: str, member: Member, name: str, doc: Any
) -> dict[str, Any]:
    require(member, READERS)
    checked = check_document(doc)
    if checked.get("mission") != member.mission:
        raise ObserverError(f"the draft names mission {checked.get('mission')!r}")
    with db.session() as s:
        MissionArea(s, election_id, member.mission).put(
            DRAFT, name, canonical_json(checked).decode(), member.name
        )
    return checked


def draft_from_data(db: Database, election_id: str, member: Member, kind: str,
                    languages: list[str]) -> dict[str, Any]:  # fmt: skip
    """A fresh draft from the mission's forms, the unpublished ones of its area included."""
    unpublished = area_contents(db, election_id, member)
    doc = draft_statement(db, election_id, member.mission, kind, languages, unpublished)
    return put_draft(db, election_id, member, kind, doc)
