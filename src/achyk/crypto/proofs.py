"""Sigma proofs made non-interactive with domain-separated Fiat–Shamir (achyk.crypto.hashing).

All proofs are kept in compact form (challenges and responses only): the verifier recomputes the
prover's commitments and checks that they hash to the challenge. `context` items bind a proof to
where it sits (credential key, contest, option), so it cannot be lifted into another ballot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.crypto.elgamal import Ciphertext
from achyk.crypto.errors import InvalidEncoding, ProofError
from achyk.crypto.group import SYSTEM_RNG, Group, Point, Rng
from achyk.crypto.hashing import Item, challenge, parse_scalar, scalar_hex


@dataclass(frozen=True)
class SchnorrProof:
    """Knowledge of x with X = x·G."""

    c: int
    v: int

    def to_dict(self, group: Group) -> dict[str, Any]:
        return {"c": scalar_hex(group, self.c), "v": scalar_hex(group, self.v)}

    @staticmethod
    def from_dict(group: Group, d: Any) -> SchnorrProof:
        return SchnorrProof(parse_scalar(group, d["c"]), parse_scalar(group, d["v"]))


def schnorr_prove(
    group: Group, base_hash: str, x: int, context: list[Item], rng: Rng = SYSTEM_RNG
) -> SchnorrProof:
    big_x = group.base_mul(x)
    u = group.random_scalar(rng)
    c = challenge(group, "schnorr", base_hash, [big_x, *context, group.base_mul(u)])
    return SchnorrProof(c, (u + c * x) % group.order)


def schnorr_verify(
    group: Group, base_hash: str, big_x: Point, proof: SchnorrProof, context: list[Item]
) -> None:
    a = group.mul_base_add(big_x, -proof.c, proof.v)
    if challenge(group, "schnorr", base_hash, [big_x, *context, a]) != proof.c:
        raise ProofError("Schnorr proof does not verify")


@dataclass(frozen=True)
class ChaumPedersenProof:
    """x with X = x·G and Y = x·H (equality of discrete logs)."""

    c: int
    v: int

    def to_dict(self, group: Group) -> dict[str, Any]:
        return {"c": scalar_hex(group, self.c), "v": scalar_hex(group, self.v)}

    @staticmethod
    def from_dict(group: Group, d: Any) -> ChaumPedersenProof:
        return ChaumPedersenProof(parse_scalar(group, d["c"]), parse_scalar(group, d["v"]))


def dleq_prove(
    group: Group,
    base_hash: str,
    x: int,
    h: Point,
    context: list[Item],
    rng: Rng = SYSTEM_RNG,
) -> ChaumPedersenProof:
    big_x, big_y = group.base_mul(x), group.mul(h, x)
    u = group.random_scalar(rng)
    stmt: list[Item] = [big_x, h, big_y, *context]
    c = challenge(group, "chaum-pedersen", base_hash, [*stmt, group.base_mul(u), group.mul(h, u)])
    return ChaumPedersenProof(c, (u + c * x) % group.order)


def dleq_verify(
    group: Group,
    base_hash: str,
    big_x: Point,
    h: Point,
    big_y: Point,
    proof: ChaumPedersenProof,
    context: list[Item],
) -> None:
    a = group.mul_base_add(big_x, -proof.c, proof.v)
    b = group.add(group.mul(h, proof.v), group.mul(big_y, -proof.c))
    stmt: list[Item] = [big_x, h, big_y, *context]
    if challenge(group, "chaum-pedersen", base_hash, [*stmt, a, b]) != proof.c:
        raise ProofError("Chaum–Pedersen proof does not verify")


@dataclass(frozen=True)
class RangeProof:
    """A ciphertext under K encrypts some m in lo..hi: a disjunction of Chaum–Pedersen proofs
    (Cramer–Damgård–Schoenmakers), one branch per value; 0..1 per option, min..max per contest."""

    lo: int
    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    @property
    def hi(self) -> int:
        return self.lo + len(self.challenges) - 1

    def to_dict(self, group: Group) -> dict[str, Any]:
        return {
            "c": [scalar_hex(group, c) for c in self.challenges],
            "v": [scalar_hex(group, v) for v in self.responses],
        }

    @staticmethod
    def from_dict(group: Group, d: Any, lo: int, hi: int) -> RangeProof:
        cs, vs = d["c"], d["v"]
        n = hi - lo + 1
        if not isinstance(cs, list) or not isinstance(vs, list) or len(cs) != n or len(vs) != n:
            raise InvalidEncoding(f"range proof for {lo}..{hi} needs {n} challenges and responses")
        return RangeProof(
            lo, tuple(parse_scalar(group, c) for c in cs), tuple(parse_scalar(group, v) for v in vs)
        )


def _shifted(group: Group, data: Point, j: int) -> Point:
    """data − j·G: the point that must be r·K when the ciphertext encrypts j."""
    return group.mul_base_add(data, 1, -j) if j else data


def range_prove(
    group: Group,
    base_hash: str,
    public_key: Point,
    ct: Ciphertext,
    m: int,
    r: int,
    lo: int,
    hi: int,
    context: list[Item],
    rng: Rng = SYSTEM_RNG,
) -> RangeProof:
    if not lo <= m <= hi:
        raise ValueError(f"cannot prove {m} lies in {lo}..{hi}")
    q = group.order
    commits: list[Item] = []
    cs: list[int] = []
    vs: list[int] = []
    u = 0
    for j in range(lo, hi + 1):
        if j == m:
            u = group.random_scalar(rng)
            commits += [group.base_mul(u), group.mul(public_key, u)]
            cs.append(0)
            vs.append(0)
        else:
            # Simulated branch. The verifier recomputes a = v·G − c·A and b = v·K − c·(B − j·G);
            # knowing r and m, the prover gets the same points as a = w·G, b = w·K + c(j−m)·G
            # with w = v − c·r uniform: one multiplication of K instead of two of arbitrary points.
            cj, w = group.random_scalar(rng), group.random_scalar(rng)
            commits += [group.base_mul(w), group.mul_base_add(public_key, w, cj * (j - m))]
            cs.append(cj)
            vs.append((w + cj * r) % q)
    stmt: list[Item] = [public_key, ct.pad, ct.data, lo, hi, *context]
    c = challenge(group, "range", base_hash, [*stmt, *commits])
    k = m - lo
    cs[k] = (c - sum(cs)) % q
    vs[k] = (u + cs[k] * r) % q
    return RangeProof(lo, tuple(cs), tuple(vs))


def range_verify(
    group: Group,
    base_hash: str,
    public_key: Point,
    ct: Ciphertext,
    proof: RangeProof,
    lo: int,
    hi: int,
    context: list[Item],
) -> None:
    if proof.lo != lo or proof.hi != hi or len(proof.responses) != len(proof.challenges):
        raise ProofError(f"range proof is not for {lo}..{hi}")
    commits: list[Item] = []
    for j, cj, vj in zip(range(lo, hi + 1), proof.challenges, proof.responses, strict=True):
        commits.append(group.mul_base_add(ct.pad, -cj, vj))
        commits.append(
            group.add(group.mul(public_key, vj), group.mul(_shifted(group, ct.data, j), -cj))
        )
    stmt: list[Item] = [public_key, ct.pad, ct.data, lo, hi, *context]
    c = challenge(group, "range", base_hash, [*stmt, *commits])
    if sum(proof.challenges) % group.order != c:
        raise ProofError(f"range proof ({lo}..{hi}) does not verify")
