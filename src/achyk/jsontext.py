"""`json.dumps(value, ensure_ascii=False, indent=1[, sort_keys=True])`, the same text, faster.

With an indent the standard library encodes in Python, through a generator per level of nesting:
each number of a station's result passes up through six of them. The record's results by region
and the site's open data (a few hundred MB at 100,000 stations) spent most of their writing time
there. This writes the same text by one recursive walk into one list; any value it does not know
(not str, int, float, bool, None, list, tuple or a dict with string keys) sends the whole
document to the standard library instead, so the text never differs.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # ensure_ascii=False's
from typing import Any


class _Unknown(Exception):
    """A value this module does not write itself."""


def dumps_indented(value: Any, *, sort_keys: bool = False) -> str:
    """Exactly `json.dumps(value, ensure_ascii=False, indent=1, sort_keys=sort_keys)`."""
    parts: list[str] = []
    try:
        _write(value, parts, "\n", sort_keys)
    except _Unknown:
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=sort_keys)
    return "".join(parts)


def _scalar(value: Any) -> str | None:
    """The text of a JSON scalar as json writes it, or None for a list or an object."""
    if isinstance(value, str):
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Unknown  # NaN and the infinities: json's own words
        return float.__repr__(value)
    if isinstance(value, (list, tuple, dict)):
        return None
    raise _Unknown


def _write(value: Any, out: list[str], newline: str, sort_keys: bool) -> None:
    """`value` at the indentation `newline` (a newline and one space per level) into `out`."""
    text = _scalar(value)
    if text is not None:
        out.append(text)
        return
    inner = newline + " "
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        items = sorted(value.items()) if sort_keys else value.items()
        out.append("{")
        separator, comma = inner, "," + inner
        for key, item in items:
            if not isinstance(key, str):
                raise _Unknown  # json turns other keys into text its own way
            kind = type(item)  # the usual ones first, without a call
            if kind is int:
                out.append(f"{separator}{encode_basestring(key)}: {int.__repr__(item)}")
            elif kind is str:
                out.append(f"{separator}{encode_basestring(key)}: {encode_basestring(item)}")
            else:
                out.append(f"{separator}{encode_basestring(key)}: ")
                scalar = _scalar(item)
                if scalar is not None:
                    out.append(scalar)
                else:
                    _write(item, out, inner, sort_keys)
            separator = comma
        out.append(newline)
        out.append("}")
        return
    if not value:
        out.append("[]")
        return
    out.append("[")
    separator = inner
    comma = "," + inner
    for item in value:
        kind = type(item)
        if kind is int:
            out.append(separator + int.__repr__(item))
        elif kind is str:
            out.append(separator + encode_basestring(item))
        else:
            out.append(separator)
            scalar = _scalar(item)
            if scalar is not None:
                out.append(scalar)
            else:
                _write(item, out, inner, sort_keys)
        separator = comma
    out.append(newline)
    out.append("]")
