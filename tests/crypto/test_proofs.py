"""ElGamal and the sigma proofs: completeness, soundness against tampering, domain separation."""

from __future__ import annotations

import random

import pytest

from achyk.crypto import elgamal
from achyk.crypto.errors import ProofError
from achyk.crypto.group import SECP256K1 as G
from achyk.crypto.hashing import challenge
from achyk.crypto.proofs import (
    RangeProof,
    dleq_prove,
    dleq_verify,
    range_prove,
    range_verify,
    schnorr_prove,
    schnorr_verify,
)

BH = "base-hash"


@pytest.fixture
def rng() -> random.Random:
    return random.Random(2024)


def test_elgamal_is_additively_homomorphic(rng: random.Random) -> None:
    x = G.random_scalar(rng)
    k = G.base_mul(x)
    votes = [1, 0, 1, 1, 0, 1]
    cts = [elgamal.encrypt(G, k, m, G.random_scalar(rng)) for m in votes]
    total = elgamal.decrypt_point(G, elgamal.aggregate(G, cts), x)
    assert elgamal.DlogTable(G, len(votes)).lookup(total) == sum(votes)


def test_schnorr_proof_binds_key_and_context(rng: random.Random) -> None:
    x = G.random_scalar(rng)
    p = schnorr_prove(G, BH, x, ["t", 1], rng)
    schnorr_verify(G, BH, G.base_mul(x), p, ["t", 1])
    with pytest.raises(ProofError):
        schnorr_verify(G, BH, G.base_mul(x + 1), p, ["t", 1])
    with pytest.raises(ProofError):
        schnorr_verify(G, BH, G.base_mul(x), p, ["t", 2])
    with pytest.raises(ProofError):
        schnorr_verify(G, "another election", G.base_mul(x), p, ["t", 1])


def test_chaum_pedersen_rejects_unequal_logs(rng: random.Random) -> None:
    x = G.random_scalar(rng)
    h = G.base_mul(G.random_scalar(rng))
    p = dleq_prove(G, BH, x, h, [], rng)
    dleq_verify(G, BH, G.base_mul(x), h, G.mul(h, x), p, [])
    with pytest.raises(ProofError):
        dleq_verify(G, BH, G.base_mul(x), h, G.mul(h, x + 1), p, [])


@pytest.mark.parametrize(("lo", "hi", "m"), [(0, 1, 0), (0, 1, 1), (1, 1, 1), (0, 3, 2), (2, 5, 5)])
def test_range_proof_completeness(rng: random.Random, lo: int, hi: int, m: int) -> None:
    k = G.base_mul(G.random_scalar(rng))
    r = G.random_scalar(rng)
    ct = elgamal.encrypt(G, k, m, r)
    p = range_prove(G, BH, k, ct, m, r, lo, hi, ["ctx"], rng)
    range_verify(G, BH, k, ct, p, lo, hi, ["ctx"])


def test_range_proof_cannot_be_moved_or_stretched(rng: random.Random) -> None:
    k = G.base_mul(G.random_scalar(rng))
    r = G.random_scalar(rng)
    ct = elgamal.encrypt(G, k, 1, r)
    p = range_prove(G, BH, k, ct, 1, r, 0, 1, ["voter-a"], rng)
    with pytest.raises(ProofError):  # lifted into another voter's ballot
        range_verify(G, BH, k, ct, p, 0, 1, ["voter-b"])
    other = elgamal.encrypt(G, k, 1, G.random_scalar(rng))
    with pytest.raises(ProofError):  # attached to another ciphertext
        range_verify(G, BH, k, other, p, 0, 1, ["voter-a"])
    with pytest.raises(ProofError):  # claimed for another range
        range_verify(G, BH, k, ct, p, 1, 2, ["voter-a"])
    bent = RangeProof(0, (p.challenges[0], (p.challenges[1] + 1) % G.order), p.responses)
    with pytest.raises(ProofError):
        range_verify(G, BH, k, ct, bent, 0, 1, ["voter-a"])


def test_a_two_cannot_be_proven_in_zero_one(rng: random.Random) -> None:
    k = G.base_mul(G.random_scalar(rng))
    r = G.random_scalar(rng)
    two = elgamal.encrypt(G, k, 2, r)
    with pytest.raises(ValueError):
        range_prove(G, BH, k, two, 2, r, 0, 1, [], rng)
    # a cheating prover claiming the 1 branch for an encryption of 2 fails verification
    forged = range_prove(G, BH, k, elgamal.encrypt(G, k, 1, r), 1, r, 0, 1, [], rng)
    with pytest.raises(ProofError):
        range_verify(G, BH, k, two, forged, 0, 1, [])


def test_fiat_shamir_is_domain_separated() -> None:
    base = challenge(G, "range", BH, [G.generator, 1])
    assert challenge(G, "schnorr", BH, [G.generator, 1]) != base
    assert challenge(G, "range", "other", [G.generator, 1]) != base
    assert challenge(G, "range", BH, [G.generator, 2]) != base
    # length prefixes: moving bytes between items changes the challenge
    assert challenge(G, "t", BH, ["ab", "c"]) != challenge(G, "t", BH, ["a", "bc"])
