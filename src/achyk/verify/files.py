"""Every published file accounted for: recomputed by `verify`, or listed in manifest.json.

``manifest.json`` (``{"format": 1, "files": {PATH: SHA-256 hex}}``) lists every file of the
record that `verify` does not recompute byte for byte: the site's pages, assets and data. A file
under the record that is neither recomputed nor listed, a listed file missing or with another
hash, fails, named. Because the manifest is written by the same operator as the files, the
site's figures are also recomputed from the log: every CSV and JSON results file must carry
exactly the tabulated figures, and the NIST SP 1500-100 report must be the one the tabulation
gives (apart from its generation time and the software version that wrote it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from achyk.domain.definition import Election
from achyk.domain.tabulation import Level, Tabulation
from achyk.formats.nist import election_report
from achyk.ledger.merkle import HashAt
from achyk.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileError,
    encode_entry_bundle,
    parse_tile_path,
    tiles_for_size,
)
from achyk.verify.source import RecordSource


class Entries(Protocol):
    """The log's entries by slice (a list, or `achyk.verify.entries.LogEntries`)."""

    def __getitem__(self, span: slice, /) -> list[bytes]: ...


CHECKED = {"record.json", "definition.json", "results.json", "manifest.json", "log/checkpoint"}
FIGURES = ("voters_on_list", "issued", "found", "invalid", "valid")


def _recomputed(path: str, rejections: set[int]) -> bool:
    """Files whose every byte a verifier checks elsewhere (tiles: see :func:`check_tile_file`)."""
    if path in CHECKED or re.fullmatch(r"log/checkpoints/(0|[1-9][0-9]*)", path):
        return True
    m = re.fullmatch(r"evidence/(0|[1-9][0-9]*)\.bin", path)
    if m:
        return int(m[1]) in rejections
    return path.startswith("log/tile/")


def check_tile_file(
    path: str, data: bytes, size: int, hash_at: HashAt, entries: Entries
) -> str | None:
    """A tile or bundle file, full or partial (of this or an earlier size), recomputed from the
    verified tree: the same bytes a tlog-tiles log serves at that path, or a problem."""
    try:
        level, index, width = parse_tile_path(path.removeprefix("log/"))
    except TileError:
        return f"{path}: not a tile path"
    start = index * TILE_WIDTH
    if level is None:
        if start + width > size:
            return f"{path}: beyond the log's {size} entries"
        expected = encode_entry_bundle(entries[start : start + width])
    else:
        if start + width > size >> (TILE_HEIGHT * level):
            return f"{path}: no such tile at size {size}"
        expected = b"".join(hash_at(TILE_HEIGHT * level, start + i) for i in range(width))
    return None if data == expected else f"{path}: not the tile the log's tree gives"


@dataclass(frozen=True)
class ManifestScan:
    """What checking the manifest reads, none of it from the log: the manifest's files (or why
    it is unusable), each listed file's hash against it, and every file of the record."""

    files: dict[str, str]
    problems: tuple[str, ...]  # the manifest unusable, or listed files missing or changed
    usable: bool
    listing: tuple[str, ...] | None  # every file of a record directory; None over HTTP


def scan_manifest(src: RecordSource, hashes: bool = True) -> ManifestScan:
    """Read manifest.json and hash every file it lists (the bulk of the reading, at 30,000 files;
    it needs nothing from the log, so it may run while the log is replayed)."""
    try:
        manifest = json.loads(src.text("manifest.json"))
        files = manifest["files"]
        if manifest.get("format") != 1 or not isinstance(files, dict):
            return ManifestScan({}, ('manifest.json is not {"format": 1, "files": {…}}',), False,
                                None)  # fmt: skip
    except KeyError:
        if not src.remote:  # a record directory always carries one (a live server has none)
            return ManifestScan({}, ("manifest.json is missing",), False, None)
        files = {}
    except (ValueError, TypeError) as err:
        return ManifestScan({}, (f"manifest.json is malformed: {err}",), False, None)
    problems = []
    for path, digest in sorted(files.items()) if hashes else ():
        try:
            actual = hashlib.sha256(src.read(str(path))).hexdigest()
        except KeyError:
            problems.append(f"{path}: listed in manifest.json but not published")
            continue
        if actual != digest:
            problems.append(f"{path}: SHA-256 {actual} is not the manifest's {digest}")
    listing = src.files() if hashes else None
    return ManifestScan({str(k): str(v) for k, v in files.items()}, tuple(problems), True,
                        None if listing is None else tuple(listing))  # fmt: skip


def manifest_files(src: RecordSource) -> dict[str, str]:
    """The files manifest.json lists, or none if it is unusable (as `check_manifest` gives)."""
    return scan_manifest(src, hashes=False).files


def check_manifest(
    src: RecordSource, rejections: set[int], size: int, hash_at: HashAt, entries: Entries,
    scan: ManifestScan | None = None,
) -> tuple[list[str], dict[str, str]]:  # fmt: skip
    """Problems, and the manifest's files (path → hash). Called once the tree at `size` has
    been checked against the checkpoint (`achyk.ledger.tiles.verify_tiles`); `scan`: the
    manifest already read (`scan_manifest`), else it is read here."""
    if scan is None:
        scan = scan_manifest(src)
    if not scan.usable:
        return list(scan.problems), {}
    files = scan.files
    problems = list(scan.problems)
    # The tiles and bundles of the tree at this size were each read and checked against the
    # checkpoint (`verify_tiles`); any other file at a tile path (an earlier checkpoint's partial
    # tile, or one that should not be there) is recomputed from the verified tree.
    verified = {"log/" + p for t in tiles_for_size(size)
                for p in ((t.path, t.entries_path) if t.level == 0 else (t.path,))}  # fmt: skip
    for path in scan.listing or []:
        if path in verified and path not in files:
            continue
        if path.startswith("log/tile/") and path not in files:
            bad = check_tile_file(path, src.read(path), size, hash_at, entries)
            if bad:
                problems.append(bad)
        elif path not in files and not _recomputed(path, rejections):
            problems.append(f"{path}: neither recomputed by verify nor listed in manifest.json")
    return problems, dict(files)


def _expected(election: Election, tab: Tabulation, level: Level) -> dict[tuple[str, str], Any]:
    """(unit, contest) → the figures of that row, as the tabulation gives them."""
    out = {}
    for contest in election.contests:
        for r in tab.at_level(level, contest.id):
            c = r.counted
            out[(r.unit.id, contest.id)] = (
                {k: getattr(c, k) for k in FIGURES}
                | {"stations_reported": c.stations, "stations_annulled": r.annulled},
                # "—" (null, an empty cell) where no station of the unit has that count
                {
                    o: (
                        n,
                        r.scanner.votes_for(o) if r.scanner.stations else None,
                        r.hand.votes_for(o) if r.hand.stations else None,
                    )
                    for o, n in c.votes
                },
            )
    return out


def _rows_json(data: bytes) -> dict[tuple[str, str], Any]:
    found = {}
    for row in json.loads(data):
        figures = {k: row[k] for k in (*FIGURES, "stations_reported", "stations_annulled")}
        options = {o["option"]: (o["votes"], o["scanner"], o["hand"]) for o in row["options"]}
        found[(str(row["unit"]), str(row["contest"]))] = (figures, options)
    return found


def _cell(text: str) -> int | None:
    return None if text == "" else int(text)


def _rows_csv(data: bytes) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        key = (row["unit"], row["contest"])
        figures = {k: int(row[k]) for k in (*FIGURES, "stations_reported", "stations_annulled")}
        options = found.setdefault(key, (figures, {}))[1]
        options[row["option"]] = (int(row["votes"]), _cell(row["scanner"]), _cell(row["hand"]))
    return found


def check_site_figures(
    src: RecordSource, files: dict[str, str], election: Election, tab: Tabulation
) -> list[str]:
    """Every results file of the site (listed in the manifest) against the tabulation."""
    problems: list[str] = []
    data_dir = f"site/e/{election.id}/data/"
    expected: dict[Level, dict[tuple[str, str], Any]] = {}  # a level's when a file needs it
    by_unit: dict[Level, dict[str, dict[tuple[str, str], Any]]] = {}  # … and split by unit
    for path in sorted(files):
        if not path.startswith(data_dir):
            continue
        name = path.removeprefix(data_dir)
        m = re.fullmatch(r"([a-z]+)(?:/([^/]+))?\.(csv|json)", name)
        try:
            if name == "nist.json":
                problems += _nist(src.read(path), election, tab, path)
                continue
            if m is None or m[1] not in {lv.value for lv in Level}:
                continue
            level = Level(m[1])
            if level not in expected:  # (the station level of 100,000 stations only if published)
                expected[level] = _expected(election, tab, level)
            want = expected[level]
            if m[2] is not None:  # one unit's file (of thousands): its rows, not a level's scan
                if level not in by_unit:
                    split: dict[str, dict[tuple[str, str], Any]] = {}
                    for k, v in want.items():
                        split.setdefault(k[0], {})[k] = v
                    by_unit[level] = split
                want = by_unit[level].get(m[2], {})
            data = src.read(path)
            got = _rows_csv(data) if m[3] == "csv" else _rows_json(data)
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as err:
            problems.append(f"{path}: unreadable: {err!r}")
            continue
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                problems.append(f"{path}: unit {key[0]} contest {key[1]}: published "
                                f"{got.get(key)}, the log gives {want.get(key)}")  # fmt: skip
    return problems


def _nist(data: bytes, election: Election, tab: Tabulation, path: str) -> list[str]:
    published = json.loads(data)
    generated = datetime.fromisoformat(str(published["GeneratedDate"]))
    computed = election_report(election, tab, generated)
    for doc in (published, computed):
        doc.pop("VendorApplicationId", None)  # names the software version that wrote it
    if published != computed:
        return [f"{path}: the NIST SP 1500-100 report is not the one the log's tabulation gives"]
    return []
