"""Canonical bytes: RFC 8785 (JSON Canonicalization Scheme) for everything hashed or signed.

Election documents hold only objects, arrays, strings, integers, booleans and null; for those this
module writes JCS directly (strings through the standard library's C encoder, which escapes exactly
as JCS does), several times faster than a general implementation. Anything else — floats above
all, whose JCS form follows ECMAScript — goes to the `rfc8785` package. A property test checks the
two agree.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import re
from typing import Any

import rfc8785

_encode_str = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]
_MAX_SAFE = 2**53 - 1  # JCS numbers are IEEE doubles: larger integers would not round-trip


class _NotSimple(Exception):
    pass


class Canonical(bytes):
    """Bytes already in canonical form, embedded as they are (encode once, hash and sign many)."""


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be")


def _dump(value: Any, out: list[str]) -> None:
    t = type(value)
    if t is str:
        out.append(_encode_str(value))
    elif t is Canonical:
        out.append(value.decode("utf-8"))
    elif t is dict:
        keys = list(value)
        if not set(map(type, keys)) <= {str}:  # every key a str (in C: each log entry is one)
            raise _NotSimple
        # JCS sorts by UTF-16 code units; code-point order is the same unless a key holds a
        # character outside the Basic Multilingual Plane (none does when they are all ASCII).
        keys.sort(key=None if "".join(keys).isascii() else _utf16_key)
        out.append("{")
        first = True
        for k in keys:
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(k))
            out.append(":")
            _dump(value[k], out)
        out.append("}")
    elif t is list or t is tuple:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _dump(item, out)
        out.append("]")
    elif t is int:
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            out.append(str(value))
        else:
            raise _NotSimple
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    else:
        raise _NotSimple


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 encoding of a JSON value."""
    out: list[str] = []
    try:
        _dump(value, out)
    except _NotSimple:
        if _holds_canonical(value):
            raise TypeError("Canonical fragments can only sit inside simple JSON values") from None
        return bytes(rfc8785.dumps(value))
    return "".join(out).encode("utf-8")


_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


# json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False),
# the encoder built once: json.dumps builds one per call when given any of these.
_SORTED_COMPACT = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def canonical_json_of_parsed(value: Any) -> bytes:
    """`canonical_json` of a value as `achyk.domain.bounded_json.read_json` returns it (every key
    a string, every integer within ±(2^53 − 1)), in C.

    For such values `json.dumps` with sorted keys and no whitespace writes RFC 8785 byte for byte
    (the same string encoder as above; keys in code-point order, which is UTF-16 order within the
    BMP) — except for floats and for keys beyond the BMP. A float's repr always holds "." or an
    exponent with its sign ("1e+16"), so text with none of ".", "e+", "e-" has none; text that
    is all ASCII has nothing beyond the BMP. Anything else (a false alarm included) goes the
    exact way, :func:`canonical_json`. A property test holds the two equal.
    """
    try:
        text = _SORTED_COMPACT.encode(value)
    except (TypeError, ValueError):
        return canonical_json(value)
    if "." in text or "e+" in text or "e-" in text:
        return canonical_json(value)
    if not text.isascii() and _BEYOND_BMP.search(text) is not None:
        return canonical_json(value)
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """Hex SHA-256 of the canonical encoding: the identity of a document."""
    return sha256_hex(canonical_json(value))


def _holds_canonical(value: Any) -> bool:
    if isinstance(value, Canonical):
        return True
    if isinstance(value, dict):
        return any(_holds_canonical(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_canonical(v) for v in value)
    return False
