"""Observation forms as data: the checklists an observer fills at a station, and incidents.

After the ODIHR Election Observation Handbook (6th ed., 2010): a form for each stage (opening,
voting, counting), arrival and departure times, yes/no questions on the procedure, the figures of
the count, and the overall assessment on ODIHR's four-point scale. Incidents carry a category of
those the observers of this region report (cf. Code for Romania's Vote Monitor, ODIHR final
reports on Kyrgyzstan and Kazakhstan). A mission may add questions (`extend`). Quality checks
compare answers (ballots found ≤ issued): a failed check flags the submission, it does not refuse
it — what the observer wrote is evidence either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from achyk.observers.model import ObserverError


class Kind(StrEnum):
    YES_NO = "yes-no"
    NUMBER = "number"
    TIME = "time"  # HH:MM
    CHOICE = "choice"
    TEXT = "text"


class Assessment(StrEnum):
    """ODIHR's overall assessment of what the team saw at a station."""

    VERY_GOOD = "very-good"
    GOOD = "good"
    BAD = "bad"
    VERY_BAD = "very-bad"


NEGATIVE = frozenset({Assessment.BAD.value, Assessment.VERY_BAD.value})


class Incident(StrEnum):
    BALLOT_STUFFING = "ballot-stuffing"
    CAROUSEL = "carousel-voting"
    MOBILE_BOX = "mobile-box"
    CONTROL_PAPER = "control-paper"  # the control sheet not shown or not put in the box at opening
    VOTER_LIST = "voter-list"
    FAMILY_VOTING = "family-voting"
    VOTE_BUYING = "vote-buying"
    SECRECY = "secrecy"
    FINAL_PROTOCOL = "final-protocol"  # not filled in public, pre-signed, or no copy handed out
    PRESSURE_ON_OBSERVERS = "pressure-on-observers"
    UNAUTHORISED_PERSONS = "unauthorised-persons"
    OTHER = "other"


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    label: str
    choices: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Check:
    """`left` ≤ `right` when both are answered (a quality check of the figures)."""

    left: str
    right: str
    message: str


@dataclass(frozen=True)
class Form:
    id: str
    stage: str
    questions: tuple[Question, ...]
    checks: tuple[Check, ...] = ()

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def extend(self, *questions: Question) -> Form:
        """A mission's own questions added to the standard form (ids must be new)."""
        for q in questions:
            if self.question(q.id) is not None:
                raise ObserverError(f"form {self.id} already asks {q.id!r}")
        return replace(self, questions=(*self.questions, *questions))


def _q(qid: str, kind: Kind, label: str, *choices: str, required: bool = True) -> Question:
    return Question(qid, kind, label, choices, required)


_ARRIVAL = (_q("arrival", Kind.TIME, "Time of arrival"),
            _q("departure", Kind.TIME, "Time of departure"))  # fmt: skip
_ASSESS = _q("assessment", Kind.CHOICE, "Overall assessment", *Assessment)

OPENING = Form("opening", "opening", (
    *_ARRIVAL,
    _q("opened_on_time", Kind.YES_NO, "Did the station open at 08:00?"),
    _q("boxes_empty_sealed", Kind.YES_NO, "Were the ballot boxes shown empty and sealed?"),
    _q("control_paper", Kind.YES_NO, "Was the control paper filled in and put in the box?"),
    _q("ballots_received", Kind.NUMBER, "Ballots received by the station"),
    _q("observers_free", Kind.YES_NO, "Could observers see every step?"),
    _ASSESS,
))  # fmt: skip

VOTING = Form("voting", "voting", (
    *_ARRIVAL,
    _q("voters_on_list", Kind.NUMBER, "Voters on the list at arrival"),
    _q("ballots_issued", Kind.NUMBER, "Ballots issued so far"),
    _q("id_checked", Kind.YES_NO, "Was every voter's identity checked?"),
    _q("secrecy", Kind.YES_NO, "Was the secrecy of the vote respected?"),
    _q("group_voting", Kind.YES_NO, "Did you see family or group voting?"),
    _q("unauthorised", Kind.YES_NO, "Were unauthorised persons present or directing?"),
    _q("observers_free", Kind.YES_NO, "Could observers see every step?"),
    _ASSESS,
), (Check("ballots_issued", "voters_on_list", "more ballots issued than voters on the list"),))  # fmt: skip

COUNTING = Form("counting", "counting", (
    *_ARRIVAL,
    _q("voters_on_list", Kind.NUMBER, "Voters on the list"),
    _q("ballots_received", Kind.NUMBER, "Ballots received"),
    _q("ballots_issued", Kind.NUMBER, "Ballots issued"),
    _q("ballots_found", Kind.NUMBER, "Ballots found in the boxes"),
    _q("unused_cancelled", Kind.YES_NO, "Were unused ballots cancelled before the count?"),
    _q("control_paper_found", Kind.YES_NO, "Was the control paper found in the box?"),
    _q("protocol_public", Kind.YES_NO, "Was the protocol filled in in public and not pre-signed?"),
    _q("copy_given", Kind.YES_NO, "Were you given a copy of the final protocol?"),
    _q("observers_free", Kind.YES_NO, "Could observers see every step?"),
    _ASSESS,
), (Check("ballots_found", "ballots_issued", "more ballots found than issued"),
    Check("ballots_issued", "ballots_received", "more ballots issued than received"),
    Check("ballots_issued", "voters_on_list", "more ballots issued than voters on the list")))  # fmt: skip

INCIDENT = Form("incident", "any", (
    _q("time", Kind.TIME, "When"),
    _q("category", Kind.CHOICE, "Category", *Incident),
    _q("description", Kind.TEXT, "What happened"),
    _q("photos", Kind.NUMBER, "Photos taken (their hashes in the evidence list)", required=False),
))  # fmt: skip

STANDARD = {f.id: f for f in (OPENING, VOTING, COUNTING, INCIDENT)}


@dataclass(frozen=True)
class Checked:
    flags: tuple[str, ...]  # quality checks the answers fail (kept and shown, not refused)


def check_answers(form: Form, answers: Mapping[str, Any]) -> Checked:
    """ObserverError when the answers do not fit the form; the quality flags otherwise."""
    unknown = sorted(set(answers) - {q.id for q in form.questions})
    if unknown:
        raise ObserverError(f"form {form.id} does not ask {', '.join(unknown)}")
    for q in form.questions:
        value = answers.get(q.id)
        if value is None:
            if q.required:
                raise ObserverError(f"{q.id}: an answer is required")
            continue
        if q.kind is Kind.YES_NO and not isinstance(value, bool):
            raise ObserverError(f"{q.id}: yes or no (true/false)")
        if q.kind is Kind.NUMBER and (type(value) is not int or value < 0):
            raise ObserverError(f"{q.id}: a whole number ≥ 0")
        if q.kind is Kind.TIME and not _is_time(value):
            raise ObserverError(f"{q.id}: a time HH:MM")
        if q.kind is Kind.CHOICE and value not in q.choices:
            raise ObserverError(f"{q.id}: one of {', '.join(q.choices)}")
        if q.kind is Kind.TEXT and (not isinstance(value, str) or len(value) > 5_000):
            raise ObserverError(f"{q.id}: text of at most 5000 characters")
    flags = tuple(
        c.message for c in form.checks
        if isinstance(answers.get(c.left), int) and isinstance(answers.get(c.right), int)
        and answers[c.left] > answers[c.right]
    )  # fmt: skip
    return Checked(flags)


def _is_time(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hh, mm = value[:2], value[3:]
    return hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60
