"""Our RFC 8785 fast path agrees with the rfc8785 package, and with the RFC's own examples."""

from __future__ import annotations

import json

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from achyk.canonical import canonical_json

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
