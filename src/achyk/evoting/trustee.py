"""A distributed key ceremony (Feldman VSS with encrypted shares on the public log), after
ElectionGuard 2.0 and Belenios; each step runs on the trustee's own machine.

1. Announce: trustee i makes an auxiliary key a_i (A_i = a_i·G) with a Schnorr proof bound to
   its index and name; the announcement is public.
2. Deal: trustee i picks f_i of degree k−1, publishes its coefficient commitments with Schnorr
   proofs (`achyk.crypto.threshold.deal`) and, for every trustee j, the share f_i(j) encrypted to
   A_j: an ephemeral R = r·G, pad = SHA-256(domain ‖ base hash ‖ i ‖ j ‖ R ‖ r·A_j), ciphertext =
   f_i(j) ⊕ pad (32 bytes). The dealing is signed (a Schnorr proof over its hash) with a_i, so a
   relaying server cannot substitute one.
3. Receive: trustee j decrypts each share with a_j and checks it against the dealer's commitments.
   A bad share is a complaint that anyone can judge from public material: j publishes
   S = a_j·R with a Chaum–Pedersen proof that it used the a_j behind A_j; anyone then recomputes
   the share and checks it against the commitments. Upheld, the dealer is at fault; else j is.
4. The key share x_j = Σ_i f_i(j) stays in the trustee's directory; Y_j = x_j·G and the joint key
   follow from the commitments alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.canonical import canonical_json
from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import DEFAULT_GROUP, SYSTEM_RNG, Group, Point, Rng
from achyk.crypto.hashing import element_hex, parse_element
from achyk.crypto.proofs import (
    ChaumPedersenProof,
    SchnorrProof,
    dleq_prove,
    dleq_verify,
    schnorr_prove,
    schnorr_verify,
)
from achyk.crypto.threshold import TrusteeCommitment, TrusteePolynomial, deal, verify_share
from achyk.errors import AchykError

_PAD = b"achyk/share-pad/v1"


@dataclass(frozen=True)
class Announcement:
    index: int
    name: str
    aux_key: Point
    proof: SchnorrProof

    def to_dict(self, g: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "aux_key": element_hex(g, self.aux_key),
                "proof": self.proof.to_dict(g)}  # fmt: skip

    @staticmethod
    def from_dict(d: Any, g: Group = DEFAULT_GROUP) -> Announcement:
        index = d["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 1:
            raise InvalidEncoding("trustee index must be a positive integer")
        return Announcement(index, str(d["name"]), parse_element(g, d["aux_key"]),
                            SchnorrProof.from_dict(g, d["proof"]))  # fmt: skip


def _aux_context(index: int, name: str) -> list[Any]:
    return ["trustee-aux-key", index, name]


def announce(
    base_hash: str, index: int, name: str, rng: Rng = SYSTEM_RNG, g: Group = DEFAULT_GROUP
) -> tuple[int, Announcement]:
    """(aux secret, public announcement)."""
    a = g.random_scalar(rng)
    proof = schnorr_prove(g, base_hash, a, _aux_context(index, name), rng)
    return a, Announcement(index, name, g.base_mul(a), proof)


def verify_announcement(base_hash: str, ann: Announcement, g: Group = DEFAULT_GROUP) -> None:
    schnorr_verify(g, base_hash, ann.aux_key, ann.proof, _aux_context(ann.index, ann.name))


@dataclass(frozen=True)
class EncryptedShare:
    recipient: int
    ephemeral: Point
    ciphertext: bytes  # 32 bytes

    def to_dict(self, g: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {"recipient": self.recipient, "ephemeral": element_hex(g, self.ephemeral),
                "ciphertext": self.ciphertext.hex()}  # fmt: skip

    @staticmethod
    def from_dict(d: Any, g: Group = DEFAULT_GROUP) -> EncryptedShare:
        ct = bytes.fromhex(str(d["ciphertext"]))
        if len(ct) != 32:
            raise InvalidEncoding("an encrypted share is 32 bytes")
        return EncryptedShare(int(d["recipient"]), parse_element(g, d["ephemeral"]), ct)


def _pad(g: Group, base_hash: str, dealer: int, recipient: int, eph: Point, dh: Point) -> bytes:
    h = hashlib.sha256(_PAD)
    for part in (base_hash.encode(), str(dealer).encode(), str(recipient).encode(),
                 g.encode(eph), g.encode(dh)):  # fmt: skip
        h.update(len(part).to_bytes(4, "big") + part)
    return h.digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Dealing:
    dealer: int
    commitment: TrusteeCommitment
    shares: tuple[EncryptedShare, ...]
    signature: SchnorrProof  # by the dealer's aux key, over the rest

    def body(self, g: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {"dealer": self.dealer, "commitment": self.commitment.to_dict(g),
                "shares": [s.to_dict(g) for s in self.shares]}  # fmt: skip

    def to_dict(self, g: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {**self.body(g), "signature": self.signature.to_dict(g)}

    @staticmethod
    def from_dict(d: Any, g: Group = DEFAULT_GROUP) -> Dealing:
        return Dealing(int(d["dealer"]), TrusteeCommitment.from_dict(g, d["commitment"]),
                       tuple(EncryptedShare.from_dict(s, g) for s in d["shares"]),
                       SchnorrProof.from_dict(g, d["signature"]))  # fmt: skip


def _dealing_context(body: dict[str, Any]) -> list[Any]:
    return ["trustee-dealing", hashlib.sha256(canonical_json(body)).digest()]


def make_dealing(
    base_hash: str,
    me: int,
    aux_secret: int,
    trustees: Sequence[Announcement],
    quorum: int,
    rng: Rng = SYSTEM_RNG,
    g: Group = DEFAULT_GROUP,
) -> tuple[TrusteePolynomial, Dealing]:
    poly, commitment = deal(g, base_hash, me, quorum, rng)
    shares = []
    for t in trustees:
        r = g.random_scalar(rng)
        eph, dh = g.base_mul(r), g.mul(t.aux_key, r)
        plain = poly.evaluate(g, t.index).to_bytes(32, "big")
        shares.append(EncryptedShare(t.index, eph, _xor(plain, _pad(g, base_hash, me, t.index, eph, dh))))  # fmt: skip
    unsigned = Dealing(me, commitment, tuple(shares), SchnorrProof(0, 0))
    sig = schnorr_prove(g, base_hash, aux_secret, _dealing_context(unsigned.body(g)), rng)
    return poly, Dealing(me, commitment, tuple(shares), sig)


def verify_dealing(
    base_hash: str, dealing: Dealing, trustees: Sequence[Announcement], quorum: int,
    g: Group = DEFAULT_GROUP,
) -> None:  # fmt: skip
    """Public checks: signed by the dealer's aux key, commitments proven, one share per trustee."""
    from achyk.crypto.threshold import verify_commitment

    by_index = {t.index: t for t in trustees}
    if dealing.dealer not in by_index or dealing.commitment.index != dealing.dealer:
        raise InvalidEncoding(f"dealing from unknown trustee {dealing.dealer}")
    schnorr_verify(g, base_hash, by_index[dealing.dealer].aux_key, dealing.signature,
                   _dealing_context(dealing.body(g)))  # fmt: skip
    verify_commitment(g, base_hash, dealing.commitment, quorum)
    if sorted(s.recipient for s in dealing.shares) != sorted(by_index):
        raise InvalidEncoding(f"dealing {dealing.dealer}: not one share per trustee")


def open_share(
    base_hash: str, me: int, aux_secret: int, dealing: Dealing, g: Group = DEFAULT_GROUP
) -> int:
    s = next(x for x in dealing.shares if x.recipient == me)
    dh = g.mul(s.ephemeral, aux_secret)
    return int.from_bytes(_xor(s.ciphertext, _pad(g, base_hash, dealing.dealer, me, s.ephemeral, dh)), "big")  # fmt: skip


@dataclass(frozen=True)
class Complaint:
    """Recipient j says dealer i's share is bad; `dh` = a_j·R with a proof: anyone can judge."""

    dealer: int
    recipient: int
    dh: Point
    proof: ChaumPedersenProof

    def to_dict(self, g: Group = DEFAULT_GROUP) -> dict[str, Any]:
        return {"dealer": self.dealer, "recipient": self.recipient, "dh": element_hex(g, self.dh),
                "proof": self.proof.to_dict(g)}  # fmt: skip

    @staticmethod
    def from_dict(d: Any, g: Group = DEFAULT_GROUP) -> Complaint:
        return Complaint(int(d["dealer"]), int(d["recipient"]), parse_element(g, d["dh"]),
                         ChaumPedersenProof.from_dict(g, d["proof"]))  # fmt: skip


def _complaint_context(dealer: int, recipient: int) -> list[Any]:
    return ["share-complaint", dealer, recipient]


def receive(
    base_hash: str, me: int, aux_secret: int, dealings: Sequence[Dealing],
    rng: Rng = SYSTEM_RNG, g: Group = DEFAULT_GROUP,
) -> tuple[int | None, list[Complaint]]:  # fmt: skip
    """(key share x_j, or None) and the complaints against dealers whose share is bad."""
    total, complaints = 0, []
    for d in dealings:
        share = open_share(base_hash, me, aux_secret, d, g)
        if share >= g.order or verify_share(g, d.commitment, me, share) is not None:
            eph = next(x for x in d.shares if x.recipient == me).ephemeral
            proof = dleq_prove(g, base_hash, aux_secret, eph, _complaint_context(d.dealer, me), rng)
            complaints.append(Complaint(d.dealer, me, g.mul(eph, aux_secret), proof))
        total += share
    return (None if complaints else total % g.order), complaints


def judge(
    base_hash: str, c: Complaint, dealing: Dealing, recipient: Announcement,
    g: Group = DEFAULT_GROUP,
) -> str:  # fmt: skip
    """Who is at fault, from public material alone: "dealer" or "complainer"."""
    eph = next((x for x in dealing.shares if x.recipient == c.recipient), None)
    if eph is None:
        return "dealer"
    try:
        dleq_verify(g, base_hash, recipient.aux_key, eph.ephemeral, c.dh, c.proof,
                    _complaint_context(c.dealer, c.recipient))  # fmt: skip
    except AchykError:
        return "complainer"  # not the recipient's own decryption
    share = int.from_bytes(_xor(eph.ciphertext, _pad(g, base_hash, c.dealer, c.recipient, eph.ephemeral, c.dh)), "big")  # fmt: skip
    bad = share >= g.order or verify_share(g, dealing.commitment, c.recipient, share) is not None
    return "dealer" if bad else "complainer"


@dataclass(frozen=True)
class Attempt:
    """The latest ceremony attempt on the log: what every trustee reads to deal and receive."""

    election: str
    base_hash: str
    quorum: int
    trustees: tuple[Announcement, ...]
    dealings: tuple[Dealing, ...]
    complaints: tuple[tuple[Complaint, str], ...]  # (complaint, verdict)

    def to_dict(self) -> dict[str, Any]:
        g = DEFAULT_GROUP
        return {"election": self.election, "base_hash": self.base_hash, "quorum": self.quorum,
                "trustees": [t.to_dict(g) for t in self.trustees],
                "dealings": [d.to_dict(g) for d in self.dealings],
                "complaints": [{**c.to_dict(g), "verdict": v} for c, v in self.complaints]}  # fmt: skip

    @staticmethod
    def from_dict(d: Any) -> Attempt:
        return Attempt(str(d["election"]), str(d["base_hash"]), int(d["quorum"]),
                       tuple(Announcement.from_dict(t) for t in d["trustees"]),
                       tuple(Dealing.from_dict(x) for x in d["dealings"]),
                       tuple((Complaint.from_dict(c), str(c["verdict"])) for c in d["complaints"]))  # fmt: skip
