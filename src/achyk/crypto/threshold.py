"""Feldman verifiable secret sharing for a k-of-n threshold ElGamal key.

Trustee i (1-based) picks a random polynomial f_i of degree k−1, publishes C_{i,l} = a_{i,l}·G for
each coefficient with a Schnorr proof of knowledge (so no trustee can pick its commitment as a
function of the others' — the rogue-key attack), and gives trustee j the share f_i(j). Trustee j
checks f_i(j)·G = Σ_l j^l·C_{i,l}; a share that fails yields a `ShareComplaint`. The joint key is
Σ_i C_{i,0}; trustee j's key share is x_j = Σ_i f_i(j), publicly committed as Y_j = x_j·G.
Transport of shares (encrypted to the recipient) is the caller's business: these functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import SYSTEM_RNG, Group, Point, Rng
from achyk.crypto.hashing import element_hex, parse_element
from achyk.crypto.proofs import SchnorrProof, schnorr_prove, schnorr_verify


@dataclass(frozen=True)
class TrusteePolynomial:
    """A trustee's secret coefficients a_0..a_{k−1}; never published."""

    index: int
    coefficients: tuple[int, ...]

    def evaluate(self, group: Group, x: int) -> int:
        acc = 0
        for a in reversed(self.coefficients):
            acc = (acc * x + a) % group.order
        return acc


@dataclass(frozen=True)
class TrusteeCommitment:
    """What a trustee publishes: commitments to its coefficients with proofs of knowledge."""

    index: int
    commitments: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]

    def to_dict(self, group: Group) -> dict[str, Any]:
        return {
            "index": self.index,
            "commitments": [element_hex(group, c) for c in self.commitments],
            "proofs": [p.to_dict(group) for p in self.proofs],
        }

    @staticmethod
    def from_dict(group: Group, d: Any) -> TrusteeCommitment:
        index = d["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 1:
            raise InvalidEncoding("trustee index must be a positive integer")
        return TrusteeCommitment(
            index,
            tuple(parse_element(group, c) for c in d["commitments"]),
            tuple(SchnorrProof.from_dict(group, p) for p in d["proofs"]),
        )


@dataclass(frozen=True)
class ShareComplaint:
    """Trustee `recipient` received from trustee `dealer` a share that does not match its commitments."""

    dealer: int
    recipient: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"dealer": self.dealer, "recipient": self.recipient, "reason": self.reason}


def _coefficient_context(index: int, power: int) -> list[str | int]:
    return ["trustee-coefficient", index, power]


def deal(
    group: Group, base_hash: str, index: int, quorum: int, rng: Rng = SYSTEM_RNG
) -> tuple[TrusteePolynomial, TrusteeCommitment]:
    coefficients = tuple(group.random_scalar(rng) for _ in range(quorum))
    commitments = tuple(group.base_mul(a) for a in coefficients)
    proofs = tuple(
        schnorr_prove(group, base_hash, a, list(_coefficient_context(index, power)), rng)
        for power, a in enumerate(coefficients)
    )
    return TrusteePolynomial(index, coefficients), TrusteeCommitment(index, commitments, proofs)


def verify_commitment(
    group: Group, base_hash: str, commitment: TrusteeCommitment, quorum: int
) -> None:
    """Raises ProofError/InvalidEncoding unless there are `quorum` commitments, each proven."""
    if len(commitment.commitments) != quorum or len(commitment.proofs) != quorum:
        raise InvalidEncoding(
            f"trustee {commitment.index}: expected {quorum} coefficient commitments"
        )
    for power, (c, p) in enumerate(zip(commitment.commitments, commitment.proofs, strict=True)):
        schnorr_verify(group, base_hash, c, p, list(_coefficient_context(commitment.index, power)))


def committed_value(group: Group, commitment: TrusteeCommitment, x: int) -> Point:
    """f_i(x)·G computed from the public commitments alone."""
    return group.sum(
        [group.mul(c, pow(x, power, group.order)) for power, c in enumerate(commitment.commitments)]
    )


def verify_share(
    group: Group, commitment: TrusteeCommitment, recipient: int, share: int
) -> ShareComplaint | None:
    if not 0 <= share < group.order:
        return ShareComplaint(commitment.index, recipient, "share is not a scalar below the order")
    if group.base_mul(share) != committed_value(group, commitment, recipient):
        return ShareComplaint(commitment.index, recipient, "share does not match the commitments")
    return None


def joint_public_key(group: Group, commitments: list[TrusteeCommitment]) -> Point:
    return group.sum([c.commitments[0] for c in commitments])


def verification_key(group: Group, commitments: list[TrusteeCommitment], index: int) -> Point:
    """Y_j = x_j·G for trustee j, from the public commitments: checks its decryption shares."""
    return group.sum([committed_value(group, c, index) for c in commitments])


def lagrange_at_zero(group: Group, indices: list[int], j: int) -> int:
    """λ_j for interpolating at 0 from the points `indices`."""
    q = group.order
    num, den = 1, 1
    for m in indices:
        if m != j:
            num = num * m % q
            den = den * (m - j) % q
    return num * pow(den, -1, q) % q
