"""JSON read within limits, every excess refused with a named reason before anything else runs.

Submissions come from devices, files and networks an attacker may control. Python's ``json``
accepts ``NaN`` and ``Infinity``, turns a 5,001-digit number into an exception (its integer
string limit), nests until the interpreter's stack gives out, and keeps any number of fields or
any length of string. Each of those took a whole batch down with a traceback. Here each is a
:class:`~achyk.errors.Problem` whose text starts with the reason's name:

``too-large``, ``not-utf8``, ``not-json``, ``not-a-number`` (NaN, Infinity),
``number-out-of-range`` (an integer beyond ±(2^53 − 1), the range every JSON reader holds exactly,
RFC 8785 §3.2.2.3; a float not finite), ``too-deep``, ``string-too-long``, ``too-many-fields``,
``too-many-items``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from achyk.errors import Problem

SAFE_INTEGER = 2**53 - 1  # Number.MAX_SAFE_INTEGER; RFC 8785 (I-JSON, RFC 7493 §2.2)
MAX_NUMBER_TEXT = 40  # digits of a number's text; a safe integer has at most 16


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int = 1 << 20
    max_depth: int = 32
    max_string: int = 65_536  # characters
    max_fields: int = 1_000  # per object
    max_items: int = 100_000  # per array


DEFAULT_LIMITS = JsonLimits()


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _constant(name: str) -> Any:
    raise _Refused(f"not-a-number: {name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_TEXT:
        raise _Refused(f"number-out-of-range: an integer of {len(text.lstrip('-')):,} digits")
    value = int(text)
    if abs(value) > SAFE_INTEGER:
        raise _Refused(f"number-out-of-range: {value} is beyond ±(2^53 − 1)")
    return value


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_TEXT:
        raise _Refused(f"number-out-of-range: a number written with {len(text):,} characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number-out-of-range: {text} is not a finite number")
    return value


# One decoder for every read: json.loads with hooks builds a new decoder (and its scanner) per
# call, a few microseconds of each of the hundreds of thousands of protocols an election reads.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_int=_integer, parse_float=_float)
# The same without the integer hook, for a text known to hold no integer of 16 digits or more.
# Each integer is a Python call to the hook (two dozen in a protocol); yet an integer written
# with at most 15 digits is always within ±(2^53 − 1) and the digit limits, so the hook would
# return int(text) for each, as the C scanner does by itself, and refuse none.
_DECODER_SHORT_INTEGERS = json.JSONDecoder(parse_constant=_constant, parse_float=_float)


def _loads(text: str, *, short_integers: bool = False) -> Any:
    """json.loads(text, parse_constant=…, parse_int=…, parse_float=…), the decoder built once.

    `short_integers`: the caller knows that no run of 16 digits is in the text
    (:func:`_no_long_digit_run`), hence no integer the hook would refuse.
    """
    if text.startswith("\ufeff"):  # as json.loads refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return (_DECODER_SHORT_INTEGERS if short_integers else _DECODER).decode(text)


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _no_long_digit_run(raw: bytes) -> bool:
    """No 16 ASCII digits in a row in `raw`, nor so in its UTF-8 text (no byte of a multi-byte
    character is ASCII), where a JSON number's digits are ASCII. A digit run in a string is
    counted too: a false alarm only costs the hook. (A table and a search, in C: a regular
    expression would cost more than the hook it spares.)"""
    return b"0" * 16 not in raw.translate(_DIGITS_TO_ZERO)


def read_json(raw: bytes, limits: JsonLimits = DEFAULT_LIMITS) -> tuple[Any, list[Problem]]:
    """(the value, []) or (None, problems): bytes → UTF-8 → JSON, all within ``limits``."""
    if len(raw) > limits.max_bytes:
        return None, [Problem("", f"too-large: {len(raw):,} bytes, at most {limits.max_bytes:,}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, [Problem("", f"not-utf8: byte {err.start} is not UTF-8 ({err.reason})")]
    try:
        value = _loads(text, short_integers=_no_long_digit_run(raw))
    except _Refused as refused:
        return None, [Problem("", refused.reason)]
    except RecursionError:
        return None, [Problem("", f"too-deep: nested beyond {limits.max_depth} levels")]
    except json.JSONDecodeError as err:
        return None, [Problem(f"line {err.lineno}, column {err.colno}", f"not-json: {err.msg}")]
    if _surely_within(text, limits):
        return value, []
    problems = _within(value, limits)
    return (None, problems) if problems else (value, [])


def _surely_within(text: str, limits: JsonLimits) -> bool:
    """True when the text is too short to break a limit, so the walk can be spared (a protocol
    of a few hundred bytes, read a hundred thousand times). No string or key is longer than the
    text; an object of F fields takes at least 5F − 1 characters (`"":0,`), an array of N items
    2N − 1; nesting k deep takes k opening brackets (brackets inside strings only over-count)."""
    n = len(text)
    return (
        n <= limits.max_string
        and n < 4 * limits.max_fields
        and n < 2 * limits.max_items
        and text.count("{") + text.count("[") <= limits.max_depth
    )


def _within(value: Any, limits: JsonLimits) -> list[Problem]:
    """Depth, string length, fields and items, walked without recursion."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack and len(problems) < 10:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            if len(node) > limits.max_string:
                problems.append(Problem(where, f"string-too-long: {len(node):,} characters, "
                                               f"at most {limits.max_string:,}"))  # fmt: skip
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > limits.max_depth:
            problems.append(Problem(where, f"too-deep: nested beyond {limits.max_depth} levels"))
            continue
        if isinstance(node, dict):
            if len(node) > limits.max_fields:
                problems.append(Problem(where, f"too-many-fields: {len(node):,}, "
                                               f"at most {limits.max_fields:,}"))  # fmt: skip
                continue
            for key, item in node.items():
                if len(key) > limits.max_string:
                    problems.append(Problem(where, "string-too-long: a field name of "
                                                   f"{len(key):,} characters"))  # fmt: skip
                    break
                name = key if len(key) <= 40 else key[:40] + "…"
                stack.append((item, f"{where}.{name}" if where else name, depth + 1))
        else:
            if len(node) > limits.max_items:
                problems.append(Problem(where, f"too-many-items: {len(node):,}, "
                                               f"at most {limits.max_items:,}"))  # fmt: skip
                continue
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node))
    return problems


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')
_WS = " \t\n\r"


def split_array(raw: bytes, max_bytes: int = 256 << 20) -> list[bytes] | None:
    """The items of a top-level JSON array, each as the very bytes it was written with; None if
    ``raw`` is not an array (then it is judged as one document).

    Items are cut at the array's own commas by a scan of strings and brackets alone — nothing is
    decoded or re-encoded, nothing recurses — so each item is kept as received and judged on its
    own, and one hostile item (nested a million deep, say, or not JSON at all) cannot stop the
    others being found.
    """
    if len(raw) > max_bytes:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    first = len(text) - len(text.lstrip(_WS))
    if not text.startswith("[", first):
        return None
    items: list[bytes] = []
    depth, begin = 0, first + 1
    for m in _TOKENS.finditer(text, first + 1):
        token = m.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
        elif token in "]}" and depth > 0:
            depth -= 1
        elif token == ",":
            if depth == 0:
                items.append(text[begin : m.start()].strip(_WS).encode("utf-8"))
                begin = m.end()
        elif token == "]":  # the array's own end
            last = text[begin : m.start()].strip(_WS)
            if last or items:
                items.append(last.encode("utf-8"))
            return items if not text[m.end() :].strip(_WS) else None
        else:
            return None  # a "}" with nothing open
    return None
