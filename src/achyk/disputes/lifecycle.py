"""The fold of a complaint's history: every step judged against what came before and who may take it.

The server applies it before it logs a step (so a step out of order or by the wrong body is refused
and kept as evidence), and `achyk verify` applies it to the published log (so a step the server
logged anyway is caught). A body is competent for a case when it is the body the case is before
and its authority covers the case's station (a station commission its station, a territorial
commission its district or region; central bodies and courts the whole election).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.disputes.model import (
    ORDERS,
    Body,
    Category,
    Complaint,
    Decision,
    Filer,
    Status,
    Step,
    Subject,
)
from achyk.disputes.rules import body_may_order
from achyk.errors import AchykError
from achyk.signing import sign

COMPLAINT_PURPOSE = "achyk/complaint/v1"
STEP_PURPOSE = "achyk/complaint-step/v1"
MAX_FACTS = 20_000
MAX_EVIDENCE = 50


class DisputeError(AchykError):
    """A complaint or a step that the law (or the form) does not allow; says why."""


@dataclass(frozen=True)
class BodyKey:
    """An authority of the definition, as the disputes fold sees it."""

    id: str
    body: Body
    unit: str | None  # station, district or region id; None: the whole election


# Which statuses may follow which. After an appeal or a referral the case is before the next body.
NEXT: dict[Status, frozenset[Status]] = {
    Status.FILED: frozenset({Status.REGISTERED, Status.INVALID}),
    Status.REGISTERED: frozenset({Status.HEARING_SET, Status.DECIDED, Status.INVALID, Status.REFERRED}),
    Status.HEARING_SET: frozenset({Status.HEARING_SET, Status.DECIDED, Status.REFERRED}),
    Status.DECIDED: frozenset({Status.APPEALED, Status.REFERRED, Status.EXECUTED, Status.CLOSED}),
    Status.APPEALED: frozenset({Status.HEARING_SET, Status.DECIDED, Status.REFERRED, Status.INVALID}),
    Status.REFERRED: frozenset({Status.HEARING_SET, Status.DECIDED}),
    Status.EXECUTED: frozenset({Status.CLOSED, Status.APPEALED}),
    Status.CLOSED: frozenset(),
    Status.INVALID: frozenset({Status.APPEALED}),
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    complaint: Complaint
    status: Status
    body: Body  # the body the case is before now
    decision: Decision | None = None
    decision_index: int | None = None
    decided_by: str | None = None
    correction: int | None = None
    steps: tuple[Step, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status not in (Status.CLOSED, Status.INVALID, Status.EXECUTED) and not (
            self.status is Status.DECIDED and self.decision not in ORDERS
        )


def covers(key: BodyKey, station: str | None, where: Mapping[str, tuple[str, str]]) -> bool:
    """Does the authority's unit include the station (`where`: station → (district, region))?"""
    if key.unit is None:
        return True
    if station is None:
        return False  # a unit-bound body has no say over the election as a whole
    district, region = where.get(station, ("", ""))
    return key.unit in (station, district, region)


def apply_step(
    case: Case, step: Step, key: BodyKey | None, where: Mapping[str, tuple[str, str]]
) -> Case:
    """The case after `step`, or DisputeError naming why the step is not allowed."""
    if key is None:
        raise DisputeError(f"authority {step.authority!r} is not an authority of the election")
    if step.status not in NEXT[case.status]:
        raise DisputeError(
            f"a complaint that is {case.status.value} cannot become {step.status.value}"
        )
    # An appeal is taken up by the next body up; a referral hands the case to the court.
    expected = case.body
    if step.status is Status.APPEALED:
        up = case.body.next()
        if up is None:
            raise DisputeError(f"the {case.body.value} decides finally: there is no appeal")
        expected = up
    if step.status is Status.REFERRED and case.body is not Body.CENTRAL:
        raise DisputeError("only the central commission refers a complaint to court")
    if key.body is not expected:
        raise DisputeError(
            f"{step.authority} is a {key.body.value} body; the case is before the {expected.value}"
        )
    if not covers(key, case.complaint.station, where):
        raise DisputeError(
            f"{step.authority} has no jurisdiction over station {case.complaint.station}"
        )
    if step.status is Status.DECIDED:
        if step.decision is None:
            raise DisputeError("a decision names what was decided")
        if step.decision in ORDERS:
            if case.complaint.station is None:
                raise DisputeError(f"a {step.decision.value} needs a station complaint")
            if not body_may_order(key.body):
                raise DisputeError(f"a {key.body.value} body cannot order a {step.decision.value}")
    elif step.decision is not None:
        raise DisputeError(f"only a decision carries a decision ({step.decision.value} given)")
    if step.status is Status.EXECUTED:
        if case.decision is not Decision.RECOUNT and case.decision is not Decision.ANNUL:
            raise DisputeError("only a recount or an annulment is executed")
        if case.decision is Decision.RECOUNT and step.correction is None:
            raise DisputeError("a recount is executed by a correction: name its log entry")
    elif step.correction is not None:
        raise DisputeError("only an executed recount names a correction")
    if step.status is Status.HEARING_SET and not step.hearing:
        raise DisputeError("a hearing names its date and place")
    if not step.reasons.strip():
        raise DisputeError("every step gives its reasons")
    body = Body.COURT if step.status is Status.REFERRED else expected
    decided = step.status is Status.DECIDED
    return replace(
        case,
        status=step.status,
        body=body,
        decision=step.decision if decided else case.decision,
        decision_index=step.index if decided else case.decision_index,
        decided_by=step.authority if decided else case.decided_by,
        correction=step.correction if step.correction is not None else case.correction,
        steps=(*case.steps, step),
    )


def _text(entry: Mapping[str, Any], key: str, limit: int = 2_000) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise DisputeError(f"{key}: text of 1 to {limit} characters required")
    return value


MAX_INDEX = 2**53 - 1  # RFC 8785: integers beyond this cannot be hashed or signed

STEP_FIELDS = frozenset({"kind", "election", "complaint", "status", "authority", "at", "reasons",
                         "decision", "hearing", "correction", "signature"})  # fmt: skip
COMPLAINT_FIELDS = frozenset({"kind", "election", "filer", "subject", "station", "category",
                              "facts", "evidence", "filed_at", "body", "filer_key", "signature"})  # fmt: skip


def _no_other_fields(entry: Mapping[str, Any], known: frozenset[str]) -> None:
    other = sorted(str(k)[:40] for k in entry if k not in known)
    if other:
        raise DisputeError(f"unknown field(s): {', '.join(other[:5])}")


def _index(entry: Mapping[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if type(value) is not int or value < 0 or value > MAX_INDEX:
        raise DisputeError(f"{key}: a log entry index (a whole number ≥ 0) or null required")
    return value


def parse_complaint(index: int, entry: Mapping[str, Any]) -> Complaint:
    _no_other_fields(entry, COMPLAINT_FIELDS)
    try:
        filer, subject = Filer(str(entry.get("filer"))), Subject(str(entry.get("subject")))
        category, body = Category(str(entry.get("category"))), Body(str(entry.get("body")))
    except ValueError as err:
        raise DisputeError(str(err)) from None
    station = entry.get("station")
    if subject is Subject.STATION and (not isinstance(station, str) or not station):
        raise DisputeError("a station complaint names its station")
    if subject is not Subject.STATION and station is not None:
        raise DisputeError(f"a complaint about the {subject.value} names no station")
    evidence = entry.get("evidence")
    if (
        not isinstance(evidence, list)
        or len(evidence) > MAX_EVIDENCE
        or not all(
            isinstance(h, str) and len(h) == 64 and set(h) <= set("0123456789abcdef")
            for h in evidence
        )
    ):
        raise DisputeError(f"evidence: a list of at most {MAX_EVIDENCE} SHA-256 hex digests")
    if body in (Body.COURT, Body.SUPREME_COURT):
        raise DisputeError("a complaint is filed with a commission; courts receive appeals")
    return Complaint(
        index, filer, subject, station if isinstance(station, str) else None, category,
        _text(entry, "facts", MAX_FACTS), tuple(evidence), _text(entry, "filed_at", 40), body,
    )  # fmt: skip


def parse_step(index: int, entry: Mapping[str, Any]) -> Step:
    _no_other_fields(entry, STEP_FIELDS)
    try:
        status = Status(str(entry.get("status")))
        raw = entry.get("decision")
        decision = None if raw is None else Decision(str(raw))
    except ValueError as err:
        raise DisputeError(str(err)) from None
    complaint = _index(entry, "complaint")
    if complaint is None:
        raise DisputeError("complaint: the complaint's log entry is required")
    hearing = entry.get("hearing")
    if hearing is not None and (not isinstance(hearing, str) or len(hearing) > 500):
        raise DisputeError("hearing: text of at most 500 characters")
    return Step(
        index, complaint, status, _text(entry, "authority", 200), _text(entry, "at", 40),
        _text(entry, "reasons", MAX_FACTS), decision, hearing, _index(entry, "correction"),
    )  # fmt: skip


def complaint_statement(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What a filer with a key signs: the complaint entry without its signature."""
    return {k: v for k, v in entry.items() if k not in ("kind", "signature")}


step_statement = complaint_statement  # the same rule: everything but the kind and the signature


@dataclass
class Docket:
    """Every case of an election, folded from its complaint and complaint-step entries in order."""

    cases: dict[int, Case] = field(default_factory=dict)

    def file(self, complaint: Complaint) -> Case:
        case = Case(complaint, Status.FILED, complaint.body)
        self.cases[complaint.index] = case
        return case

    def step(self, step: Step, key: BodyKey | None, where: Mapping[str, tuple[str, str]]) -> Case:
        case = self.cases.get(step.complaint)
        if case is None:
            raise DisputeError(f"log entry {step.complaint} is not a filed complaint")
        updated = apply_step(case, step, key, where)
        self.cases[step.complaint] = updated
        return updated


def signed_step(
    private: Ed25519PrivateKey, election_id: str, authority: str, complaint: int, status: Status, reasons: str,
    *, decision: Decision | None = None, hearing: str | None = None, correction: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A body's step as it sends it: signed over everything but the kind and the election."""
    entry: dict[str, Any] = {
        "kind": "complaint-step", "election": election_id, "complaint": complaint,
        "status": status.value, "authority": authority,
        "at": (at or datetime.now(UTC)).isoformat(), "reasons": reasons,
        "decision": decision.value if decision else None, "hearing": hearing,
        "correction": correction,
    }  # fmt: skip
    entry["signature"] = sign(private, STEP_PURPOSE, step_statement(entry))
    return {k: v for k, v in entry.items() if k not in ("kind", "election")}
