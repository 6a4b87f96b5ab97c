"""Our RFC 8785 fast path agrees with the rfc8785 package, and with the RFC's own examples."""

from __future__ import annotations

import json

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from achyk.canonical import canonical_json, canonical_json_of_parsed

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(json_values)
def test_fast_path_equals_the_reference(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_rfc8785_section_3_2_3_sorting_example() -> None:
    # RFC 8785 §3.2.3: properties sorted by UTF-16 code units (the emoji key sorts before U+FB33).
    doc = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
           "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}  # fmt: skip
    keys = list(json.loads(canonical_json(doc)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_rfc8785_string_escapes() -> None:
    # RFC 8785 §3.2.2.2: only ", \\ and control characters are escaped; short forms where JSON has them.
    assert canonical_json('\u0000\b\t\n\f\r\u001f"\\/\u007f\u20ac') == (
        b'"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\x7f\xe2\x82\xac"'
    )


# Values as json.loads returns them: string keys only (the fast path's precondition).
parsed_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=30,
)  # fmt: skip


@given(parsed_values)
def test_parsed_fast_path_equals_the_reference(value: object) -> None:
    assert canonical_json_of_parsed(value) == rfc8785.dumps(value)


def test_parsed_fast_path_sorts_keys_beyond_the_bmp_as_utf16() -> None:
    # RFC 8785 §3.2.3's example again, through the json.dumps path: the emoji key forces the
    # exact sort, so U+1F600 (UTF-16 D83D DE00) still comes before U+FB33.
    doc = {"\ufb33": 1, "\U0001f600": 2, "1": 3}
    assert list(json.loads(canonical_json_of_parsed(doc))) == ["1", "\U0001f600", "\ufb33"]


def test_parsed_fast_path_writes_numbers_as_jcs() -> None:
    # RFC 8785 §3.2.2.3 / Appendix B: 1e+21 stays in exponent form, 1e21 - 1 not; -0 is 0.
    assert (
        canonical_json_of_parsed([1e21, 1e20, -0.0, 0.5]) == b"[1e+21,100000000000000000000,0,0.5]"
    )
