"""The prime-order group behind remote voting, hidden behind a small interface so it can be swapped.

The implementation is secp256k1 through libsecp256k1 as shipped in the `coincurve` wheel (chosen by
measurement: docs/decisions/0001-remote-voting-group.md). secp256k1 has cofactor 1, so every point
on the curve is in the prime-order group and decoding with an on-curve check is full validation.
libsecp256k1 cannot represent the point at infinity, so `Point` carries it explicitly: it is needed
for a ciphertext of 0 votes and for sums that cancel.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Protocol

from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT

from achyk.crypto.errors import InvalidEncoding


class Rng(Protocol):
    """A source of randomness: `secrets.SystemRandom()` in use, a seeded `random.Random` in tests."""

    def randrange(self, start: int, stop: int, /) -> int: ...


SYSTEM_RNG: Rng = secrets.SystemRandom()


class Point:
    """An element of the group. Opaque: only the `Group` that made it looks inside."""

    __slots__ = ("_enc", "_raw")

    def __init__(self, raw: Any, enc: bytes | None = None) -> None:
        self._raw = raw  # cffi secp256k1_pubkey*, or None for the identity
        self._enc = enc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and SECP256K1.encode(self) == SECP256K1.encode(other)

    def __hash__(self) -> int:
        return hash(SECP256K1.encode(self))

    def __repr__(self) -> str:
        return f"Point({SECP256K1.encode(self).hex()})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_decode_any, (SECP256K1.encode(self),))


def _decode_any(data: bytes) -> Point:
    return SECP256K1.decode(data, allow_identity=True)


class Group(Protocol):
    """What the protocols need from a group of prime order `order`."""

    name: str
    order: int
    element_size: int
    scalar_size: int

    @property
    def generator(self) -> Point: ...
    @property
    def identity(self) -> Point: ...
    def encode(self, p: Point) -> bytes: ...
    def decode(self, data: bytes, *, allow_identity: bool = False) -> Point: ...
    def add(self, a: Point, b: Point) -> Point: ...
    def sum(self, points: list[Point]) -> Point: ...
    def neg(self, a: Point) -> Point: ...
    def sub(self, a: Point, b: Point) -> Point: ...
    def mul(self, p: Point, k: int) -> Point: ...
    def base_mul(self, k: int) -> Point: ...
    def mul_base_add(self, p: Point, a: int, b: int) -> Point: ...
    def hash_to_scalar(self, data: bytes) -> int: ...
    def random_scalar(self, rng: Rng = SYSTEM_RNG) -> int: ...
    def decode_scalar(self, data: bytes) -> int: ...


_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_COMPRESSED = 0x102  # SECP256K1_EC_COMPRESSED
_IDENTITY_ENCODING = b"\x00"  # SEC 1, 2.3.3: the point at infinity is the single octet 0x00


class Secp256k1:
    """secp256k1 (SEC 2) via libsecp256k1. Elements encode as 33-byte SEC 1 compressed points."""

    name = "secp256k1"
    order = _N
    element_size = 33
    scalar_size = 32

    def __init__(self) -> None:
        self._ctx = GLOBAL_CONTEXT.ctx
        g = ffi.new("secp256k1_pubkey *")
        if not lib.secp256k1_ec_pubkey_create(self._ctx, g, (1).to_bytes(32, "big")):
            raise RuntimeError("libsecp256k1 could not make the generator")
        self._g = Point(g)
        self._id = Point(None, _IDENTITY_ENCODING)

    @property
    def generator(self) -> Point:
        return self._g

    @property
    def identity(self) -> Point:
        return self._id

    def encode(self, p: Point) -> bytes:
        enc = p._enc
        if enc is None:
            out = ffi.new("unsigned char[33]")
            size = ffi.new("size_t *", 33)
            lib.secp256k1_ec_pubkey_serialize(self._ctx, out, size, p._raw, _COMPRESSED)
            enc = p._enc = bytes(out)
        return enc

    def decode(self, data: bytes, *, allow_identity: bool = False) -> Point:
        """Parse and validate: 33 bytes, prefix 02/03, x < p, x on the curve (cofactor 1: in the group)."""
        if data == _IDENTITY_ENCODING:
            if allow_identity:
                return self._id
            raise InvalidEncoding("the identity element is not allowed here")
        if len(data) != 33 or data[0] not in (2, 3):
            raise InvalidEncoding("not a 33-byte compressed secp256k1 point")
        raw = ffi.new("secp256k1_pubkey *")
        if not lib.secp256k1_ec_pubkey_parse(self._ctx, raw, data, 33):
            raise InvalidEncoding("not a point on secp256k1")
        return Point(raw, bytes(data))

    def add(self, a: Point, b: Point) -> Point:
        if a._raw is None:
            return b
        if b._raw is None:
            return a
        return self._combine([a._raw, b._raw])

    def sum(self, points: list[Point]) -> Point:
        raws = [p._raw for p in points if p._raw is not None]
        if not raws:
            return self._id
        if len(raws) == 1:
            return Point(raws[0])
        return self._combine(raws)

    def _combine(self, raws: list[Any]) -> Point:
        out = ffi.new("secp256k1_pubkey *")
        if not lib.secp256k1_ec_pubkey_combine(self._ctx, out, raws, len(raws)):
            return self._id  # the only failure is a sum at infinity
        return Point(out)

    def neg(self, a: Point) -> Point:
        if a._raw is None:
            return a
        out = ffi.new("secp256k1_pubkey *", a._raw[0])
        lib.secp256k1_ec_pubkey_negate(self._ctx, out)
        return Point(out)

    def sub(self, a: Point, b: Point) -> Point:
        return self.add(a, self.neg(b))

    def mul(self, p: Point, k: int) -> Point:
        k %= _N
        if k == 0 or p._raw is None:
            return self._id
        if k == 1:
            return p
        out = ffi.new("secp256k1_pubkey *", p._raw[0])
        lib.secp256k1_ec_pubkey_tweak_mul(self._ctx, out, k.to_bytes(32, "big"))
        return Point(out)

    def base_mul(self, k: int) -> Point:
        k %= _N
        if k == 0:
            return self._id
        out = ffi.new("secp256k1_pubkey *")
        lib.secp256k1_ec_pubkey_create(self._ctx, out, k.to_bytes(32, "big"))
        return Point(out)

    def mul_base_add(self, p: Point, a: int, b: int) -> Point:
        """a·p + b·G: the shape of every proof check. tweak_add does `+ b·G` in one ecmult pass."""
        ap = self.mul(p, a)
        b %= _N
        if b == 0:
            return ap
        if ap._raw is None:
            return self.base_mul(b)
        out = ffi.new("secp256k1_pubkey *", ap._raw[0])
        if not lib.secp256k1_ec_pubkey_tweak_add(self._ctx, out, b.to_bytes(32, "big")):
            return self._id
        return Point(out)

    def hash_to_scalar(self, data: bytes) -> int:
        # 512 bits reduced mod a 256-bit order: bias below 2^-256.
        return int.from_bytes(hashlib.sha512(data).digest(), "big") % _N

    def random_scalar(self, rng: Rng = SYSTEM_RNG) -> int:
        return rng.randrange(1, _N)

    def decode_scalar(self, data: bytes) -> int:
        if len(data) != 32:
            raise InvalidEncoding("a scalar is 32 bytes")
        k = int.from_bytes(data, "big")
        if k >= _N:
            raise InvalidEncoding("scalar not below the group order")
        return k


SECP256K1 = Secp256k1()
DEFAULT_GROUP: Group = SECP256K1
