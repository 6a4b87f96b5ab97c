"""The log's entries read from its bundles as they are needed, never all held at once.

At 100,000 stations the log is 200,000 entries (about 150 MB): `achyk verify` streams them through
the replay bundle by bundle, and reads a bundle again where a later check needs a few entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from achyk.canonical import canonical_json
from achyk.ledger.tiles import TILE_WIDTH, decode_entry_bundle, tile_for, tiles_for_size
from achyk.verify.source import RecordSource

# A run of 16 digits or more may be an integer beyond 2^53 - 1, which RFC 8785 cannot write.
_LONG_DIGITS = re.compile(rb"[0-9]{16}")
BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def load(raw: bytes) -> tuple[Any, bool]:
    """`json.loads(raw)`, and whether the value is plain: no number written with a fraction or an
    exponent, no NaN or Infinity, no integer that might be beyond 2^53 - 1. For a plain value the
    standard library's encoder, keys sorted, writes RFC 8785 (`canonical`)."""
    odd: list[str] = []

    def number(text: str) -> float:
        odd.append(text)
        return float(text)

    value = json.loads(raw, parse_float=number, parse_constant=number)
    return value, not odd and _LONG_DIGITS.search(raw) is None


def canonical(value: Any, plain: bool) -> bytes:
    """`canonical_json(value)` for a value `load` read: in C when it is plain and holds nothing
    beyond the BMP (whose keys RFC 8785 sorts as UTF-16), the exact encoder otherwise."""
    if plain:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if text.isascii() or BEYOND_BMP.search(text) is None:
            return text.encode("utf-8")
    return canonical_json(value)


class LogEntries:
    """`stream()` every entry in order; `entries[a:b]` a few of them (within one bundle)."""

    def __init__(self, size: int, fetch: Callable[[str], bytes]) -> None:
        self.size = size
        self.fetch = fetch

    def bundles(self) -> Iterator[tuple[int, list[bytes]]]:
        """(index of the first entry, entries) of each bundle, in order."""
        for tile in tiles_for_size(self.size):
            if tile.level == 0:
                yield tile.index * TILE_WIDTH, decode_entry_bundle(self.fetch(tile.entries_path))

    def containing(self, marker: bytes) -> Iterator[tuple[int, bytes]]:
        """(index, entry) of each entry holding `marker`: bundles without it are not decoded."""
        for tile in tiles_for_size(self.size):
            if tile.level == 0:
                data = self.fetch(tile.entries_path)
                if marker in data:  # (an entry holding it: its bundle holds it)
                    first = tile.index * TILE_WIDTH
                    for i, raw in enumerate(decode_entry_bundle(data)):
                        if marker in raw:
                            yield first + i, raw

    def stream(self) -> Iterator[bytes]:
        for _, entries in self.bundles():
            yield from entries

    def __getitem__(self, span: slice) -> list[bytes]:
        start, stop = span.start or 0, min(span.stop if span.stop is not None else self.size,
                                           self.size)  # fmt: skip
        out: list[bytes] = []
        while start < stop:
            tile = tile_for(0, start, self.size)
            first = tile.index * TILE_WIDTH
            bundle = decode_entry_bundle(self.fetch(tile.entries_path))
            out += bundle[start - first : stop - first]
            start = first + len(bundle)
        return out


class Evidence(Mapping[int, bytes]):
    """`evidence/I.bin` of the record, read when the replay reaches rejection I."""

    def __init__(self, src: RecordSource) -> None:
        self.src = src

    def __getitem__(self, index: int) -> bytes:
        path = f"evidence/{index}.bin"
        if not self.src.exists(path):
            raise KeyError(path)
        return self.src.read(path)

    def __iter__(self) -> Iterator[int]:
        return iter(())  # only looked up by index

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:  # a record's evidence, however many files: never "no evidence"
        return True
