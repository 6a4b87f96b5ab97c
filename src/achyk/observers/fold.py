"""The fold of a log's observer entries: the chain of trust CEC → mission → observer, the plan
redrawn from its seed, each observation signed by a registered observer, each publication matching
the hash logged at submission, and each protocol copy set beside the published protocol.

The server applies it before it logs an entry (what fails is refused and kept as evidence); `achyk
verify` applies it again to the published log, so an entry the server logged anyway is caught.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from achyk.canonical import canonical_json
from achyk.errors import SignatureError
from achyk.observers.deployment import ABROAD, Plan, differences, draw, parse_plan
from achyk.observers.forms import STANDARD, Form, check_answers
from achyk.observers.mission_forms import MissionForm, parse_mission_forms
from achyk.observers.model import (
    ACCREDITATION_PURPOSE,
    AREAS_PURPOSE,
    COPY_PURPOSE,
    FORMS_PURPOSE,
    MOVE_PURPOSE,
    OBSERVATION_PURPOSE,
    OBSERVING,
    PLAN_PURPOSE,
    PUBLICATION_PURPOSE,
    REGISTRATION_PURPOSE,
    STATEMENT_PURPOSE,
    SUBMISSIONS,
    Mission,
    Observer,
    ObserverError,
    Role,
    parse_mission,
    parse_observer,
    statement,
    text,
)
from achyk.observers.moves import Areas, Move, parse_areas, parse_move
from achyk.observers.statement import check_document
from achyk.signing import verify

# The figures of a final protocol an observer copies, as the protocol document names them.
COPY_FIELDS = (
    "voters_on_list", "ballots_received", "issued_in_station", "issued_outside", "cancelled",
    "found_mobile", "found_stationary", "invalid", "valid",
)  # fmt: skip


@dataclass(frozen=True)
class Observation:
    index: int
    mission: str
    observer: str
    station: str
    form: str
    content_sha256: str
    published: int | None = None  # the observation-content entry
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProtocolCopy:
    index: int
    mission: str
    observer: str
    station: str
    contest: str
    figures: dict[str, Any]  # COPY_FIELDS and "votes"


@dataclass(frozen=True)
class IssuedStatement:
    index: int
    mission: str
    kind: str  # preliminary or final
    document: dict[str, Any]


@dataclass
class Observers:
    """Every mission, observer, plan, observation and protocol copy folded from the log in order."""

    missions: dict[str, Mission] = field(default_factory=dict)
    observers: dict[tuple[str, str], Observer] = field(default_factory=dict)
    plans: dict[str, tuple[int, Plan]] = field(default_factory=dict)
    observations: dict[int, Observation] = field(default_factory=dict)
    contents: dict[int, dict[str, Any]] = field(default_factory=dict)  # observation → content
    copies: list[ProtocolCopy] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    moves: list[Move] = field(default_factory=list)  # changes of station on the day, in order
    areas: dict[str, Areas] = field(default_factory=dict)  # mission → its LTOs' latest areas
    submitted: dict[str, int] = field(default_factory=dict)  # submission_id → its log entry
    statements: list[IssuedStatement] = field(default_factory=list)
    forms: dict[str, dict[str, MissionForm]] = field(
        default_factory=dict
    )  # mission → its own, latest
    form_of: dict[int, Form] = field(default_factory=dict)  # observation → its form when signed
    _stations: frozenset[str] | None = None  # every station of the strata, once

    def known(self, station: str, strata: Mapping[str, list[str]]) -> bool:
        if self._stations is None:
            self._stations = frozenset(s for ids in strata.values() for s in ids)
        return station in self._stations

    def add(
        self,
        index: int,
        entry: Mapping[str, Any],
        central_keys: Mapping[str, str],
        strata: Mapping[str, list[str]],
    ) -> None:
        """Apply one entry; ObserverError or SignatureError names why it is not allowed.

        `central_keys`: the central commission's authority id → public key (from the definition);
        `strata`: the election's stations by deployment stratum (`deployment.strata_of`).
        """
        kind = entry.get("kind")
        if kind == "mission-accreditation":
            self._accredit(index, entry, central_keys)
        elif kind == "observer-registration":
            self._register(index, entry)
        elif kind == "deployment-plan":
            self._plan(index, entry, strata)
        elif kind == "observation":
            self._observe(index, entry, strata)
        elif kind == "observation-content":
            self._publish(index, entry)
        elif kind == "protocol-copy":
            self._copy(index, entry, strata)
        elif kind == "station-change":
            self._move(index, entry, strata)
        elif kind == "lto-areas":
            self._areas(index, entry, strata)
        elif kind == "mission-statement":
            self._statement(index, entry)
        elif kind == "mission-forms":
            self._forms(entry)
        else:
            raise ObserverError(f"not an observer entry: {kind!r}")
        if kind in SUBMISSIONS:
            self.submitted[submission_id(entry)] = index

    def resubmitted(self, entry: Mapping[str, Any]) -> int | None:
        """The log entry of this very signed submission — same kind, fields and signature — if it
        is already logged (a phone resending what it sent before the signal dropped). The fold
        refuses a second copy on the log."""
        if entry.get("kind") not in SUBMISSIONS:
            return None
        try:
            return self.submitted.get(submission_id(entry))
        except (TypeError, ValueError):
            return None

    def mission(self, entry: Mapping[str, Any]) -> Mission:
        mission = self.missions.get(str(entry.get("mission")))
        if mission is None:
            raise ObserverError(f"mission {entry.get('mission')!r} is not accredited")
        return mission

    def observer(self, entry: Mapping[str, Any]) -> Observer:
        mission = self.mission(entry)
        found = self.observers.get((mission.id, str(entry.get("observer"))))
        if found is None:
            raise ObserverError(
                f"{entry.get('observer')!r} is not an observer registered by {mission.id}"
            )
        return found

    def _accredit(self, index: int, entry: Mapping[str, Any], keys: Mapping[str, str]) -> None:
        authority = text(entry, "authority")
        key = keys.get(authority)
        if key is None:
            raise ObserverError(f"{authority!r} is not the central commission: it cannot accredit")
        verify(key, ACCREDITATION_PURPOSE, statement(entry), str(entry.get("signature")))
        mission = parse_mission(index, entry)
        if mission.id in self.missions:
            raise ObserverError(f"mission {mission.id} is already accredited")
        self.missions[mission.id] = mission

    def _register(self, index: int, entry: Mapping[str, Any]) -> None:
        mission = self.mission(entry)
        verify(mission.public_key, REGISTRATION_PURPOSE, statement(entry),
               str(entry.get("signature")))  # fmt: skip
        observer = parse_observer(index, entry, mission)
        if (mission.id, observer.pseudonym) in self.observers:
            raise ObserverError(f"{observer.pseudonym} is already registered by {mission.id}")
        if observer.public_key in self.keys:
            raise ObserverError("that key is already an observer's")  # one key, one observer
        self.keys.add(observer.public_key)
        if mission.id in self.plans and observer.team is not None:
            raise ObserverError(f"{mission.id} has committed its plan: no new team members")
        self.observers[(mission.id, observer.pseudonym)] = observer

    def teams(self, mission: str) -> list[str]:
        return sorted({o.team for (m, _), o in self.observers.items()
                       if m == mission and o.team is not None})  # fmt: skip

    def _plan(self, index: int, entry: Mapping[str, Any], strata: Mapping[str, list[str]]) -> None:
        mission = self.mission(entry)
        verify(mission.public_key, PLAN_PURPOSE, statement(entry), str(entry.get("signature")))
        if mission.id in self.plans:
            raise ObserverError(f"{mission.id} has already committed its plan")
        if any(o.mission == mission.id for o in self.observations.values()):
            raise ObserverError("a plan comes before the mission's first observation")
        logged = parse_plan(entry)
        redrawn = draw(logged.seed, self.teams(mission.id), strata, logged.per_team)
        problems = differences(logged, redrawn)
        if problems:
            raise ObserverError("the plan is not its seed's draw: " + "; ".join(problems[:3]))
        self.plans[mission.id] = (index, logged)

    def _once(self, entry: Mapping[str, Any]) -> None:
        prior = self.resubmitted(entry)
        if prior is not None:
            raise ObserverError(f"the same signed submission is already log entry {prior}")

    def _observe(
        self, index: int, entry: Mapping[str, Any], strata: Mapping[str, list[str]]
    ) -> None:
        self._once(entry)
        observer = self.observer(entry)
        if observer.role not in OBSERVING:
            raise ObserverError(f"a {observer.role.value} does not submit station forms")
        verify(observer.public_key, OBSERVATION_PURPOSE, statement(entry),
               str(entry.get("signature")))  # fmt: skip
        station, form = text(entry, "station", 64), text(entry, "form", 64)
        if not self.known(station, strata):
            raise ObserverError(f"no station {station!r} in the election")
        digest = entry.get("content_sha256")
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or set(digest) - set("0123456789abcdef")
        ):
            raise ObserverError("content_sha256: the SHA-256 of the form's content, hex")
        text(entry, "at", 40)
        spec = self.form(observer.mission, form)
        if spec is None:
            raise ObserverError(f"no form {form!r}: neither a standard form nor one {observer.mission}"
                                f" has published")  # fmt: skip
        self.form_of[index] = spec
        self.observations[index] = Observation(index, observer.mission, observer.pseudonym,
                                               station, form, digest)  # fmt: skip

    def _publish(self, index: int, entry: Mapping[str, Any]) -> None:
        mission = self.mission(entry)
        verify(mission.public_key, PUBLICATION_PURPOSE, statement(entry),
               str(entry.get("signature")))  # fmt: skip
        raw = entry.get("observation")
        target = raw if type(raw) is int else -1
        observation = self.observations.get(target)
        if observation is None or observation.mission != mission.id:
            raise ObserverError(f"log entry {target} is not an observation of {mission.id}")
        if observation.published is not None:
            raise ObserverError(f"observation {target} is already published")
        content = entry.get("content")
        if not isinstance(content, dict):
            raise ObserverError("content: the form's answers, an object")
        digest = hashlib.sha256(canonical_json(content)).hexdigest()
        if digest != observation.content_sha256:
            raise ObserverError(f"the content hashes to {digest}, the observer signed "
                                f"{observation.content_sha256}")  # fmt: skip
        photos = entry.get("photos", {})
        evidence = content.get("evidence", [])
        if (
            not isinstance(photos, dict)
            or not isinstance(evidence, list)
            or not all(
                k in evidence and isinstance(v, str) and len(v) == 64 for k, v in photos.items()
            )
        ):
            raise ObserverError("photos: each photo of the content's evidence → its published hash")
        form = self.form_of.get(target)
        flags = check_answers(form, content.get("answers", {})).flags if form else ()
        self.observations[target] = Observation(
            observation.index, observation.mission, observation.observer, observation.station,
            observation.form, observation.content_sha256, index, flags,
        )  # fmt: skip
        self.contents[target] = content

    def _move(self, index: int, entry: Mapping[str, Any], strata: Mapping[str, list[str]]) -> None:
        self._once(entry)
        observer = self.observer(entry)
        if observer.role not in OBSERVING:
            raise ObserverError(f"a {observer.role.value} does not visit stations")
        verify(observer.public_key, MOVE_PURPOSE, statement(entry), str(entry.get("signature")))
        move = parse_move(index, entry, observer.mission, observer.pseudonym, observer.team)
        for station in (move.from_station, move.to_station):
            if not self.known(station, strata):
                raise ObserverError(f"no station {station!r} in the election")
        self.moves.append(move)

    def _areas(self, index: int, entry: Mapping[str, Any], strata: Mapping[str, list[str]]) -> None:
        mission = self.mission(entry)
        verify(mission.public_key, AREAS_PURPOSE, statement(entry), str(entry.get("signature")))
        ltos = sorted(p for (m, p), o in self.observers.items()
                      if m == mission.id and o.role is Role.LTO)  # fmt: skip
        regions = sorted(h for h in strata if h != ABROAD)
        self.areas[mission.id] = parse_areas(index, entry, mission.id, ltos, regions)

    def form(self, mission: str, form: str) -> Form | None:
        """A standard form, or one of the mission's own as it last published them."""
        own = self.forms.get(mission, {}).get(form)
        return STANDARD.get(form) or (own.form if own else None)

    def _forms(self, entry: Mapping[str, Any]) -> None:
        mission = self.mission(entry)
        try:
            verify(mission.public_key, FORMS_PURPOSE, statement(entry), str(entry.get("signature")))
        except SignatureError:
            raise ObserverError(f"the forms are not signed by the accredited key of mission "
                                f"{mission.id}") from None  # fmt: skip
        self.forms[mission.id] = parse_mission_forms(entry)  # replaces the earlier entry's

    def planned(self, mission: str) -> set[str]:
        """The mission's plan as carried out: its drawn stations, each a team moved away from
        replaced by the one it moved to (the change is on the log, signed by the observer)."""
        if mission not in self.plans:
            return set()
        stations = self.plans[mission][1].stations()
        for move in self.moves:
            if move.mission == mission and move.from_station in stations:
                stations = (stations - {move.from_station}) | {move.to_station}
        return stations

    def _copy(self, index: int, entry: Mapping[str, Any], strata: Mapping[str, list[str]]) -> None:
        self._once(entry)
        observer = self.observer(entry)
        if observer.role not in OBSERVING:
            raise ObserverError(f"a {observer.role.value} does not copy protocols")
        verify(observer.public_key, COPY_PURPOSE, statement(entry), str(entry.get("signature")))
        station, contest = text(entry, "station", 64), text(entry, "contest", 64)
        if not self.known(station, strata):
            raise ObserverError(f"no station {station!r} in the election")
        figures = entry.get("figures")
        if not isinstance(figures, dict) or not isinstance(figures.get("votes"), dict):
            raise ObserverError("figures: the protocol's lines and its votes, as copied")
        values = [figures.get(k) for k in COPY_FIELDS] + list(figures["votes"].values())
        if not all(type(v) is int and v >= 0 for v in values):
            raise ObserverError(
                f"figures: whole numbers ≥ 0 for {', '.join(COPY_FIELDS)} and votes"
            )
        self.copies.append(ProtocolCopy(index, observer.mission, observer.pseudonym, station,
                                        contest, dict(figures)))  # fmt: skip

    def _statement(self, index: int, entry: Mapping[str, Any]) -> None:
        mission = self.mission(entry)
        try:
            verify(mission.public_key, STATEMENT_PURPOSE, statement(entry),
                   str(entry.get("signature")))  # fmt: skip
        except SignatureError:
            raise ObserverError(f"the statement is not signed by the accredited key of mission "
                                f"{mission.id}") from None  # fmt: skip
        doc = check_document(entry.get("statement"))
        if doc.get("mission") != mission.id:
            raise ObserverError(f"the statement names mission {doc.get('mission')!r}, "
                                f"it is signed as {mission.id}")  # fmt: skip
        text(entry, "issued_at", 40)
        self.statements.append(IssuedStatement(index, mission.id, str(doc["kind"]), doc))


def submission_id(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the kind, a newline and the entry's RFC 8785 bytes without kind and election."""
    body = {k: v for k, v in entry.items() if k not in ("kind", "election")}
    return hashlib.sha256(f"{entry.get('kind')}\n".encode() + canonical_json(body)).hexdigest()


def compare_copy(copy: Mapping[str, Any], published: Mapping[str, Any]) -> list[str]:
    """Line by line: where the observer's copy and the published protocol differ."""
    out = [f"{k}: copy {copy.get(k)}, published {published.get(k)}"
           for k in COPY_FIELDS if copy.get(k) != published.get(k)]  # fmt: skip
    cv, pv = copy.get("votes") or {}, published.get("votes") or {}
    for option in sorted(set(cv) | set(pv)):
        if cv.get(option) != pv.get(option):
            out.append(f"votes for {option}: copy {cv.get(option)}, published {pv.get(option)}")
    return out
