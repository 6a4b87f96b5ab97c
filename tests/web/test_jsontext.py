"""achyk.jsontext writes exactly json.dumps(…, ensure_ascii=False, indent=1[, sort_keys=True])."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.jsontext import dumps_indented

scalars = (
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans())
def test_same_text_as_json(doc: Any, sort_keys: bool) -> None:
    expected = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=sort_keys)
    assert dumps_indented(doc, sort_keys=sort_keys) == expected


@pytest.mark.parametrize(
    "doc",
    [
        {"b": [1, 2.5, True, None], "a": {"é": 'ü\n"\\', "": []}, "c": {}},
        [float("nan"), 1],  # json's own NaN: handed to json
        {1: "x", "2": "y"},  # a number key: handed to json
        {"n": float("inf")},
        "just text",
        7,
    ],
)
def test_edge_cases(doc: Any) -> None:
    for sort_keys in (False, True):
        try:
            expected = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=sort_keys)
        except TypeError:  # json refuses ({1: …, "2": …} sorted): so must this
            with pytest.raises(TypeError):
                dumps_indented(doc, sort_keys=sort_keys)
            continue
        assert dumps_indented(doc, sort_keys=sort_keys) == expected


def test_unknown_value_is_refused_as_json_refuses() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"a": {1, 2}})
