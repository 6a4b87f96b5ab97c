"""RFC 9162 Merkle tree against the published RFC 6962 / transparency-dev test vectors.

Sources (facts copied, not code):
* TD_CONSTANTS = github.com/transparency-dev/merkle testonly/constants.go
  (LeafInputs, NodeHashes, RootHashes, CompactTrees of the 8-leaf reference tree)
* TD_VERIFY = github.com/transparency-dev/merkle proof/verify_test.go
  (inclusionProofs, consistencyProofs, TestVerifyConsistency table)
* TD_PROOF = github.com/transparency-dev/merkle proof/proof_test.go
  (node IDs making up each inclusion / consistency proof in the RFC 6962 example tree)
* TD_RFC6962 = github.com/transparency-dev/merkle rfc6962/rfc6962_test.go (hasher vectors)
"""

from __future__ import annotations

import pytest

from achyk.errors import VerificationError
from achyk.ledger import merkle
from achyk.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    MerkleFrontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# TD_CONSTANTS LeafInputs
LEAVES = [
    h(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
# TD_CONSTANTS RootHashes, indexed by tree size 0..8
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# TD_CONSTANTS NodeHashes: NODES[level][index] of every complete subtree of the 8-leaf tree
NODES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]


def N(level: int, index: int) -> bytes:
    return NODES[level][index]


# TD_VERIFY inclusionProofs: (leaf index, tree size, proof); the source numbers leaves from 1
INCLUSION = [
    (0, 1, []),
    (0, 8, [N(0, 1), N(1, 1), N(2, 1)]),
    (5, 8, [N(0, 4), N(1, 3), N(2, 0)]),
    (2, 3, [N(1, 0)]),
    (1, 5, [N(0, 0), N(1, 1), N(0, 4)]),
]
# the hex as published, to keep the table above honest
assert [p.hex() for p in INCLUSION[1][2]] == [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]

# TD_VERIFY consistencyProofs: (size1, size2, proof) with the published hashes
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# TD_PROOF TestInclusion / TestConsistency: proof node IDs (level, index) in the 7/8-leaf tree;
# a "rehash" pair of IDs [x, y] in the source stands for the ephemeral node H(y, x).
INCLUSION_NODES = {
    (7, 0): [N(0, 1), N(1, 1), node_hash(N(1, 2), N(0, 6))],  # b h l=H(i,j)
    (7, 1): [N(0, 0), N(1, 1), node_hash(N(1, 2), N(0, 6))],  # a h l
    (7, 2): [N(0, 3), N(1, 0), node_hash(N(1, 2), N(0, 6))],  # d g l
    (7, 3): [N(0, 2), N(1, 0), node_hash(N(1, 2), N(0, 6))],  # c g l
    (7, 4): [N(0, 5), N(0, 6), N(2, 0)],  # f j k
    (7, 5): [N(0, 4), N(0, 6), N(2, 0)],  # e j k
    (7, 6): [N(1, 2), N(2, 0)],  # i k
    (4, 2): [N(0, 3), N(1, 0)],  # d g
    (5, 3): [N(0, 2), N(1, 0), N(0, 4)],  # c g e
    (6, 3): [N(0, 2), N(1, 0), N(1, 2)],  # c g i
    (6, 4): [N(0, 5), N(2, 0)],  # f k
    (2, 0): [N(0, 1)],
    (2, 1): [N(0, 0)],
    (3, 1): [N(0, 0), N(0, 2)],
}
CONSISTENCY_NODES = {
    (1, 2): [N(0, 1)],
    (1, 4): [N(0, 1), N(1, 1)],
    (1, 6): [N(0, 1), N(1, 1), N(1, 2)],
    (2, 3): [N(0, 2)],
    (2, 8): [N(1, 1), N(2, 1)],
    (3, 7): [N(0, 2), N(0, 3), N(1, 0), node_hash(N(1, 2), N(0, 6))],  # c d g l
    (4, 7): [node_hash(N(1, 2), N(0, 6))],  # l
    (5, 7): [N(0, 4), N(0, 5), N(0, 6), N(2, 0)],  # e f j k
    (6, 7): [N(1, 2), N(0, 6), N(2, 0)],  # i j k
    (7, 8): [N(0, 6), N(0, 7), N(1, 2), N(2, 0)],  # j leaf#7 i k
    (2, 4): [N(1, 1)],
    (3, 5): [N(0, 2), N(0, 3), N(1, 0), N(0, 4)],
    (3, 6): [N(0, 2), N(0, 3), N(1, 0), N(1, 2)],
    (4, 6): [N(1, 2)],
    (1, 7): [N(0, 1), N(1, 1), node_hash(N(1, 2), N(0, 6))],
}


def test_hasher_vectors() -> None:
    # TD_RFC6962 TestRFC6962Hasher
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(9))
def test_roots_of_every_prefix(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]
    assert root_from_leaf_hashes([leaf_hash(e) for e in LEAVES[:size]]) == ROOTS[size]
    assert MemoryTree.from_entries(LEAVES).root(size) == ROOTS[size]


def test_node_hashes() -> None:
    tree = MemoryTree.from_entries(LEAVES)
    assert tree.levels == NODES


def test_frontier_matches_published_compact_trees() -> None:
    # TD_CONSTANTS CompactTrees: the compact range [0, size) for each size
    compact = [
        [],
        [N(0, 0)],
        [N(1, 0)],
        [N(1, 0), N(0, 2)],
        [N(2, 0)],
        [N(2, 0), N(0, 4)],
        [N(2, 0), N(1, 2)],
        [N(2, 0), N(1, 2), N(0, 6)],
        [N(3, 0)],
    ]
    frontier = MerkleFrontier()
    assert frontier.root() == ROOTS[0]
    for size, entry in enumerate(LEAVES, 1):
        completed = frontier.append_entry(entry)
        assert list(frontier.hashes) == compact[size]
        assert frontier.root() == ROOTS[size]
        # every node the append completes is a published complete-subtree hash
        assert completed[0] == (0, size - 1, N(0, size - 1))
        for level, index, value in completed:
            assert value == N(level, index)
        restored = MerkleFrontier.restore(size, frontier.hashes)
        assert restored.root() == ROOTS[size]
        at = MerkleFrontier.at_size(size, MemoryTree.from_entries(LEAVES).hash_at)
        assert at.hashes == frontier.hashes


def test_extend_is_append_leaf_by_leaf() -> None:
    # from every size, a batch of every length: the same nodes, frontier and root
    leaves = [leaf_hash(bytes([i])) for i in range(40)]
    for start in range(20):
        for count in range(21):
            one, many = MerkleFrontier(), MerkleFrontier()
            for leaf in leaves[:start]:
                one.append(leaf)
                many.append(leaf)
            nodes = [n for leaf in leaves[start : start + count] for n in one.append(leaf)]
            assert many.extend(leaves[start : start + count]) == nodes
            assert (many.size, many.hashes, many.root()) == (one.size, one.hashes, one.root())
    with pytest.raises(ValueError):
        MerkleFrontier().extend([b"short"])


def test_frontier_restore_checks_shape() -> None:
    with pytest.raises(ValueError):
        MerkleFrontier.restore(3, [N(1, 0)])
    with pytest.raises(ValueError):
        MerkleFrontier.restore(1, [b"short"])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAVES[:size], index) == proof
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("size", "index"), sorted(INCLUSION_NODES))
def test_inclusion_proof_nodes(size: int, index: int) -> None:
    proof = inclusion_proof(LEAVES[:size], index)
    assert proof == INCLUSION_NODES[(size, index)]
    # the same proof served from a larger stored tree (the store's path)
    assert MemoryTree.from_entries(LEAVES).inclusion_proof(index, size) == proof
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_published_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES[:new], old) == proof
    verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY_NODES))
def test_consistency_proof_nodes(old: int, new: int) -> None:
    proof = consistency_proof(LEAVES[:new], old)
    assert proof == CONSISTENCY_NODES[(old, new)]
    assert MemoryTree.from_entries(LEAVES).consistency_proof(old, new) == proof
    verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])


def _flip(b: bytes, bit: int) -> bytes:
    return bytes([b[0] ^ (1 << bit), *b[1:]])


SOME = h("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    # the probes of TD_VERIFY corruptInclusionProof that keep 32-byte hashes
    leaf, good = leaf_hash(LEAVES[index]), ROOTS[size]
    probes = [
        (index - 1, size, leaf, proof, good),
        (index + 1, size, leaf, proof, good),
        (index ^ 2, size, leaf, proof, good),
        (index, size * 2, leaf, proof, good),
        (index, size // 2, leaf, proof, good),
        (index, size, leaf_hash(b"WrongLeaf"), proof, good),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME),
        (index, size, leaf, [*proof, good], good),
        (index, size, leaf, [good, *proof], good),
        (index, size, leaf, proof[:-1], good),
        (index, size, leaf, [proof[0], SOME, *proof[1:]], good),
    ]
    probes += [
        (index, size, leaf, [*proof[:i], _flip(p, 3), *proof[i + 1 :]], good)
        for i, p in enumerate(proof)
    ]
    for i, s, lf, pr, rt in probes:
        with pytest.raises(VerificationError):
            verify_inclusion(lf, i, s, pr, rt)


def test_inclusion_input_checks() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(leaf, 0, 1, [], leaf)  # a one-leaf tree's root is its leaf hash
    with pytest.raises(VerificationError, match="not below tree size"):
        verify_inclusion(leaf, 1, 1, [], leaf)
    with pytest.raises(VerificationError, match="not below tree size"):
        verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    with pytest.raises(VerificationError, match="32"):
        verify_inclusion(b"", 0, 1, [], leaf)
    with pytest.raises(VerificationError, match="32"):
        verify_inclusion(leaf, 0, 1, [], b"")
    with pytest.raises(VerificationError, match="element 1 is 3 bytes"):
        verify_inclusion(leaf, 0, 8, [leaf, b"abc", leaf], leaf)
    with pytest.raises(VerificationError, match="too long"):
        verify_inclusion(leaf, 0, 1, [leaf], leaf)
    with pytest.raises(VerificationError, match="too short"):
        verify_inclusion(leaf_hash(LEAVES[0]), 0, 8, INCLUSION[1][2][:2], ROOTS[8])
    with pytest.raises(VerificationError, match="leads to root"):
        verify_inclusion(leaf_hash(LEAVES[1]), 0, 8, INCLUSION[1][2], ROOTS[8])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(old: int, new: int, proof: list[bytes]) -> None:
    # the probes of TD_VERIFY corruptConsistencyProof that keep 32-byte hashes
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, SOME, r2, proof),
        (old, new, r1, SOME, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    probes += [
        (old, new, r1, r2, [*proof[:i], _flip(p, 4), *proof[i + 1 :]]) for i, p in enumerate(proof)
    ]
    for s1, s2, a, b, pr in probes:
        with pytest.raises(VerificationError):
            verify_consistency(s1, s2, pr, a, b)


def test_consistency_edge_cases() -> None:
    # TD_VERIFY TestVerifyConsistency, except that a proof from size 0 is refused here
    # (RFC 9162 §2.1.4 defines consistency proofs only for 0 < first).
    r1, r2, empty = leaf_hash(b"1"), leaf_hash(b"2"), EMPTY_ROOT
    verify_consistency(1, 1, [], r2, r2)
    with pytest.raises(VerificationError, match="different roots"):
        verify_consistency(1, 1, [], r1, r2)
    with pytest.raises(VerificationError, match="empty proof"):
        verify_consistency(1, 1, [empty], empty, empty)
    with pytest.raises(VerificationError, match="at least 1"):
        verify_consistency(0, 0, [], r1, r1)
    with pytest.raises(VerificationError, match="at least 1"):
        verify_consistency(0, 1, [], r1, r2)
    with pytest.raises(VerificationError, match="smaller"):
        verify_consistency(2, 1, [], r1, r2)
    with pytest.raises(VerificationError, match="proof is empty"):
        verify_consistency(1, 2, [], r1, r2)
    with pytest.raises(VerificationError, match="old root is 9 bytes"):
        verify_consistency(1, 2, [r1], b"WrongRoot", r2)
    with pytest.raises(VerificationError, match="new root"):
        verify_consistency(6, 8, CONSISTENCY[2][2], ROOTS[6], ROOTS[7])
    with pytest.raises(VerificationError, match="old root"):
        verify_consistency(6, 8, CONSISTENCY[2][2], ROOTS[5], ROOTS[8])


def test_generator_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES, 0)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:4], 5)
    with pytest.raises(ValueError):
        MemoryTree.from_entries(LEAVES).root(9)
    with pytest.raises(ValueError):
        tree_root(-1, MemoryTree.from_entries(LEAVES).hash_at)


def test_store_style_lookups_are_logarithmic() -> None:
    # a store serves proofs from node hashes: count the lookups for a 100,003-leaf tree
    tree = MemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(100_003)])
    calls = 0

    def hash_at(level: int, index: int) -> bytes:
        nonlocal calls
        calls += 1
        return tree.hash_at(level, index)

    assert merkle.tree_root(tree.size, hash_at) == root_from_leaf_hashes(tree.levels[0])
    assert calls <= 17
    calls = 0
    proof = merkle.tree_inclusion_proof(77_777, tree.size, hash_at)
    assert calls <= 17 * 17
    verify_inclusion(tree.levels[0][77_777], 77_777, tree.size, proof, tree.root())
    calls = 0
    proof = merkle.tree_consistency_proof(54_321, tree.size, hash_at)
    assert calls <= 17 * 17
    verify_consistency(54_321, tree.size, proof, tree.root(54_321), tree.root())


def test_subtree_lookup_adapter() -> None:
    # a store keyed by leaf ranges [start, end) of perfect subtrees serves the same proofs
    tree = MemoryTree.from_entries(LEAVES)
    by_range = {
        (i << lvl, (i + 1) << lvl): v
        for lvl, row in enumerate(tree.levels)
        for i, v in enumerate(row)
    }
    hash_at = merkle.hash_at_from_subtree(lambda start, end: by_range[(start, end)])
    assert merkle.tree_root(7, hash_at) == ROOTS[7]
    assert merkle.tree_inclusion_proof(0, 7, hash_at) == INCLUSION_NODES[(7, 0)]
    assert merkle.tree_consistency_proof(3, 7, hash_at) == CONSISTENCY_NODES[(3, 7)]
