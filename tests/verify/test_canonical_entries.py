"""`canonical(*load(raw))` (the replay's and the workers' canonical-form check of a log entry, and
the definition's hash) gives what the exact encoder, `canonical_json`, gives for any bytes
`json.loads` reads: floats, NaN, integers beyond 2^53 - 1, keys beyond the BMP, spacing and key
order included."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from achyk.canonical import canonical_hash, canonical_json
from achyk.verify.entries import canonical, load

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _reference(raw: bytes) -> bool | type[Exception]:
    try:
        return canonical_json(json.loads(raw)) == raw
    except ValueError as err:  # what the replay met before: an integer RFC 8785 cannot write
        return type(err)


def _fast(raw: bytes) -> bool | type[Exception]:
    try:
        return canonical(*load(raw)) == raw
    except ValueError as err:
        return type(err)


@given(values, st.sampled_from(["canonical", "spaced", "unsorted", "ascii"]))
def test_the_fast_check_gives_the_exact_verdict(value: object, how: str) -> None:
    if how == "canonical":
        try:
            raw = canonical_json(value)
        except ValueError:
            raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    elif how == "spaced":
        raw = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    elif how == "unsorted":
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        raw = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    assert _fast(raw) == _reference(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":9007199254740991}',  # the largest integer RFC 8785 writes: canonical
        b'{"a":9007199254740992}',  # one more: refused by the exact encoder, as before
        b'{"a":1.0}',  # a float written otherwise than ECMAScript writes it
        b'{"a":1e+21}',
        b'{"a":NaN}',
        b'{"a":"e-1.5"}',  # what looks like a number in a string: still canonical
        b'{"b":1,"a":2}',
        b'{"a":"\\u00e9"}',  # an escape RFC 8785 does not use
        b'{"a":"1234567890123456789"}',  # digits in a string: still canonical
        b'{"\\ud83d\\ude00":1,"\\ufb33":2}',  # keys sorted by UTF-16 code units
    ],
)
def test_edge_cases(raw: bytes) -> None:
    assert _fast(raw) == _reference(raw)


@given(values)
def test_the_definition_hash_taken_in_c_is_the_canonical_hash(value: object) -> None:
    raw = json.dumps(value).encode()  # the file as written, however it is spaced
    parsed = json.loads(raw)
    try:
        expected: str | type[Exception] = canonical_hash(parsed)
    except ValueError as err:
        expected = type(err)
    try:
        value, plain = load(raw)
        got: str | type[Exception] = hashlib.sha256(canonical(value, plain)).hexdigest()
    except ValueError as err:
        got = type(err)
    assert got == expected
