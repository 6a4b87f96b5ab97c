"""Key ceremony: n trustees, quorum k, Feldman VSS; its public record and its verification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import DEFAULT_GROUP, SYSTEM_RNG, Group, Point, Rng
from achyk.crypto.hashing import element_hex, parse_element
from achyk.crypto.threshold import (
    ShareComplaint,
    TrusteeCommitment,
    TrusteePolynomial,
    deal,
    joint_public_key,
    verify_commitment,
    verify_share,
)
from achyk.errors import AchykError, Problem


@dataclass(frozen=True)
class CeremonyRecord:
    """What the log holds of a ceremony: every trustee's commitments and proofs, and the joint key."""

    trustees: int
    quorum: int
    commitments: tuple[TrusteeCommitment, ...]
    joint_key: Point

    def to_dict(self, group: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {
            "trustees": self.trustees,
            "quorum": self.quorum,
            "commitments": [c.to_dict(group) for c in self.commitments],
            "joint_key": element_hex(group, self.joint_key),
        }

    @staticmethod
    def from_dict(d: Any, group: Group = DEFAULT_GROUP) -> CeremonyRecord:
        return CeremonyRecord(
            int(d["trustees"]),
            int(d["quorum"]),
            tuple(TrusteeCommitment.from_dict(group, c) for c in d["commitments"]),
            parse_element(group, d["joint_key"]),
        )


@dataclass(frozen=True)
class TrusteeKey:
    """Trustee j's secret key share x_j = Σ_i f_i(j); kept by the trustee, never published."""

    index: int
    share: int


class CeremonyFailed(AchykError):
    """Shares did not verify: the complaints name dealer and recipient; the lead logs them."""

    def __init__(self, complaints: list[ShareComplaint]) -> None:
        self.complaints = tuple(complaints)
        text = "; ".join(f"trustee {c.recipient} vs {c.dealer}: {c.reason}" for c in complaints)
        super().__init__(f"key ceremony: {len(complaints)} complaint(s): {text}")


def deal_all(
    base_hash: str, trustees: int, quorum: int, rng: Rng = SYSTEM_RNG, group: Group = DEFAULT_GROUP
) -> list[tuple[TrusteePolynomial, TrusteeCommitment]]:
    """Every trustee's dealing (in a real ceremony each trustee runs `deal` on its own machine)."""
    if not 1 <= quorum <= trustees:
        raise ValueError("need 1 ≤ quorum ≤ trustees")
    return [deal(group, base_hash, i, quorum, rng) for i in range(1, trustees + 1)]


def receive_shares(
    recipient: int,
    commitments: list[TrusteeCommitment],
    shares: dict[int, int],
    group: Group = DEFAULT_GROUP,
) -> tuple[TrusteeKey | None, list[ShareComplaint]]:
    """Trustee `recipient` checks the share each dealer sent it; complaints for those that fail."""
    complaints: list[ShareComplaint] = []
    for c in commitments:
        if c.index not in shares:
            complaints.append(ShareComplaint(c.index, recipient, "no share received"))
            continue
        complaint = verify_share(group, c, recipient, shares[c.index])
        if complaint is not None:
            complaints.append(complaint)
    if complaints:
        return None, complaints
    return TrusteeKey(recipient, sum(shares.values()) % group.order), []


def run_ceremony(
    base_hash: str, trustees: int, quorum: int, rng: Rng = SYSTEM_RNG, group: Group = DEFAULT_GROUP
) -> tuple[CeremonyRecord, list[TrusteeKey]]:
    """The whole ceremony in one process (tests, demo); raises CeremonyFailed with complaints."""
    dealt = deal_all(base_hash, trustees, quorum, rng, group)
    commitments = [c for _, c in dealt]
    keys: list[TrusteeKey] = []
    complaints: list[ShareComplaint] = []
    for j in range(1, trustees + 1):
        key, found = receive_shares(
            j, commitments, {p.index: p.evaluate(group, j) for p, _ in dealt}
        )
        complaints += found
        if key is not None:
            keys.append(key)
    if complaints:
        raise CeremonyFailed(complaints)
    record = CeremonyRecord(
        trustees, quorum, tuple(commitments), joint_public_key(group, commitments)
    )
    return record, keys


def verify_ceremony(
    record: CeremonyRecord, base_hash: str, group: Group = DEFAULT_GROUP
) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= record.quorum <= record.trustees:
        problems.append(Problem("ceremony", f"quorum {record.quorum} of {record.trustees}"))
    indices = [c.index for c in record.commitments]
    if sorted(indices) != list(range(1, record.trustees + 1)):
        problems.append(Problem("ceremony", f"trustee indices {indices} are not 1..n"))
    for c in record.commitments:
        try:
            verify_commitment(group, base_hash, c, record.quorum)
        except (InvalidEncoding, AchykError) as e:
            problems.append(Problem(f"trustee {c.index}", str(e)))
    if record.joint_key != joint_public_key(group, list(record.commitments)):
        problems.append(
            Problem("ceremony", "joint key is not the sum of the trustees' commitments")
        )
    return problems
