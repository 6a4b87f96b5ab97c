"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and their verification.

Public, stable API (the log of an election is checked against exactly these rules):

* ``leaf_hash(entry) = SHA-256(0x00 || entry)``; ``node_hash(l, r) = SHA-256(0x01 || l || r)``;
  the root of the empty tree is ``SHA-256("")`` (:data:`EMPTY_ROOT`).
* ``root(entries)``, ``inclusion_proof(entries, index)``, ``consistency_proof(entries, old_size)``
  compute MTH, PATH and PROOF of RFC 9162 §2.1.1–§2.1.4 over the raw entries.
* ``verify_inclusion(leaf_hash, index, size, proof, root)`` and
  ``verify_consistency(old_size, new_size, proof, old_root, new_root)`` implement exactly the
  verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 and raise
  :class:`achyk.errors.VerificationError` saying what failed. A consistency proof from size 0 is
  refused (RFC 9162 defines none); equal sizes need an empty proof and equal roots.

A stored log keeps node hashes, not entries, so the same computations exist over a lookup of
*perfect* subtree hashes: ``hash_at(level, index)`` returns MTH of leaves
``[index * 2**level, (index + 1) * 2**level)``. :func:`tree_root`, :func:`tree_inclusion_proof`
and :func:`tree_consistency_proof` need O(log n) such lookups (plus O(log² n) for ranges that end
at the right edge of the tree, which are rebuilt from at most log n perfect subtrees).
:class:`MerkleFrontier` appends leaf hashes in O(log n) memory and reports every perfect node it
completes, so a store can persist them as it goes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from achyk.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

HashAt = Callable[[int, int], bytes]
"""``hash_at(level, index)``: hash of the perfect subtree over ``[index << level, (index + 1) << level)``."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def hash_at_from_subtree(subtree: Callable[[int, int], bytes]) -> HashAt:
    """Adapt a ``subtree(start, end)`` lookup of perfect, aligned subtrees to ``hash_at``."""
    return lambda level, index: subtree(index << level, (index + 1) << level)


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


# --- computations over perfect-subtree lookups ------------------------------------------------


def range_hash(start: int, end: int, hash_at: HashAt) -> bytes:
    """MTH(D[start:end]) for a node of the left-balanced tree (start aligned, end <= size).

    [start, end) splits into perfect subtrees by the binary digits of end - start, largest first;
    because start is aligned to the largest, each piece is aligned too. RFC 9162 hashes the
    right-hand remainder first, so the pieces are folded from the right.
    """
    if end <= start:
        raise ValueError(f"empty range [{start}, {end})")
    pieces: list[bytes] = []
    pos, n = start, end - start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            pieces.append(hash_at(level, pos >> level))
            pos += 1 << level
    acc = pieces[-1]
    for piece in reversed(pieces[:-1]):
        acc = node_hash(piece, acc)
    return acc


def tree_root(size: int, hash_at: HashAt) -> bytes:
    """MTH of the first ``size`` leaves, from perfect-subtree hashes."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return EMPTY_ROOT if size == 0 else range_hash(0, size, hash_at)


def tree_inclusion_proof(index: int, size: int, hash_at: HashAt) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]), leaf-side first, from perfect-subtree hashes."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    top_down: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            top_down.append(range_hash(lo + k, hi, hash_at))
            hi = lo + k
        else:
            top_down.append(range_hash(lo, lo + k, hash_at))
            lo += k
    top_down.reverse()
    return top_down


def tree_consistency_proof(old_size: int, new_size: int, hash_at: HashAt) -> list[bytes]:
    """RFC 9162 PROOF(old_size, D[0:new_size]), from perfect-subtree hashes."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    top_down: list[bytes] = []
    m, lo, hi, whole = old_size, 0, new_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            top_down.append(range_hash(lo + k, hi, hash_at))
            hi = lo + k
        else:
            top_down.append(range_hash(lo, lo + k, hash_at))
            m, lo, whole = m - k, lo + k, False
    if not whole:
        top_down.append(range_hash(lo, hi, hash_at))
    top_down.reverse()
    return top_down


# --- computations over entries / leaf hashes held in memory -----------------------------------


class MemoryTree:
    """All perfect-subtree hashes of a tree held in memory: ``levels[l][i]`` (about 2n hashes)."""

    __slots__ = ("levels", "size")

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        levels = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        self.levels = levels

    @classmethod
    def from_entries(cls, entries: Sequence[bytes]) -> MemoryTree:
        return cls([leaf_hash(e) for e in entries])

    def hash_at(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.size if size is None else self._within(size), self.hash_at)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return tree_inclusion_proof(
            index, self.size if size is None else self._within(size), self.hash_at
        )

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return tree_consistency_proof(
            old_size, self.size if new_size is None else self._within(new_size), self.hash_at
        )

    def _within(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is beyond the {self.size} leaves held")
        return size


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, bottom-up: pairing and promoting an odd last node gives the RFC tree."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 over the raw entries."""
    return root_from_leaf_hashes([leaf_hash(e) for e in entries])


def inclusion_proof(entries: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1 over the raw entries."""
    return MemoryTree.from_entries(entries).inclusion_proof(index)


def consistency_proof(entries: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1 over the raw entries (0 < old_size <= n)."""
    return MemoryTree.from_entries(entries).consistency_proof(old_size)


# --- incremental appends -------------------------------------------------------------------


class MerkleFrontier:
    """The compact range [0, size): one perfect subtree hash per set bit of size, largest first.

    Appending is O(log n) hashing with O(log n) memory; ``append`` returns every perfect node it
    completes as ``(level, index, hash)`` (the leaf itself first), which is what a store persists.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def restore(cls, size: int, hashes: Sequence[bytes]) -> MerkleFrontier:
        """Rebuild from :attr:`hashes` saved at ``size`` (checked: one hash per set bit)."""
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError("frontier hashes must be 32 bytes")
        frontier = cls()
        frontier._size, frontier._hashes = size, list(hashes)
        return frontier

    @classmethod
    def at_size(cls, size: int, hash_at: HashAt) -> MerkleFrontier:
        """The frontier of the first ``size`` leaves of a stored tree."""
        hashes, pos = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                hashes.append(hash_at(level, pos >> level))
                pos += 1 << level
        return cls.restore(size, hashes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; return the perfect nodes completed, bottom-up."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, not {len(leaf)}")
        index, acc, level = self._size, leaf, 0
        completed = [(0, index, leaf)]
        while index >> level & 1:
            acc = node_hash(self._hashes.pop(), acc)
            level += 1
            completed.append((level, index >> level, acc))
        self._hashes.append(acc)
        self._size += 1
        return completed

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        """`append` of each leaf hash in turn: the nodes completed, in the order `append` gives
        them, leaf by leaf (one call for a writer's batch of thousands, not one per leaf)."""
        hashes, index = self._hashes, self._size
        completed: list[tuple[int, int, bytes]] = []
        add, sha256 = completed.append, hashlib.sha256
        try:
            for leaf in leaves:
                if len(leaf) != HASH_SIZE:
                    raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, not {len(leaf)}")
                acc, level = leaf, 0
                add((0, index, leaf))
                while index >> level & 1:
                    acc = sha256(b"\x01" + hashes.pop() + acc).digest()  # node_hash
                    level += 1
                    add((level, index >> level, acc))
                hashes.append(acc)
                index += 1
        finally:
            self._size = index  # as `append` leaves it: every leaf before a bad one appended
        return completed

    def append_entry(self, entry: bytes) -> list[tuple[int, int, bytes]]:
        return self.append(leaf_hash(entry))

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            acc = node_hash(h, acc)
        return acc


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) -------------------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4), or VerificationError."""
    if not 0 <= index < size:
        raise VerificationError(
            f"inclusion proof: leaf index {index} is not below tree size {size}"
        )
    _check_hash("inclusion proof: leaf hash", leaf_hash)
    for i, p in enumerate(proof):
        _check_hash(f"inclusion proof: element {i}", p)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise VerificationError(
                f"inclusion proof: {len(proof)} hashes is too long for leaf {index} of {size}"
            )
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(
            f"inclusion proof: {len(proof)} hashes is too short for leaf {index} of {size}"
        )
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    _check_hash("inclusion proof: root", root)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise VerificationError(
            f"inclusion proof: leaf {index} of tree size {size} leads to root {computed.hex()}, "
            f"not the expected {root.hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends the one of ``old_size``."""
    where = f"consistency proof {old_size} -> {new_size}"
    _check_hash(f"{where}: old root", old_root)
    _check_hash(f"{where}: new root", new_root)
    for i, c in enumerate(proof):
        _check_hash(f"{where}: element {i}", c)
    if old_size <= 0:
        raise VerificationError(f"{where}: the old tree size must be at least 1")
    if new_size < old_size:
        raise VerificationError(f"{where}: the new tree is smaller than the old one")
    if old_size == new_size:
        if proof:
            raise VerificationError(f"{where}: equal sizes need an empty proof")
        if old_root != new_root:
            raise VerificationError(f"{where}: equal sizes but different roots")
        return
    if not proof:
        raise VerificationError(f"{where}: the proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(f"{where}: the proof has too many hashes")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"{where}: the proof has too few hashes")
    if fr != old_root:
        raise VerificationError(f"{where}: the proof does not lead to the old root")
    if sr != new_root:
        raise VerificationError(f"{where}: the proof does not lead to the new root")
