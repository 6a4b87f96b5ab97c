"""Hypothesis invariants of the RFC 9162 Merkle tree.

The reference functions below transcribe the recursive definitions of RFC 9162 §2.1.1
(MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF) literally, slicing lists as the RFC does,
so the iterative implementations are compared with the text of the standard.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.errors import VerificationError
from achyk.ledger.merkle import (
    MemoryTree,
    MerkleFrontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from achyk.ledger.tiles import build_tiles, root_from_tiles


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


entry_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(entry_lists, st.data())
def test_inclusion_proofs_verify_and_match_the_rfc(
    entries: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    proof = inclusion_proof(entries, index)
    assert proof == ref_path(index, entries)
    top = root(entries)
    assert top == ref_mth(entries)
    verify_inclusion(leaf_hash(entries[index]), index, len(entries), proof, top)


@given(entry_lists, st.data())
def test_consistency_proofs_verify_and_match_the_rfc(
    entries: list[bytes], data: st.DataObject
) -> None:
    old = data.draw(st.integers(1, len(entries)))
    proof = consistency_proof(entries, old)
    assert proof == ref_subproof(old, entries, True)
    verify_consistency(old, len(entries), proof, root(entries[:old]), root(entries))


@given(entry_lists, st.data())
def test_a_flipped_bit_fails_inclusion(entries: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    proof = inclusion_proof(entries, index)
    leaf, top = leaf_hash(entries[index]), root(entries)
    target = data.draw(st.integers(0, len(proof) + 1))  # a proof hash, the leaf or the root
    bit = data.draw(st.integers(0, 255))

    def flip(value: bytes) -> bytes:
        b = bytearray(value)
        b[bit // 8] ^= 1 << (bit % 8)
        return bytes(b)

    if target < len(proof):
        proof[target] = flip(proof[target])
    elif target == len(proof):
        leaf = flip(leaf)
    else:
        top = flip(top)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, len(entries), proof, top)


@given(st.lists(st.binary(max_size=8), min_size=2, max_size=70), st.data())
def test_a_flipped_bit_fails_consistency(entries: list[bytes], data: st.DataObject) -> None:
    old = data.draw(st.integers(1, len(entries) - 1))
    proof = consistency_proof(entries, old)
    roots = [root(entries[:old]), root(entries)]
    target = data.draw(st.integers(0, len(proof) + 1))
    bit = data.draw(st.integers(0, 255))

    def flip(value: bytes) -> bytes:
        b = bytearray(value)
        b[bit // 8] ^= 1 << (bit % 8)
        return bytes(b)

    if target < len(proof):
        proof[target] = flip(proof[target])
    else:
        roots[target - len(proof)] = flip(roots[target - len(proof)])
    with pytest.raises(VerificationError):
        verify_consistency(old, len(entries), proof, roots[0], roots[1])


@given(st.lists(st.binary(max_size=4), max_size=300))
def test_frontier_root_and_completed_nodes(entries: list[bytes]) -> None:
    frontier = MerkleFrontier()
    stored: dict[tuple[int, int], bytes] = {}
    for e in entries:
        for level, index, value in frontier.append_entry(e):
            stored[(level, index)] = value
    assert (
        frontier.root() == root(entries) == root_from_leaf_hashes([leaf_hash(e) for e in entries])
    )
    tree = MemoryTree.from_entries(entries)
    # the nodes reported on append are exactly the perfect subtrees of the tree
    assert stored == {
        (level, index): value
        for level, row in enumerate(tree.levels)
        for index, value in enumerate(row)
    }


@settings(max_examples=25)
@given(st.integers(0, 1200))
def test_root_from_tiles(size: int) -> None:
    entries = [i.to_bytes(3, "big") for i in range(size)]
    tiles = build_tiles([leaf_hash(e) for e in entries])
    assert root_from_tiles(size, tiles) == root(entries)


@given(entry_lists, st.data())
def test_proofs_for_a_past_size_from_a_larger_tree(
    entries: list[bytes], data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, len(entries)))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    tree = MemoryTree.from_entries(entries)
    assert tree.inclusion_proof(index, size) == ref_path(index, entries[:size])
    assert tree.consistency_proof(old, size) == ref_subproof(old, entries[:size], True)
