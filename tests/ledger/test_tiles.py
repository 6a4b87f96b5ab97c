"""C2SP tlog-tiles: paths, the tile set of a tree size, and the root rebuilt from tiles.

Source of the facts: https://c2sp.org/tlog-tiles (github.com/C2SP/C2SP tlog-tiles.md):
index 1234067 is encoded ``x001/x234/067``; a tree of size 70,000 is 273 full level-0 tiles, one
partial level-0 tile of width 112, one full level-1 tile, one partial level-1 tile of width 17
and one partial level-2 tile of width 1; a tree of size 256 is one full level-0 tile and a
partial level-1 tile of width 1; tile hash i of tile n at level l is
MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l]); entry bundles are big-endian uint16
length-prefixed entries.
"""

from __future__ import annotations

from collections import Counter

import pytest

from achyk.errors import VerificationError
from achyk.ledger.merkle import (
    MemoryTree,
    leaf_hash,
    root,
    tree_consistency_proof,
    tree_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from achyk.ledger.tiles import (
    Tile,
    TileError,
    build_tiles,
    decode_entry_bundle,
    decode_index,
    encode_entry_bundle,
    encode_index,
    entries_path,
    entry_bundles,
    hash_at_from_tiles,
    parse_tile_path,
    root_from_tiles,
    tile_path,
    tiles_for_size,
    verify_tiles,
)


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def test_index_encoding_from_spec() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert decode_index("x001/x234/067") == 1234067
    for bad in ("1234067", "x1/234", "001/234", "x001/x234", "x001/23"):
        with pytest.raises(TileError):
            decode_index(bad)


def test_paths() -> None:
    assert tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert entries_path(1234067) == "tile/entries/x001/x234/067"
    assert entries_path(3, 112) == "tile/entries/003.p/112"
    assert Tile(1, 0, 17).path == "tile/1/000.p/17"
    assert parse_tile_path("tile/0/x001/x234/067") == (0, 1234067, 256)
    assert parse_tile_path("tile/entries/003.p/112") == (None, 3, 112)
    assert parse_tile_path("tile/1/000.p/17") == (1, 0, 17)
    for bad in ("tile/00/000", "tile/1/000.p/256", "tile/1/000.p/0", "tile/1/0", "tile/x/000"):
        with pytest.raises(TileError):
            parse_tile_path(bad)


def test_tile_set_for_70000_from_spec() -> None:
    tiles = list(tiles_for_size(70_000))
    full = Counter(t.level for t in tiles if t.width == 256)
    partial = {t.level: t.width for t in tiles if t.width != 256}
    assert full == {0: 273, 1: 1}
    assert partial == {0: 112, 1: 17, 2: 1}
    assert Tile(0, 273, 112) in tiles


def test_tile_set_for_256_from_spec() -> None:
    assert list(tiles_for_size(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles_for_size(0)) == []
    assert list(tiles_for_size(1)) == [Tile(0, 0, 1)]


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65536 + 3])
def test_root_from_tiles_equals_root(size: int) -> None:
    data = entries(size)
    tiles = build_tiles([leaf_hash(e) for e in data])
    assert set(tiles) == {t.path for t in tiles_for_size(size)}
    assert root_from_tiles(size, tiles) == root(data)
    assert root_from_tiles(size, tiles.__getitem__) == root(data)


def test_tile_contents_follow_the_spec_formula() -> None:
    data = entries(65536 + 3)
    tiles = build_tiles([leaf_hash(e) for e in data])
    level1 = tiles["tile/1/000"]
    assert len(level1) == 256 * 32
    for i in (0, 1, 128, 255):  # MTH(D[i*256 : (i+1)*256])
        assert level1[i * 32 : (i + 1) * 32] == root(data[i * 256 : (i + 1) * 256])
    assert tiles["tile/2/000.p/1"] == root(data[:65536])
    assert tiles["tile/0/256.p/3"] == b"".join(leaf_hash(e) for e in data[65536:])


def test_proofs_from_tiles_verify() -> None:
    size = 1000
    data = entries(size)
    tiles = build_tiles([leaf_hash(e) for e in data])
    hash_at = hash_at_from_tiles(size, tiles)
    top = root(data)
    for index in (0, 255, 256, 511, 999):
        proof = tree_inclusion_proof(index, size, hash_at)
        verify_inclusion(leaf_hash(data[index]), index, size, proof, top)
    # an older tree size is served from the (still valid) full tiles of the newer one
    old = 700
    old_tiles = {p: d for p, d in build_tiles([leaf_hash(e) for e in data[:old]]).items()}
    proof = tree_consistency_proof(old, size, hash_at)
    verify_consistency(old, size, proof, root_from_tiles(old, old_tiles), top)


def test_tampered_or_missing_tiles() -> None:
    size = 300
    data = entries(size)
    tiles = build_tiles([leaf_hash(e) for e in data])
    good = root(data)
    bad = dict(tiles)
    bad["tile/0/001.p/44"] = bytes([tiles["tile/0/001.p/44"][0] ^ 1]) + tiles["tile/0/001.p/44"][1:]
    assert root_from_tiles(size, bad) != good
    short = dict(tiles)
    short["tile/0/001.p/44"] = tiles["tile/0/001.p/44"][:-32]
    with pytest.raises(TileError, match="1376 bytes, not 1408"):
        root_from_tiles(size, short)
    verify_tiles(size, tiles, good, entries=False)
    # the root of size 300 reads only tile/1/000.p/1 and tile/0/001.p/44: a bad full level-0
    # tile goes unseen by the root, and is what verify_tiles is for
    lower = dict(tiles)
    lower["tile/0/000"] = tiles["tile/0/000"][:-1] + b"\x00"
    assert root_from_tiles(size, lower) == good
    with pytest.raises(TileError, match=r"tile/0/000 does not hash to hash 0 of tile/1/000\.p/1"):
        verify_tiles(size, lower, good)
    with pytest.raises(TileError, match="not the checkpoint's"):
        verify_tiles(size, tiles, root(data[:299]))
    missing = {p: d for p, d in tiles.items() if p != "tile/1/000.p/1"}
    with pytest.raises(TileError, match="missing"):
        root_from_tiles(size, missing)
    with pytest.raises(VerificationError):
        hash_at_from_tiles(size, tiles)(9, 0)  # 512 leaves: not within the tree


def test_entry_bundles() -> None:
    data = [b"", b"a", bytes(range(256)) * 3, b"\xff" * 65535]
    blob = encode_entry_bundle(data)
    assert blob[:2] == b"\x00\x00"
    assert blob[2:5] == b"\x00\x01a"
    assert blob[5:7] == (768).to_bytes(2, "big")
    assert decode_entry_bundle(blob) == data
    with pytest.raises(ValueError):
        encode_entry_bundle([b"x" * 65536])
    for broken in (blob[:-1], b"\x00", b"\x00\x05abc"):
        with pytest.raises(TileError):
            decode_entry_bundle(broken)


def test_entry_bundles_hash_to_level_zero_tiles() -> None:
    data = entries(600)
    bundles = entry_bundles(data)
    tiles = build_tiles([leaf_hash(e) for e in data])
    assert sorted(bundles) == ["tile/entries/000", "tile/entries/001", "tile/entries/002.p/88"]
    for n, path in enumerate(sorted(bundles)):
        _, index, width = parse_tile_path(path)
        level0 = tiles[tile_path(0, index, width)]
        bundle = decode_entry_bundle(bundles[path])
        assert b"".join(leaf_hash(e) for e in bundle) == level0
        assert bundle == data[n * 256 : n * 256 + width]
    verify_tiles(600, {**tiles, **bundles}, root(data), entries=True)
    swapped = {**tiles, **bundles, "tile/entries/001": bundles["tile/entries/000"]}
    with pytest.raises(TileError, match="tile/entries/001 does not hash to tile/0/001"):
        verify_tiles(600, swapped, root(data), entries=True)


def test_memory_tree_serves_tiles_of_a_past_size() -> None:
    data = entries(600)
    tree = MemoryTree.from_entries(data)
    now = build_tiles(tree.levels[0])
    then = build_tiles(tree.levels[0][:300])
    # full tiles never change once written; only partial ones are superseded
    for path, blob in then.items():
        if ".p/" not in path:
            assert now[path] == blob
