"""Feldman VSS: shares verify against commitments, bad shares yield complaints, any quorum decrypts."""

from __future__ import annotations

import itertools
import random

import pytest

from achyk.crypto import elgamal
from achyk.crypto.errors import ProofError
from achyk.crypto.group import SECP256K1 as G
from achyk.crypto.threshold import (
    TrusteeCommitment,
    deal,
    joint_public_key,
    lagrange_at_zero,
    verification_key,
    verify_commitment,
    verify_share,
)

BH = "bh"


def test_any_quorum_reconstructs_the_joint_secret() -> None:
    rng = random.Random(5)
    dealt = [deal(G, BH, i, 3, rng) for i in range(1, 6)]
    commitments = [c for _, c in dealt]
    for c in commitments:
        verify_commitment(G, BH, c, 3)
    joint = joint_public_key(G, commitments)
    shares = {j: sum(p.evaluate(G, j) for p, _ in dealt) % G.order for j in range(1, 6)}
    for j, s in shares.items():
        assert G.base_mul(s) == verification_key(G, commitments, j)
    ct = elgamal.encrypt(G, joint, 7, G.random_scalar(rng))
    for subset in itertools.combinations(range(1, 6), 3):
        x = sum(lagrange_at_zero(G, list(subset), j) * shares[j] for j in subset) % G.order
        assert G.base_mul(x) == joint
        assert elgamal.decrypt_point(G, ct, x) == G.base_mul(7)
    # two shares are not enough: interpolating them gives another key
    x2 = sum(lagrange_at_zero(G, [1, 2], j) * shares[j] for j in (1, 2)) % G.order
    assert G.base_mul(x2) != joint


def test_a_wrong_share_yields_a_named_complaint() -> None:
    rng = random.Random(6)
    poly, com = deal(G, BH, 2, 3, rng)
    assert verify_share(G, com, 4, poly.evaluate(G, 4)) is None
    complaint = verify_share(G, com, 4, (poly.evaluate(G, 4) + 1) % G.order)
    assert complaint is not None
    assert (complaint.dealer, complaint.recipient) == (2, 4)
    assert verify_share(G, com, 4, G.order) is not None


def test_commitment_proofs_are_checked() -> None:
    rng = random.Random(7)
    _, com = deal(G, BH, 1, 2, rng)
    swapped = TrusteeCommitment(1, com.commitments[::-1], com.proofs)
    with pytest.raises(ProofError):
        verify_commitment(G, BH, swapped, 2)
    with pytest.raises(ProofError):  # a trustee cannot reuse another index's proofs
        verify_commitment(G, BH, TrusteeCommitment(2, com.commitments, com.proofs), 2)
