"""Protocol forms as data: the numbered lines a country's law prescribes and their relations.

A form names each line with the number the law gives it ("1", "10", "1a"), the protocol field it
fills (``valid``, ``lost`` …) and its label, and lists the control relations between lines. Each
relation either *refuses* the protocol (it is kept as evidence, not counted) or *flags* it (it is
accepted and counted, and shown as an anomaly), as that country's law decides: Russian law, for
one, counts a protocol with more ballots in the boxes than were issued, with an act attached.

A relation is written as the law writes it, over field names, e.g.
``ballots_received = issued_early + issued_in_station + issued_outside + cancelled + lost -
unaccounted``; ``votes`` stands for the sum of the option lines. Problems name the country's line
numbers, never our field names alone.

Every form has the nine lines tabulation reads (:data:`BASE_LINES`); other lines are its own. One
extra field has a meaning of its own: ``issued_early`` (ballots issued to early voters) counts
towards the ballots issued, hence towards turnout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from achyk.errors import Problem

# The lines every form has, in the order of the form achyk began with (keys are protocol fields).
BASE_LINES: tuple[tuple[str, str], ...] = (
    ("voters_on_list", "voters on the list"),
    ("ballots_received", "ballots received"),
    ("issued_in_station", "ballots issued in the station"),
    ("issued_outside", "ballots issued outside the station (mobile box)"),
    ("cancelled", "ballots cancelled"),
    ("found_mobile", "ballots found in mobile boxes"),
    ("found_stationary", "ballots found in stationary boxes"),
    ("invalid", "invalid ballots"),
    ("valid", "valid ballots"),
)
BASE_KEYS = tuple(key for key, _ in BASE_LINES)
EARLY = "issued_early"  # counts towards the ballots issued (see Protocol.issued)
VOTES = "votes"  # in a relation: the sum of the option lines
RESERVED = frozenset({"election", "station", "contest", "kind", "votes", "form"})
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NUMBER_PATTERN = re.compile(r"^[0-9]{1,3}[a-zа-я]?$")


class OnFail(StrEnum):
    REFUSE = "refuse"  # the protocol is not accepted; kept as evidence with the reason
    FLAG = "flag"  # accepted and counted; shown as an anomaly on the site and in open data


class Op(StrEnum):
    EQ = "="
    LE = "<="
    GE = ">="


_OPS = {"=": Op.EQ, "==": Op.EQ, "<=": Op.LE, "≤": Op.LE, ">=": Op.GE, "≥": Op.GE}
_BROKEN = {Op.EQ: "≠", Op.LE: ">", Op.GE: "<"}
_TOKEN = re.compile(r"\s*(<=|>=|==|≤|≥|=|\+|-|−|[a-z][a-z0-9_]*)")

Terms = tuple[tuple[int, str], ...]  # (sign, field), sign +1 or -1


@dataclass(frozen=True)
class FormLine:
    number: str  # as the law numbers it
    key: str  # the protocol field it fills
    label: str


@dataclass(frozen=True)
class Relation:
    left: Terms
    op: Op
    right: Terms
    on_fail: OnFail
    text: str  # the relation as written in the definition

    def fields(self) -> set[str]:
        return {key for _, key in self.left + self.right}


@dataclass(frozen=True)
class ProtocolForm:
    id: str
    name: str
    lines: tuple[FormLine, ...]
    relations: tuple[Relation, ...]
    source: str = ""  # the law that prescribes the form, cited

    def line_keys(self) -> tuple[str, ...]:
        return tuple(line.key for line in self.lines)

    def extra_keys(self) -> tuple[str, ...]:
        return tuple(line.key for line in self.lines if line.key not in BASE_KEYS)

    def line(self, key: str) -> FormLine | None:
        return next((line for line in self.lines if line.key == key), None)

    def first_option_number(self) -> int:
        """Option lines follow the last numbered line (the laws number them on)."""
        numbers = [int(re.sub(r"\D", "", line.number)) for line in self.lines]
        return max(numbers, default=0) + 1

    def where(self, key: str) -> str:
        """How a problem names a field: by the country's line number and label."""
        if key == VOTES:
            return f"lines {self.first_option_number()}+ (votes for each option)"
        line = self.line(key)
        return f"line {line.number} ({line.label})" if line else key


def parse_relation(text: str) -> tuple[Terms, Op, Terms]:
    """``a + b - c = d`` into its sides; ValueError naming what is wrong."""
    tokens: list[str] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None:
            raise ValueError(f"cannot read {stripped[pos:].strip()!r}")
        tokens.append(m.group(1))
        pos = m.end()
    ops = [i for i, t in enumerate(tokens) if t in _OPS]
    if len(ops) != 1:
        raise ValueError("a relation has exactly one of =, <=, >=")
    i = ops[0]
    return _side(tokens[:i]), _OPS[tokens[i]], _side(tokens[i + 1 :])


def _side(tokens: list[str]) -> Terms:
    terms: list[tuple[int, str]] = []
    sign: int | None = None
    for t in tokens:
        if t in ("+", "-", "−"):
            if sign is not None:
                raise ValueError("two signs in a row")
            sign = 1 if t == "+" else -1
            continue
        if terms and sign is None:
            raise ValueError(f"a sign is missing before {t!r}")
        terms.append((sign or 1, t))
        sign = None
    if not terms or sign is not None:
        raise ValueError("each side names at least one line, and ends with one")
    return tuple(terms)


def check_form(
    form: ProtocolForm, values: Mapping[str, int], votes: int
) -> tuple[list[Problem], list[Problem]]:
    """(refusals, flags): every relation of `form` that these line values break.

    `values` holds every line of the form; `votes` is the sum of the option lines.
    """
    refusals: list[Problem] = [
        Problem(form.where(key), f"{values[key]} is negative")
        for key in form.line_keys()
        if values[key] < 0
    ]
    if refusals:
        return refusals, []  # the sums below mean nothing with negative terms
    flags: list[Problem] = []
    for relation in form.relations:
        problem = _broken(form, relation, values, votes)
        if problem is not None:
            (refusals if relation.on_fail is OnFail.REFUSE else flags).append(problem)
    return refusals, flags


def _value(key: str, values: Mapping[str, int], votes: int) -> int:
    return votes if key == VOTES else values[key]


def _broken(
    form: ProtocolForm, r: Relation, values: Mapping[str, int], votes: int
) -> Problem | None:
    left = sum(sign * _value(k, values, votes) for sign, k in r.left)
    right = sum(sign * _value(k, values, votes) for sign, k in r.right)
    ok = left == right if r.op is Op.EQ else left <= right if r.op is Op.LE else left >= right
    if ok:
        return None

    def render(terms: Terms, total: int) -> str:
        if len(terms) == 1 and terms[0][0] == 1:
            key = terms[0][1]
            return f"{total} (sum of {_short(form, key)})" if key == VOTES else str(total)
        parts = []
        for i, (sign, key) in enumerate(terms):
            term = f"{_short(form, key)} {_value(key, values, votes)}"
            parts.append(("− " if sign < 0 else "+ " if i else "") + term)
        return " ".join(parts) + f" = {total}"

    head = r.left[0][1] if len(r.left) == 1 else None
    where = form.where(head) if head else " + ".join(_short(form, k) for _, k in r.left)
    return Problem(where, f"{render(r.left, left)} {_BROKEN[r.op]} {render(r.right, right)}")


def _short(form: ProtocolForm, key: str) -> str:
    if key == VOTES:
        return f"lines {form.first_option_number()}+"
    line = form.line(key)
    return f"line {line.number}" if line else key
