"""Canonical bytes: RFC 8785 (JSON Canonicalization Scheme) for everything hashed or signed."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 encoding of a JSON value (dicts, lists, str, int, bool, None)."""
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """Hex SHA-256 of the canonical encoding: the identity of a document."""
    return sha256_hex(canonical_json(value))
