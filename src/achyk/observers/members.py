"""A mission's own people on the server: admins, analysts and observers, each with their own key.

The mission's area of the server (its unpublished forms, its statement drafts) is reached by
signed requests (`achyk.domain.signed_request`, purpose :data:`MISSION_REQUEST_PURPOSE`), never by
a password or a session the server could replay: the server stores public keys only.

* An **admin** or **analyst** is registered by a *membership*: the member's name, role and public
  key, signed by the mission's accredited key (on the mission's machine) or by one of its admins.
  The server checks that chain before it stores the membership; it cannot make one itself.
* An **observer** needs no membership: their registration on the log (`observer-registration`,
  signed by the mission) already names their key; they may hand their mission their own forms'
  content, and read nothing of the area.

No mission sees another's area: a member's key opens only the mission that registered it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.domain.signed_request import sign_request
from achyk.observers.model import Mission, ObserverError, statement, text
from achyk.signing import sign, verify

MEMBERSHIP_PURPOSE = "achyk/mission-membership/v1"
MISSION_REQUEST_PURPOSE = "achyk/mission-request/v1"
BY_MISSION = "mission"  # a membership signed with the mission's accredited key


class MemberRole(StrEnum):
    ADMIN = "admin"  # registers analysts and admins, and does what analysts do
    ANALYST = "analyst"  # reads the mission's unpublished forms, drafts and edits statements
    OBSERVER = "observer"  # hands in their own forms' content; reads nothing


READERS = frozenset({MemberRole.ADMIN, MemberRole.ANALYST})


@dataclass(frozen=True)
class Member:
    mission: str
    name: str
    role: MemberRole
    public_key: str
    by: str  # "mission", or the admin who signed the membership


def membership(signer: Ed25519PrivateKey, mission: str, name: str, role: str,
               member_key: str, by: str = BY_MISSION) -> dict[str, Any]:  # fmt: skip
    """A membership signed on the mission's machine (`by` = "mission") or by an admin (`by` = the
    admin's name, `signer` the admin's own key)."""
    body = {"mission": mission, "member": name, "role": role, "public_key": member_key, "by": by}
    return {**body, "signature": sign(signer, MEMBERSHIP_PURPOSE, body)}


def check_membership(
    doc: Mapping[str, Any], mission: Mission, admins: Mapping[str, Member]
) -> Member:
    """The member `doc` registers; ObserverError or SignatureError names why not."""
    if doc.get("mission") != mission.id:
        raise ObserverError(f"the membership is for {doc.get('mission')!r}, not {mission.id}")
    try:
        role = MemberRole(str(doc.get("role")))
    except ValueError:
        raise ObserverError(
            "role: admin or analyst (observers are registered on the log)"
        ) from None
    if role is MemberRole.OBSERVER:
        raise ObserverError("observers are registered on the log by observer-registration")
    by = text(doc, "by", 64)
    if by == BY_MISSION:
        key = mission.public_key
    elif by in admins and admins[by].role is MemberRole.ADMIN:
        key = admins[by].public_key
    else:
        raise ObserverError(f"{by!r} is not an admin of {mission.id}: it cannot register members")
    verify(key, MEMBERSHIP_PURPOSE, statement(doc), str(doc.get("signature")))
    name, public_key = text(doc, "member", 64), text(doc, "public_key", 100)
    if ":" in name:
        raise ObserverError("member: a name without ':'")
    return Member(mission.id, name, role, public_key, by)


def member_request_headers(key: Ed25519PrivateKey, member: str, method: str, path: str,
                          body: bytes, timestamp: str, nonce: str) -> dict[str, str]:  # fmt: skip
    """The headers of a request signed by a mission member (admin, analyst or observer)."""
    return {
        "X-Member": member, "X-Timestamp": timestamp, "X-Nonce": nonce,
        "X-Signature": sign_request(key, MISSION_REQUEST_PURPOSE, method, path, body, timestamp,
                                    nonce),
    }  # fmt: skip
