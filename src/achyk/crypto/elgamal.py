"""Exponential ElGamal: a vote count m under key K is (r·G, m·G + r·K), additively homomorphic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.crypto.group import Group, Point
from achyk.crypto.hashing import element_hex, parse_element


@dataclass(frozen=True)
class Ciphertext:
    pad: Point  # r·G
    data: Point  # m·G + r·K

    def to_dict(self, group: Group) -> dict[str, Any]:
        return {"pad": element_hex(group, self.pad), "data": element_hex(group, self.data)}

    @staticmethod
    def from_dict(group: Group, d: Any, *, allow_identity: bool = True) -> Ciphertext:
        """An aggregate may hold the identity (sums can cancel); a ballot's ciphertext may not
        (`allow_identity=False`): a pad of 0·G means a nonce of 0, the vote in the clear."""
        return Ciphertext(
            parse_element(group, d["pad"], allow_identity=allow_identity),
            parse_element(group, d["data"], allow_identity=allow_identity),
        )


def encrypt(group: Group, public_key: Point, m: int, r: int) -> Ciphertext:
    return Ciphertext(group.base_mul(r), group.mul_base_add(public_key, r, m))


def add(group: Group, a: Ciphertext, b: Ciphertext) -> Ciphertext:
    return Ciphertext(group.add(a.pad, b.pad), group.add(a.data, b.data))


def aggregate(group: Group, cts: list[Ciphertext]) -> Ciphertext:
    return Ciphertext(group.sum([c.pad for c in cts]), group.sum([c.data for c in cts]))


def decrypt_point(group: Group, ct: Ciphertext, secret: int) -> Point:
    """m·G from a ciphertext and the whole secret key (tests and Benaloh checks; trustees use shares)."""
    return group.sub(ct.data, group.mul(ct.pad, secret))


def matches_opening(group: Group, public_key: Point, ct: Ciphertext, m: int, r: int) -> bool:
    """Does `ct` encrypt `m` with nonce `r`? The check anyone can make on a challenged ballot."""
    return encrypt(group, public_key, m, r) == ct


class DlogTable:
    """m·G → m for 0 ≤ m ≤ bound: totals never exceed the number of ballots, so a table suffices."""

    def __init__(self, group: Group, bound: int) -> None:
        self.bound = bound
        self._table: dict[bytes, int] = {group.encode(group.identity): 0}
        p = group.identity
        for m in range(1, bound + 1):
            p = group.add(p, group.generator)
            self._table[group.encode(p)] = m
        self._group = group

    def lookup(self, p: Point) -> int | None:
        return self._table.get(self._group.encode(p))
