"""Missions, observers and their log entries' statements.

The chain of trust is CEC → mission → observer: the CEC (an authority of the definition whose body
is the central commission) signs a mission's accreditation with the mission's public key; the mission
signs each observer's registration (a pseudonym, a role, a team and the observer's public key); the
observer signs what they saw. Names, passports and phone numbers stay with the mission: the log holds
pseudonyms and keys only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from achyk.errors import AchykError

ACCREDITATION_PURPOSE = "achyk/mission-accreditation/v1"
REGISTRATION_PURPOSE = "achyk/observer-registration/v1"
PLAN_PURPOSE = "achyk/deployment-plan/v1"
OBSERVATION_PURPOSE = "achyk/observation/v1"
PUBLICATION_PURPOSE = "achyk/observation-content/v1"
COPY_PURPOSE = "achyk/protocol-copy/v1"
MOVE_PURPOSE = "achyk/station-change/v1"
AREAS_PURPOSE = "achyk/lto-areas/v1"
STATEMENT_PURPOSE = "achyk/mission-statement/v1"
FORMS_PURPOSE = "achyk/mission-forms/v1"

KINDS = (
    "mission-accreditation", "observer-registration", "deployment-plan", "observation",
    "observation-content", "protocol-copy", "station-change", "lto-areas", "mission-statement",
    "mission-forms",
)  # fmt: skip
# What an observer signs on the day: resent unchanged (a phone that lost its signal mid-send), the
# same signed submission is answered with its first log entry, not logged twice.
SUBMISSIONS = frozenset({"observation", "protocol-copy", "station-change"})


class ObserverError(AchykError):
    """An accreditation, registration, plan or submission that is not allowed; says why."""


class MissionKind(StrEnum):
    INTERNATIONAL = "international"  # ODIHR-style: core team, LTOs, STOs in teams of two
    CIS = "cis"  # CIS-style: observers at home and abroad, visit reports
    DOMESTIC = "domestic"  # citizen observers; the parallel vote tabulation
    PARTY = "party"  # a party's agents at the stations


class Role(StrEnum):
    CORE = "core"  # the core team in the capital
    LTO = "lto"  # long-term observer, a region as area of responsibility
    STO = "sto"  # short-term observer, in a team of two on election day
    DOMESTIC = "domestic"
    AGENT = "agent"  # a party agent


ROLES: dict[MissionKind, frozenset[Role]] = {
    MissionKind.INTERNATIONAL: frozenset({Role.CORE, Role.LTO, Role.STO}),
    MissionKind.CIS: frozenset({Role.CORE, Role.LTO, Role.STO}),
    MissionKind.DOMESTIC: frozenset({Role.CORE, Role.DOMESTIC}),
    MissionKind.PARTY: frozenset({Role.CORE, Role.AGENT}),
}
# Roles that observe stations on election day and so sign observations and protocol copies.
OBSERVING = frozenset({Role.STO, Role.DOMESTIC, Role.AGENT, Role.LTO})
TEAM_SIZE = 2  # STOs go in teams of two (ODIHR Election Observation Handbook, 6th ed., 2010)


@dataclass(frozen=True)
class Mission:
    id: str
    kind: MissionKind
    name: str
    public_key: str
    index: int  # its accreditation entry
    # Declared in the accreditation: the mission is also this witness of the log (a name in the
    # definition's witnesses) or this trustee of remote voting (a name in the key ceremony).
    witness: str | None = None
    trustee: str | None = None


@dataclass(frozen=True)
class Observer:
    mission: str
    pseudonym: str
    role: Role
    team: str | None
    public_key: str
    languages: tuple[str, ...]
    index: int  # its registration entry


def statement(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What a signer signs: the entry without its kind, election and signature (the election is
    bound by the log the entry sits in, and the purpose string binds the kind)."""
    return {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}


def text(entry: Mapping[str, Any], key: str, limit: int = 200) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ObserverError(f"{key}: text of 1 to {limit} characters required")
    return value


def parse_mission(index: int, entry: Mapping[str, Any]) -> Mission:
    try:
        kind = MissionKind(str(entry.get("mission_kind")))
    except ValueError:
        raise ObserverError(f"mission_kind: one of {', '.join(MissionKind)}") from None
    links = {k: entry.get(k) for k in ("witness", "trustee")}
    for k, v in links.items():
        if v is not None and (not isinstance(v, str) or not v or len(v) > 128):
            raise ObserverError(f"{k}: the name it has as {k}, 1 to 128 characters, or absent")
    return Mission(text(entry, "mission", 64), kind, text(entry, "name", 300),
                   text(entry, "public_key", 100), index, links["witness"],
                   links["trustee"])  # fmt: skip


def parse_observer(index: int, entry: Mapping[str, Any], mission: Mission) -> Observer:
    try:
        role = Role(str(entry.get("role")))
    except ValueError:
        raise ObserverError(f"role: one of {', '.join(Role)}") from None
    if role not in ROLES[mission.kind]:
        raise ObserverError(f"a {mission.kind.value} mission has no {role.value} observers")
    team = entry.get("team")
    if role is Role.STO and (not isinstance(team, str) or not team):
        raise ObserverError("a short-term observer belongs to a team")
    if team is not None and (not isinstance(team, str) or len(team) > 64):
        raise ObserverError("team: text of at most 64 characters or null")
    languages = entry.get("languages", [])
    if not isinstance(languages, list) or not all(
        isinstance(x, str) and 2 <= len(x) <= 3 for x in languages
    ):
        raise ObserverError("languages: a list of ISO 639 codes")
    return Observer(mission.id, text(entry, "observer", 64), role,
                    team if isinstance(team, str) else None, text(entry, "public_key", 100),
                    tuple(languages), index)  # fmt: skip


PURPOSES = {
    "mission-accreditation": ACCREDITATION_PURPOSE,
    "observer-registration": REGISTRATION_PURPOSE,
    "deployment-plan": PLAN_PURPOSE,
    "observation": OBSERVATION_PURPOSE,
    "observation-content": PUBLICATION_PURPOSE,
    "protocol-copy": COPY_PURPOSE,
    "station-change": MOVE_PURPOSE,
    "lto-areas": AREAS_PURPOSE,
    "mission-statement": STATEMENT_PURPOSE,
    "mission-forms": FORMS_PURPOSE,
}
