"""C2SP tiled transparency logs (https://c2sp.org/tlog-tiles): the static form of the log.

* ``tile/<L>/<N>[.p/<W>]``: the level-L tile N holds up to 256 hashes; hash i is
  MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L]), i.e. the perfect Merkle subtree at
  tree level 8*L, index N*256 + i. Full tiles hold 256 hashes (8,192 bytes); the rightmost tile
  of a level may be partial, with W = floor(size / 256**L) mod 256 hashes.
* ``tile/entries/<N>[.p/<W>]``: the entries of level-0 tile N, each as a big-endian uint16
  length followed by the entry.
* ``<N>`` is written in 3-digit groups, all but the last prefixed by ``x``
  (1234067 -> ``x001/x234/067``).

A verifier that has only the static files rebuilds any perfect subtree hash from them
(:func:`hash_at_from_tiles`) and hence the root and any proof (:mod:`achyk.ledger.merkle`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from achyk.errors import VerificationError
from achyk.ledger.merkle import HASH_SIZE, HashAt, MemoryTree, leaf_hash, node_hash, tree_root

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF

Fetch = Callable[[str], bytes]
"""Reads one static file by its path relative to the log prefix (e.g. ``tile/0/000``)."""


class TileError(VerificationError):
    """A tile or entry bundle is missing, malformed, or of the wrong size."""


def encode_index(n: int) -> str:
    """Tile index in zero-padded 3-digit path elements, all but the last prefixed with ``x``."""
    if n < 0:
        raise ValueError(f"tile index {n} is negative")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def decode_index(text: str) -> int:
    parts = text.split("/")
    ok = all(re.fullmatch(r"x[0-9]{3}", p) for p in parts[:-1]) and re.fullmatch(
        r"[0-9]{3}", parts[-1]
    )
    if not ok:
        raise TileError(f"tile index {text!r} is not in x-prefixed 3-digit groups")
    return int("".join(p.lstrip("x") for p in parts))


@dataclass(frozen=True, order=True)
class Tile:
    """One tile: its level, index and width (256 = full; 1..255 = partial)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= 63 or self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"no such tile: level {self.level}, index {self.index}, {self.width}")

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def entries_path(self) -> str:
        """The entry bundle matching this level-0 tile."""
        return entries_path(self.index, self.width)


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is not in 1..256")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    return f"tile/{level}/{encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    return f"tile/entries/{encode_index(index)}{_suffix(width)}"


_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]*))?")


def parse_tile_path(path: str) -> tuple[int | None, int, int]:
    """(level, index, width) of a tile path; level is None for an entry bundle."""
    m = _PATH.fullmatch(path)
    if not m or (m[3] is not None and int(m[3]) >= TILE_WIDTH):
        raise TileError(f"{path!r} is not a tile path")
    level = None if m[1] == "entries" else int(m[1])
    return level, decode_index(m[2]), TILE_WIDTH if m[3] is None else int(m[3])


def tile_for(level: int, index: int, size: int) -> Tile:
    """The tile (full, or partial at ``size``) that holds hash ``index`` of tile level ``level``."""
    n = index // TILE_WIDTH
    count = size >> (TILE_HEIGHT * level)  # hashes this level has at this size
    if index >= count:
        raise ValueError(f"tile level {level} has only {count} hashes at size {size}")
    full = (n + 1) * TILE_WIDTH <= count
    return Tile(level, n, TILE_WIDTH if full else count % TILE_WIDTH)


def tiles_for_size(size: int) -> Iterator[Tile]:
    """Every tile a log of ``size`` serves: all full tiles and the partial one of each level."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        for n in range(count // TILE_WIDTH):
            yield Tile(level, n)
        if count % TILE_WIDTH:
            yield Tile(level, count // TILE_WIDTH, count % TILE_WIDTH)
        level += 1


def earlier_partial_tiles(size: int, sizes: Sequence[int]) -> set[Tile]:
    """The partial tiles of the earlier checkpointed ``sizes`` that a log of ``size`` must still
    serve: those whose full tile does not exist yet (tlog-tiles lets a log drop the others)."""
    out = set()
    for s in sizes:
        level = 0
        while 0 < s < size and s >> (TILE_HEIGHT * level):
            width = (s >> (TILE_HEIGHT * level)) % TILE_WIDTH
            index = s >> (TILE_HEIGHT * (level + 1))
            if width and (size >> (TILE_HEIGHT * level)) < (index + 1) * TILE_WIDTH:
                out.add(Tile(level, index, width))
            level += 1
    return out


def tile_data(tile: Tile, hash_at: HashAt) -> bytes:
    """The bytes of ``tile``: its hashes, concatenated, read from perfect-subtree hashes."""
    first = tile.index * TILE_WIDTH
    return b"".join(hash_at(TILE_HEIGHT * tile.level, first + i) for i in range(tile.width))


def build_tiles(leaf_hashes: Sequence[bytes]) -> dict[str, bytes]:
    """All tiles of the tree over ``leaf_hashes``, by path (for tests and small logs)."""
    tree = MemoryTree(leaf_hashes)
    return {t.path: tile_data(t, tree.hash_at) for t in tiles_for_size(tree.size)}


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise ValueError(f"entry {i} is {len(entry)} bytes; a bundle holds at most 65535")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError(f"entry bundle: truncated length prefix at byte {pos}")
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise TileError(f"entry bundle: entry {len(entries)} runs past the end")
        entries.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return entries


def entry_bundles(entries: Sequence[bytes]) -> dict[str, bytes]:
    """All entry bundles of a log holding ``entries``, by path."""
    out = {}
    for start in range(0, len(entries), TILE_WIDTH):
        chunk = entries[start : start + TILE_WIDTH]
        out[entries_path(start // TILE_WIDTH, len(chunk))] = encode_entry_bundle(chunk)
    return out


def hash_at_from_tiles(size: int, fetch: Fetch | Mapping[str, bytes]) -> HashAt:
    """A ``hash_at(level, index)`` for perfect subtrees within ``size``, read from tiles.

    A subtree of height h = 8*L + r is 2**r consecutive hashes of one level-L tile; those are
    hashed up r levels. Each tile is fetched once and checked to be exactly its width.
    """
    read = fetch.__getitem__ if isinstance(fetch, Mapping) else fetch
    cache: dict[Tile, bytes] = {}

    def load(tile: Tile) -> bytes:
        if tile not in cache:
            cache[tile] = _read(read, tile, tile.width * HASH_SIZE)
        return cache[tile]

    def hash_at(level: int, index: int) -> bytes:
        if (index + 1) << level > size:
            raise TileError(f"node ({level}, {index}) is not a full subtree at size {size}")
        tile_level, rise = divmod(level, TILE_HEIGHT)
        first = index << rise
        data = load(tile_for(tile_level, first, size))
        offset = first % TILE_WIDTH
        return _hashes_root(data[offset * HASH_SIZE : (offset + (1 << rise)) * HASH_SIZE])

    return hash_at


def _read(read: Fetch, tile: Tile, length: int) -> bytes:
    try:
        data = read(tile.path)
    except (KeyError, FileNotFoundError) as exc:
        raise TileError(f"{tile.path}: missing") from exc
    if len(data) != length:
        raise TileError(f"{tile.path}: {len(data)} bytes, not {length}")
    return data


def _hash(data: bytes, i: int) -> bytes:
    return data[i * HASH_SIZE : (i + 1) * HASH_SIZE]


def _hashes_root(data: bytes) -> bytes:
    """MTH of a power-of-two run of concatenated hashes (a perfect subtree)."""
    nodes = [_hash(data, i) for i in range(len(data) // HASH_SIZE)]
    while len(nodes) > 1:
        nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0]


def root_from_tiles(size: int, fetch: Fetch | Mapping[str, bytes]) -> bytes:
    """The tree root at ``size`` as a verifier computes it from the static tiles alone."""
    return tree_root(size, hash_at_from_tiles(size, fetch))


def verify_tiles(
    size: int, fetch: Fetch | Mapping[str, bytes], expected_root: bytes, *, entries: bool = False
) -> None:
    """Check a whole static log of ``size`` against its checkpoint root.

    The root only reads the top of the tile pyramid, so this also checks that every full tile
    hashes to its entry in the tile above (and, with ``entries``, that every entry bundle hashes
    to its level-0 tile): no tile a reader might fetch later can disagree with the root.
    """
    read = fetch.__getitem__ if isinstance(fetch, Mapping) else fetch
    computed = root_from_tiles(size, read)
    if computed != expected_root:
        raise TileError(f"tiles give root {computed.hex()} at size {size}, not the checkpoint's")
    for tile in tiles_for_size(size):
        data = _read(read, tile, tile.width * HASH_SIZE)
        for i in range(tile.width if tile.level > 0 else 0):
            lower = Tile(tile.level - 1, tile.index * TILE_WIDTH + i)
            if _hashes_root(_read(read, lower, TILE_WIDTH * HASH_SIZE)) != _hash(data, i):
                raise TileError(f"{lower.path} does not hash to hash {i} of {tile.path}")
        if entries and tile.level == 0:
            try:
                bundle = decode_entry_bundle(read(tile.entries_path))
            except (KeyError, FileNotFoundError) as exc:
                raise TileError(f"{tile.entries_path}: missing") from exc
            if b"".join(leaf_hash(e) for e in bundle) != data:
                raise TileError(f"{tile.entries_path} does not hash to {tile.path}")
