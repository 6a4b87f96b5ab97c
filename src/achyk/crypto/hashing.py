"""Fiat–Shamir challenges with domain separation, and the hex codec for elements and scalars.

A challenge is SHA-512 over an unambiguous, length-prefixed byte string:

    "achyk/fiat-shamir/v1" ‖ lp(tag) ‖ lp(group name) ‖ lp(base hash) ‖ lp(item) ‖ lp(item) ‖ …

where lp(x) is the 4-byte big-endian length of x followed by x; elements enter as their canonical
encoding, scalars as 32 big-endian bytes, text as UTF-8. The statement (every public input of the
proof) and the prover's commitments are all items, so a proof for one statement, election, group or
proof kind never verifies for another. Length prefixes make the concatenation injective.
"""

from __future__ import annotations

import hashlib

from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import Group, Point

_DOMAIN = b"achyk/fiat-shamir/v1"

Item = Point | int | str | bytes


def _lp(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def challenge(group: Group, tag: str, base_hash: str, items: list[Item]) -> int:
    h = hashlib.sha512(_DOMAIN)
    h.update(_lp(tag.encode()))
    h.update(_lp(group.name.encode()))
    h.update(_lp(base_hash.encode()))
    for item in items:
        if isinstance(item, Point):
            h.update(_lp(group.encode(item)))
        elif isinstance(item, int):
            h.update(_lp(item.to_bytes(group.scalar_size, "big")))
        elif isinstance(item, str):
            h.update(_lp(item.encode()))
        else:
            h.update(_lp(item))
    return int.from_bytes(h.digest(), "big") % group.order


def element_hex(group: Group, p: Point) -> str:
    return group.encode(p).hex()


def scalar_hex(group: Group, k: int) -> str:
    return k.to_bytes(group.scalar_size, "big").hex()


def _unhex(s: object, what: str) -> bytes:
    # Only lowercase hex is canonical: two spellings of one value would give two tracking codes.
    if not isinstance(s, str) or s != s.lower():
        raise InvalidEncoding(f"{what}: not lowercase hex")
    try:
        return bytes.fromhex(s)
    except ValueError as e:
        raise InvalidEncoding(f"{what}: not hex") from e


def parse_element(group: Group, s: object, *, allow_identity: bool = False) -> Point:
    return group.decode(_unhex(s, "element"), allow_identity=allow_identity)


def parse_scalar(group: Group, s: object) -> int:
    return group.decode_scalar(_unhex(s, "scalar"))
