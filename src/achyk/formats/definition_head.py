"""A stored definition read back without pydantic: the election around its stations.

`achyk results` in a fresh process and the first overview after `achyk serve` build the election
from the outline stored beside its definition (services.outline): the contests, thousands of
regions and districts, a few stations. Through pydantic that cost its import (a tenth of a
second) and more than its validation of the figures to show. A definition read back from our own
database passed every check when it was loaded and has the canonical shape
`election_to_document` writes; `stored_election` reads that shape with exact types.

This is a fast path, never a second rulebook: any key it does not know, a value of another type
or shape than the canonical document's, the dispute rules (their own reader,
formats.dispute_rules) — anything at all answers None, and the caller reads the text the full way
(formats.definition). A test holds the two ways equal on every example and generated definition.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from achyk.domain.definition import (
    Authority,
    BoardMember,
    Contest,
    ContestKind,
    District,
    Election,
    ElectionType,
    Method,
    Names,
    Option,
    PercentBase,
    Region,
    Witness,
)
from achyk.domain.forms import FormLine, OnFail, ProtocolForm, Relation, parse_relation
from achyk.formats.definition_stations import core_stations, plain_stations

_TOP = frozenset(("format", "election", "authorities", "audit_boards", "contests", "regions",
                  "form", "witnesses", "witness_quorum"))  # fmt: skip
_HEADER = frozenset(("id", "name", "names", "type", "date", "abroad_any_station",
                     "credential_authority"))  # fmt: skip
_CONTEST = frozenset(("id", "name", "names", "kind", "seats", "parties", "candidates",
                      "against_all", "method", "threshold_pct", "region_threshold_pct",
                      "seat_cap", "base", "districts"))  # fmt: skip
_OPTION = frozenset(("id", "name", "names", "party"))
_REGION = frozenset(("id", "name", "names", "abroad", "districts"))
_DISTRICT = frozenset(("id", "name", "names", "stations"))
_AUTHORITY = frozenset(("id", "name", "public_key", "body", "unit"))
_BODIES = frozenset(("station", "territorial", "central", "court", "supreme-court"))
_BOARD = frozenset(("id", "name", "party", "public_key"))
_WITNESS = frozenset(("name", "key"))
_FORM = frozenset(("id", "name", "source", "lines", "relations"))
_LINE = frozenset(("number", "key", "label"))
_RELATION = frozenset(("check", "on_fail"))
_LANGUAGES = frozenset(("ru", "ky", "kk", "en"))
_TYPES = {t.value: t for t in ElectionType}
_KINDS = {k.value: k for k in ContestKind}
_METHODS = {m.value: m for m in Method}
_BASES = {b.value: b for b in PercentBase}
_ON_FAIL = {f.value: f for f in OnFail}
_PCT = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?")  # as election_to_document writes a percentage
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORM_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


class _NotPlain(Exception):
    """Anything the canonical document would not hold: the full reader decides."""


def _check(ok: bool) -> None:
    if not ok:
        raise _NotPlain


def _text(value: Any, *, empty: bool = False) -> str:
    _check(type(value) is str and (empty or value != ""))
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value, empty=True)


def _int(value: Any, least: int) -> int:
    _check(type(value) is int and value >= least)
    return int(value)


def _bool(value: Any) -> bool:
    _check(type(value) is bool)
    return bool(value)


def _list(value: Any) -> list[Any]:
    _check(type(value) is list)
    return list(value)


def _mapping(value: Any, keys: frozenset[str]) -> dict[str, Any]:
    _check(type(value) is dict and value.keys() <= keys)
    return dict(value)


def _names(value: Any) -> Names:
    if value is None:
        return ()
    _check(type(value) is dict and value.keys() <= _LANGUAGES)
    return tuple(sorted((lang, _text(name)) for lang, name in value.items()))


def _pct(value: Any) -> Decimal:
    if type(value) is str and _PCT.fullmatch(value):
        try:
            pct = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern lets no such text through
            raise _NotPlain from None
        _check(0 <= pct <= 100)
        return pct
    raise _NotPlain


def _one_of(value: Any, choices: dict[str, Any]) -> Any:
    _check(type(value) is str and value in choices)
    return choices[value]


def _option(doc: Any) -> Option:
    o = _mapping(doc, _OPTION)
    return Option(_text(o.get("id")), _text(o.get("name")), _optional_text(o.get("party")),
                  _names(o.get("names")))  # fmt: skip


def _contest(doc: Any) -> Contest:
    c = _mapping(doc, _CONTEST)
    parties = [_option(o) for o in _list(c["parties"])] if c.get("parties") is not None else None
    candidates = (
        [_option(o) for o in _list(c["candidates"])] if c.get("candidates") is not None else None
    )
    seat_cap = c.get("seat_cap")
    return Contest(
        id=_text(c.get("id")),
        name=_text(c.get("name")),
        kind=_one_of(c.get("kind"), _KINDS),
        seats=_int(c.get("seats"), 1),
        options=tuple(parties or candidates or []),
        against_all=_bool(c.get("against_all", False)),
        method=_one_of(c.get("method", Method.HARE.value), _METHODS),
        threshold_pct=_pct(c.get("threshold_pct", "0")),
        region_threshold_pct=_pct(c.get("region_threshold_pct", "0")),
        seat_cap=None if seat_cap is None else _int(seat_cap, 1),
        base=_one_of(c.get("base", PercentBase.VOTED.value), _BASES),
        districts=tuple(_text(d) for d in _list(c.get("districts", []))),
        names=_names(c.get("names")),
    )


def _form(doc: Any) -> ProtocolForm:
    f = _mapping(doc, _FORM)
    form_id = _text(f.get("id"))
    _check(_FORM_ID.fullmatch(form_id) is not None)
    lines = []
    for line in _list(f.get("lines")):
        x = _mapping(line, _LINE)
        lines.append(FormLine(_text(x.get("number")), _text(x.get("key")), _text(x.get("label"))))
    _check(bool(lines))
    relations = []
    for relation in _list(f.get("relations", [])):
        r = _mapping(relation, _RELATION)
        check = _text(r.get("check"))
        try:
            left, op, right = parse_relation(check)
        except ValueError:
            raise _NotPlain from None
        relations.append(Relation(left, op, right, _one_of(r.get("on_fail"), _ON_FAIL), check))
    return ProtocolForm(id=form_id, name=_text(f.get("name")), lines=tuple(lines),
                        relations=tuple(relations), source=_text(f.get("source", ""), empty=True))  # fmt: skip


def _date(value: Any) -> str:
    text = _text(value)
    _check(_DATE.fullmatch(text) is not None)
    try:
        date.fromisoformat(text)
    except ValueError:
        raise _NotPlain from None
    return text


def stored_election(doc: Any) -> Election | None:
    """The election of a stored definition document (stations and all) when it has the canonical
    shape; else None. Its stations go as `doc` is read: the caller must not use `doc` again."""
    try:
        return _election(doc)
    except _NotPlain:
        return None


def _election(doc: Any) -> Election:
    d = _mapping(doc, _TOP)
    _check(d.get("format", 1) == 1 and type(d.get("format", 1)) is int)
    h = _mapping(d.get("election"), _HEADER)
    contests = tuple(_contest(c) for c in _list(d.get("contests")))
    _check(bool(contests))
    region_docs = _list(d.get("regions"))
    _check(bool(region_docs))
    stations = plain_stations(region_docs)
    _check(stations is not None)
    assert stations is not None
    docs = stations.documents
    regions = []
    for ri, region in enumerate(region_docs):
        r = _mapping(region, _REGION)
        districts = []
        for di, district in enumerate(_list(r.get("districts"))):
            x = _mapping(district, _DISTRICT)
            districts.append(District(_text(x.get("id")), _text(x.get("name")),
                                      core_stations(docs.pop((ri, di))), _names(x.get("names"))))  # fmt: skip
        regions.append(Region(_text(r.get("id")), _text(r.get("name")), tuple(districts),
                              _bool(r.get("abroad", False)), _names(r.get("names"))))  # fmt: skip
    authorities = []
    for a in _list(d.get("authorities", [])):
        x = _mapping(a, _AUTHORITY)
        body = x.get("body", "central")
        _check(body in _BODIES)
        authorities.append(Authority(_text(x.get("id")), _text(x.get("name")),
                                     _text(x.get("public_key"), empty=True), body,
                                     _optional_text(x.get("unit"))))  # fmt: skip
    boards = []
    for b in _list(d.get("audit_boards", [])):
        x = _mapping(b, _BOARD)
        boards.append(BoardMember(_text(x.get("id")), _text(x.get("name")),
                                  _text(x.get("party")), _text(x.get("public_key"), empty=True)))  # fmt: skip
    witnesses = []
    for w in _list(d.get("witnesses", [])):
        x = _mapping(w, _WITNESS)
        witnesses.append(Witness(_text(x.get("name")), _text(x.get("key"), empty=True)))
    quorum = d.get("witness_quorum")
    form = d.get("form")
    return Election(
        _text(h.get("id")), _text(h.get("name")), _one_of(h.get("type"), _TYPES),
        _date(h.get("date")), contests, tuple(regions), tuple(authorities),
        abroad_any_station=_bool(h.get("abroad_any_station", False)),
        form=None if form is None else _form(form),
        credential_authority=_optional_text(h.get("credential_authority")),
        witnesses=tuple(witnesses),
        witness_quorum=0 if quorum is None else _int(quorum, 1),
        audit_boards=tuple(boards),
        names=_names(h.get("names")),
    )  # fmt: skip
