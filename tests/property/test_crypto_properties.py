"""Hypothesis round trips for the crypto core: encodings, ElGamal, proofs, ballot dicts."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.crypto import elgamal
from achyk.crypto.group import SECP256K1 as G
from achyk.crypto.hashing import parse_element, parse_scalar, scalar_hex
from achyk.crypto.proofs import RangeProof, range_prove, range_verify
from achyk.evoting.ballot import ballot_from_dict, body_dict, encrypt_ballot, verify_ballot
from achyk.evoting.election import ElectionParams, RemoteContest, RevotePolicy

scalars = st.integers(min_value=1, max_value=G.order - 1)
FAST = settings(max_examples=40, deadline=None)


@FAST
@given(scalars)
def test_element_encoding_round_trips(k: int) -> None:
    p = G.base_mul(k)
    assert G.decode(G.encode(p)) == p
    assert parse_element(G, G.encode(p).hex()) == p


@FAST
@given(st.integers(min_value=0, max_value=G.order - 1))
def test_scalar_encoding_round_trips(k: int) -> None:
    assert parse_scalar(G, scalar_hex(G, k)) == k


@FAST
@given(scalars, scalars)
def test_group_law(a: int, b: int) -> None:
    assert G.add(G.base_mul(a), G.base_mul(b)) == G.base_mul(a + b)
    assert G.mul(G.base_mul(a), b) == G.base_mul(a * b)
    assert G.mul_base_add(G.base_mul(a), b, a) == G.base_mul(a * b + a)


@FAST
@given(st.lists(st.integers(min_value=0, max_value=1), min_size=1, max_size=8), st.integers(0, 2**32))  # fmt: skip
def test_elgamal_sum_round_trip(votes: list[int], seed: int) -> None:
    rng = random.Random(seed)
    x = G.random_scalar(rng)
    cts = [elgamal.encrypt(G, G.base_mul(x), m, G.random_scalar(rng)) for m in votes]
    agg = elgamal.aggregate(G, cts)
    assert elgamal.Ciphertext.from_dict(G, agg.to_dict(G)) == agg
    assert elgamal.DlogTable(G, len(votes)).lookup(elgamal.decrypt_point(G, agg, x)) == sum(votes)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2**32))
def test_range_proof_dict_round_trip(lo: int, width: int, seed: int) -> None:
    rng = random.Random(seed)
    k = G.base_mul(G.random_scalar(rng))
    m, r = rng.randint(lo, lo + width), G.random_scalar(rng)
    ct = elgamal.encrypt(G, k, m, r)
    proof = range_prove(G, "bh", k, ct, m, r, lo, lo + width, [], rng)
    again = RangeProof.from_dict(G, proof.to_dict(G), lo, lo + width)
    assert again == proof
    range_verify(G, "bh", k, ct, again, lo, lo + width, [])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2), st.integers(0, 2**32))
def test_ballot_dict_round_trip(choice: int, seed: int) -> None:
    rng = random.Random(seed)
    params = ElectionParams(
        "bh", (RemoteContest("c", ("a", "b", "c"), 1, 1),), RevotePolicy.LAST,
        G.base_mul(G.random_scalar(rng)),
    )  # fmt: skip
    marks = tuple(int(i == choice) for i in range(3))
    ballot = encrypt_ballot(params, {"c": marks}, rng).ballot
    again = ballot_from_dict(params, body_dict(params, ballot))
    assert again == ballot
    verify_ballot(params, again)
