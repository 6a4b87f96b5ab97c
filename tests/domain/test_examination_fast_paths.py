"""The examination's fast paths decide exactly as the full readings they spare.

A well-formed standard protocol is read at once (`_standard_protocol`) rather than field by field;
a JSON text with no run of 16 digits is parsed without the integer hook; a protocol whose option
lines are the ballot's, in order, skips the search for missing, unknown and repeated lines; a
device key is kept as raw bytes. Each is checked here against the way it replaces.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from achyk.canonical import canonical_json
from achyk.domain import bounded_json
from achyk.domain.definition import Contest, ContestKind, Option
from achyk.domain.protocol import (
    Protocol,
    _check_ballot_lines,
    _read_field_by_field,
    _standard_protocol,
    check_relations,
    protocol_from_json,
)
from achyk.errors import SignatureError
from achyk.signing import (
    PROTOCOL_PURPOSE,
    load_public_key,
    private_key_from_seed,
    public_key_b64,
    sign,
    verify_canonical,
)
from factories import protocol_doc


class _Text(str):
    pass


class _Count(int):
    pass


def _variants() -> list[dict[str, Any]]:
    base = protocol_doc()
    out: list[dict[str, Any]] = [base, {**base, "votes": {}}, {**base, "kind": "official"}]
    for key, value in [("election", ""), ("station", _Text("1")), ("kind", "final"),
                       ("kind", 1), ("kind", ["official"]), ("valid", True), ("valid", 1.0),
                       ("valid", _Count(590)), ("valid", None), ("valid", -1), ("votes", []),
                       ("votes", {"a": True}), ("votes", {"a": "3"}), ("votes", {1: 3}),
                       ("votes", {_Text("a"): 3}), ("form", "x"), ("extra", 1)]:  # fmt: skip
        out.append({**base, key: value})
    out += [{k: v for k, v in base.items() if k != key} for key in base]
    return out


@pytest.mark.parametrize("doc", _variants())
def test_the_standard_reading_is_the_full_one_where_it_answers(doc: dict[str, Any]) -> None:
    full = _read_field_by_field(doc, None, True)
    fast = _standard_protocol(doc)
    if fast is not None:
        assert full == (fast, [])
        assert type(fast.votes) is tuple and all(type(o) is str for o, _ in fast.votes)
    assert protocol_from_json(doc, strict=True) == full
    if "form" not in doc:
        assert protocol_from_json(doc) == full


def test_the_standard_reading_answers_for_a_well_formed_protocol() -> None:
    assert _standard_protocol(protocol_doc()) is not None
    assert _standard_protocol({**protocol_doc(), "valid": True}) is None


def test_protocol_fields_are_the_lines_in_order() -> None:
    # check_relations reads the nine lines with one attrgetter, in the order of LINES
    p, _ = protocol_from_json(protocol_doc())
    assert p is not None
    negative = Protocol(**{**p.__dict__, "cancelled": -1, "votes": (("a", -2),)})
    assert [str(x) for x in check_relations(negative)] == [
        "line 5 (ballots cancelled): -1 is negative",
        "votes for a: -2 is negative",
    ]


NUMBER_TEXTS = [
    '{"a": 123456789012345, "b": -123456789012345}',  # 15 digits: parsed in C
    '{"a": 1234567890123456}',  # 16 digits: the hook (within range)
    '{"a": 9007199254740992}',  # beyond 2^53 − 1: refused by the hook
    '{"a": "12345678901234567", "b": 1}',  # a long run in a string: a false alarm, same value
    '{"a": 9007199254740992, "b": }',  # refused for the number before the syntax error
    '{"a": 1, "b": }',
    '{"a": 1.5, "b": 1e400}',
    '{"a": NaN}',
    '{"a": -0, "b": [0, 1, 2]}',
    '{"\u00e9": 1, "b": "\U0001f600"}',
]


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_read_json_decides_as_the_hooked_decoder(text: str) -> None:
    raw = text.encode()
    reference: tuple[str, Any]
    try:
        reference = ("value", bounded_json._DECODER.decode(text))
    except bounded_json._Refused as refused:
        reference = ("refused", refused.reason)
    except json.JSONDecodeError as err:
        reference = ("not-json", err.msg)
    value, problems = bounded_json.read_json(raw)
    ours = ("value", value) if not problems else (
        ("not-json", problems[0].what.removeprefix("not-json: "))
        if problems[0].what.startswith("not-json") else ("refused", problems[0].what)
    )  # fmt: skip
    assert ours == reference
    short = bounded_json._no_long_digit_run(raw)
    assert short == ("1234567890123456" not in text and "9007199254740992" not in text
                     and "12345678901234567" not in text)  # fmt: skip


def _contest(*ids: str, against_all: bool = False) -> Contest:
    return Contest("c", "C", ContestKind.PARTY_LIST, 1, tuple(Option(i, i) for i in ids),
                   against_all=against_all)  # fmt: skip


def _with_votes(*options: str) -> Protocol:
    p, _ = protocol_from_json(protocol_doc())
    assert p is not None
    return Protocol(**{**p.__dict__, "votes": tuple((o, 1) for o in options)})


def test_ballot_lines_in_order_have_no_problem() -> None:
    assert _check_ballot_lines(_with_votes("a", "b", "against-all"),
                               _contest("a", "b", against_all=True)) == []  # fmt: skip


def test_ballot_lines_out_of_order_are_still_accepted() -> None:
    assert _check_ballot_lines(_with_votes("b", "a"), _contest("a", "b")) == []


def test_a_ballot_naming_a_line_twice_is_not_taken_for_the_usual_case() -> None:
    problems = _check_ballot_lines(_with_votes("a", "a"), _contest("a", "a"))
    assert [p.what for p in problems] == ["'a' appears twice"]


def test_a_device_key_that_is_not_one_is_named_as_ever() -> None:
    key = private_key_from_seed(b"device")
    doc = {"x": 1}
    signature = sign(key, PROTOCOL_PURPOSE, doc)
    verify_canonical(public_key_b64(key), PROTOCOL_PURPOSE, canonical_json(doc), signature)
    for bad in ["AAAA", "*" * 44, "é" * 44, "A" * 42 + "=="]:
        with pytest.raises(SignatureError) as expected:
            load_public_key(bad)
        with pytest.raises(SignatureError) as got:
            verify_canonical(bad, PROTOCOL_PURPOSE, canonical_json(doc), signature)
        assert str(got.value) == str(expected.value)
