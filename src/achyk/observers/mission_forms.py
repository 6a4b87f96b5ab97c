"""A mission's own forms, as data on the log (`mission-forms`, signed by the mission's key).

A mission asks what the standard forms do not (ODIHR's checklists are extended per country and per
mission): each form has an id that is none of the standard ones, a title and question labels in the
four languages of the phone page, questions of the kinds the standard forms use, and quality checks
(`left` ≤ `right` over two numeric questions) that flag, never refuse, as for the standard forms.
A later `mission-forms` entry of the same mission replaces the earlier one; an observation keeps
the form as it was when the observer signed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from achyk.observers.forms import STANDARD, Check, Form, Kind, Question
from achyk.observers.model import ObserverError

LANGUAGES = ("ru", "ky", "kk", "en")
ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
MAX_FORMS, MAX_QUESTIONS, MAX_CHECKS, MAX_CHOICES = 10, 50, 20, 20


@dataclass(frozen=True)
class MissionForm:
    form: Form  # what answers are checked against (labels and messages in English)
    document: dict[str, Any]  # as logged: titles and labels in every language, for the phone page


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise ObserverError(f"{what}: an id of lowercase letters, digits, _ and -, at most 40")
    return value


def _labels(value: object, what: str, limit: int) -> dict[str, str]:
    """One text per language of the page: ru, ky, kk and en, each 1 to `limit` characters."""
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise ObserverError(f"{what}: an object with exactly {', '.join(LANGUAGES)}")
    for lang in LANGUAGES:
        v = value[lang]
        if not isinstance(v, str) or not v.strip() or len(v) > limit:
            raise ObserverError(f"{what}.{lang}: text of 1 to {limit} characters")
    return {lang: value[lang] for lang in LANGUAGES}


def _question(raw: object, where: str) -> Question:
    if not isinstance(raw, dict) or set(raw) - {"id", "kind", "label", "choices", "required"}:
        raise ObserverError(f"{where}: an object of id, kind, label, choices, required")
    qid = _id(raw.get("id"), f"{where}.id")
    try:
        kind = Kind(str(raw.get("kind")))
    except ValueError:
        raise ObserverError(f"{where}.kind: one of {', '.join(Kind)}") from None
    label = _labels(raw.get("label"), f"{where}.label", 300)
    choices = raw.get("choices", [])
    if kind is Kind.CHOICE:
        if (not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES
                or len(set(map(str, choices))) != len(choices)
                or not all(isinstance(c, str) and ID.fullmatch(c) for c in choices)):  # fmt: skip
            raise ObserverError(f"{where}.choices: 2 to {MAX_CHOICES} distinct ids")
    elif choices != []:
        raise ObserverError(f"{where}.choices: only a choice question has choices")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise ObserverError(f"{where}.required: true or false")
    return Question(qid, kind, label["en"], tuple(choices), required)


def _form(raw: object, where: str) -> Form:
    if not isinstance(raw, dict) or set(raw) - {"id", "title", "questions", "checks"}:
        raise ObserverError(f"{where}: an object of id, title, questions, checks")
    fid = _id(raw.get("id"), f"{where}.id")
    if fid in STANDARD:
        raise ObserverError(f"{where}.id: {fid} is a standard form's id")
    _labels(raw.get("title"), f"{where}.title", 200)
    given = raw.get("questions")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_QUESTIONS:
        raise ObserverError(f"{where}.questions: a list of 1 to {MAX_QUESTIONS}")
    questions = tuple(_question(q, f"{where}.questions[{i}]") for i, q in enumerate(given))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ObserverError(f"{where}.questions: each question's id once")
    numbers = {q.id for q in questions if q.kind is Kind.NUMBER}
    checks = raw.get("checks", [])
    if not isinstance(checks, list) or len(checks) > MAX_CHECKS:
        raise ObserverError(f"{where}.checks: a list of at most {MAX_CHECKS}")
    out = []
    for i, c in enumerate(checks):
        at = f"{where}.checks[{i}]"
        if not isinstance(c, dict) or set(c) != {"left", "right", "message"}:
            raise ObserverError(f"{at}: an object of left, right, message")
        left, right = c["left"], c["right"]
        if left not in numbers or right not in numbers or left == right:
            raise ObserverError(f"{at}: left and right name two number questions of the form")
        out.append(Check(left, right, _labels(c["message"], f"{at}.message", 200)["en"]))
    return Form(fid, "any", questions, tuple(out))


def parse_mission_forms(entry: Mapping[str, Any]) -> dict[str, MissionForm]:
    """The forms of a `mission-forms` entry (its signature is checked by the fold), by id."""
    given = entry.get("forms")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_FORMS:
        raise ObserverError(f"forms: a list of 1 to {MAX_FORMS} forms")
    out: dict[str, MissionForm] = {}
    for i, raw in enumerate(given):
        form = _form(raw, f"forms[{i}]")
        if form.id in out:
            raise ObserverError(f"forms[{i}].id: {form.id} twice")
        out[form.id] = MissionForm(form, dict(raw))
    return out
