"""read_json's decoder, built once, reads exactly as json.loads with the same hooks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from achyk.domain import bounded_json
from achyk.domain.bounded_json import read_json

TEXTS = [
    '{"a": 1, "b": [1, 2.5, -3], "c": {"d": null, "e": true, "f": "x"}}',
    "\ufeff{}",  # a byte order mark: refused as json.loads refuses it
    '{"a": NaN}',
    '{"a": 9007199254740992}',
    '{"a": -9007199254740991}',
    '{"a": 1e400}',
    '{"a": 1,}',
    "",
    "[1, 2",
    '"\\ud800"',
    " [] ",
]


def _reference(text: str) -> tuple[str, Any]:
    try:
        return "value", json.loads(text, parse_constant=bounded_json._constant,
                                   parse_int=bounded_json._integer,
                                   parse_float=bounded_json._float)  # fmt: skip
    except bounded_json._Refused as refused:
        return "refused", refused.reason
    except json.JSONDecodeError as err:
        return "not-json", (err.msg, err.lineno, err.colno)


def _ours(text: str) -> tuple[str, Any]:
    try:
        return "value", bounded_json._loads(text)
    except bounded_json._Refused as refused:
        return "refused", refused.reason
    except json.JSONDecodeError as err:
        return "not-json", (err.msg, err.lineno, err.colno)


@pytest.mark.parametrize("text", TEXTS)
def test_same_as_json_loads(text: str) -> None:
    assert _ours(text) == _reference(text)


def test_a_byte_order_mark_is_not_json() -> None:
    value, problems = read_json("\ufeff{}".encode())
    assert value is None and [p.what.split(":")[0] for p in problems] == ["not-json"]
