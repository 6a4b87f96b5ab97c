"""Writing the public election record: everything `achyk verify` needs, as static files.

Layout (specified in docs/record-format.md):
  record.json                    what this is, the log origin, the log's verifier key
  definition.json                the election definition (RFC 8785), entry 0 of the log
  log/checkpoint                 the latest signed checkpoint (with witness cosignatures)
  log/checkpoints/<size>         every checkpoint the log key signed
  log/tile/…, log/tile/entries/… C2SP tlog-tiles of the tree at the checkpoint's size, and the
                                 partial hash tiles of earlier checkpointed sizes still partial
  results.json                   the published figures above the stations (achyk.domain.published)
  results/stations/<region>.json each region's station results
  evidence/<index>.bin           the raw bytes of each rejected submission, by log index
  observers/photos/<sha256>.<ext> each photo a mission published, metadata stripped, named by the
                                 published hash its observation-content entry gives
  complaints/evidence/<sha256>   decided complaints' evidence, redacted (achyk.disputes.redaction)
  manifest.json                  SHA-256 of every other file (the site), written last
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from achyk.canonical import canonical_json
from achyk.domain.published import (
    results_document,
    station_results_document,
    station_results_path,
)
from achyk.files import write_inside
from achyk.formats.definition import election_to_document
from achyk.jsontext import dumps_indented
from achyk.ledger import MemoryTree
from achyk.ledger.tiles import (
    TILE_WIDTH,
    build_tiles,
    earlier_partial_tiles,
    encode_entry_bundle,
    entries_path,
    tile_data,
)
from achyk.services import ledger
from achyk.services.anomalies import anomalies
from achyk.services.disputes.evidence import write_released
from achyk.services.elections import get_election
from achyk.services.observers.inbox import published_photos
from achyk.services.results import results
from achyk.services.witnessing import election_witnesses, head_checkpoint
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Rejections

RECORD_FORMAT = 1


def _json(value: Any) -> bytes:
    return dumps_indented(value, sort_keys=True).encode() + b"\n"  # json.dumps's text, faster


def publish_record(
    db: Database, election_id: str | None, out: Path, *, manifest: bool = True
) -> dict[str, Any]:
    """Write the record of one election into `out`; returns record.json's content. Without
    `manifest` the caller writes manifest.json once everything else is in `out`."""
    election, tab = results(db, election_id)
    eid = election.id
    with db.read() as s:
        store = LogStore(s, eid)
        cp = store.latest_checkpoint()
        assert cp is not None, "an election with a definition always has a checkpoint"
        size = cp.size
        leaves = store.nodes(0, 0, size)
        history = [(c.size, c.note) for c in store.checkpoints()]
    assert len(leaves) == size
    tree = MemoryTree(leaves)
    tiles = build_tiles(leaves)
    # tlog-tiles: the partial tiles of earlier checkpointed sizes whose full tile is not there yet
    for t in earlier_partial_tiles(size, [n for n, _ in history]):
        tiles[t.path] = tile_data(t, tree.hash_at)
    for path, data in tiles.items():
        write_inside(out, out / "log" / path, data)
    _write_bundles(db, eid, size, out)
    if tree.root(size).hex() != cp.root:
        raise RuntimeError("stored nodes disagree with the signed checkpoint")
    head = head_checkpoint(db, eid)
    assert head is not None and head[0] == size
    write_inside(out, out / "log" / "checkpoint", head[1].encode())
    for n, note in history:
        write_inside(out, out / "log" / "checkpoints" / str(n), note.encode())
    write_inside(out, out / "definition.json", canonical_json(election_to_document(election)))
    write_inside(out, out / "results.json", _json(results_document(election, tab)))
    if election.form is not None:  # protocols its form flags: counted, and listed (verifiable)
        write_inside(out, out / "anomalies.json", _json(anomalies(db, eid)))
    for region in election.regions:
        doc = station_results_document(election, tab, region)
        write_inside(out, out / station_results_path(region.id), _json(doc))
        tab.release_stations()  # a region's stations at a time in memory
    with db.read() as s:  # a rejection's evidence at a time, not every one at once
        for index, raw in Rejections(s).evidence(eid, size):
            write_inside(out, out / "evidence" / f"{index}.bin", raw)
    for name, data in published_photos(db, eid):  # observers' photos, metadata stripped
        write_inside(out, out / "observers" / "photos" / name, data)
    write_released(db, eid, out)  # complaints' evidence, redacted, once decided
    record = record_document(db, eid)
    record["size"], record["checkpoints"] = size, [n for n, _ in history]  # as written above
    write_inside(out, out / "record.json", _json(record))
    if manifest:
        write_manifest(out)
    return record


BUNDLES_PER_READ = 16  # 4,096 entries: a few MB of entries in memory at once


def _write_bundles(db: Database, election_id: str, size: int, out: Path) -> None:
    """The entry bundles, read from the log a few bundles at a time (streamed, not all held)."""
    step = TILE_WIDTH * BUNDLES_PER_READ
    for start in range(0, size, step):
        with db.read() as s:
            texts = LogStore(s, election_id).entries(start, min(size, start + step))
        for at in range(0, len(texts), TILE_WIDTH):
            chunk = [t.encode() for t in texts[at : at + TILE_WIDTH]]
            path = entries_path((start + at) // TILE_WIDTH, len(chunk))
            write_inside(out, out / "log" / path, encode_entry_bundle(chunk))


def record_document(db: Database, election_id: str) -> dict[str, Any]:
    """record.json: what the record is, its log's origin and key, its witnesses and quorum."""
    election = get_election(db, election_id)
    witnesses, quorum = election_witnesses(db, election_id)
    return {
        "format": RECORD_FORMAT,
        "election": election.id,
        "name": election.name,
        "origin": ledger.log_origin(db, election.id),
        "log_key": ledger.log_vkey(db, election.id),
        "size": ledger.log_size(db, election.id),
        "checkpoints": [n for n, _ in ledger.checkpoint_history(db, election.id)],
        "witnesses": [{"name": w.name, "key": w.key} for w in witnesses],
        "quorum": quorum,
    }


def publish(
    db: Database, election_id: str | None, out: Path, *, manifest: bool = True
) -> dict[str, Any]:
    election = get_election(db, election_id)
    return publish_record(db, election.id, out, manifest=manifest)


class RecordBeside:
    """The record written by a forked process while this one writes the site (`achyk publish`):
    the record (log tiles, results by region) and the site's own preparation each take a core.
    `result()` waits for it and gives record.json's content, or raises what the record raised.
    Where fork is not available the record is written at once, in this process."""

    def __init__(self, db: Database, election_id: str, out: Path) -> None:
        self._record: dict[str, Any] | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._record = publish(db, election_id, out, manifest=False)
            return
        context = multiprocessing.get_context("fork")
        self._queue: Any = context.SimpleQueue()
        self._process = context.Process(
            target=_record_writer, args=(db, election_id, out, self._queue)
        )
        self._process.start()

    def result(self) -> dict[str, Any]:
        if self._record is not None:
            return self._record
        outcome = None
        while outcome is None:
            if not self._queue.empty():
                outcome = self._queue.get()
            elif not self._process.is_alive():
                outcome = self._queue.get() if not self._queue.empty() else ("died", None)
            else:
                time.sleep(0.05)
        self._process.join()
        if outcome[0] == "died":  # killed, or its answer could not be sent
            raise RuntimeError(f"the record writer failed (exit code {self._process.exitcode})")
        kind, value = outcome
        if kind == "error":
            raise value
        record: dict[str, Any] = value
        self._record = record
        return record


def _record_writer(db: Database, election_id: str, out: Path, queue: Any) -> None:
    db.engine.dispose(close=False)  # the parent's connections stay the parent's
    try:
        queue.put(("record", publish(db, election_id, out, manifest=False)))
    except Exception as e:  # the same error (and exit code) as a record written in-process
        try:
            pickle.loads(pickle.dumps(e))  # it must also be rebuilt on the other side
            queue.put(("error", e))
        except Exception:  # not: its words, at least
            queue.put(("error", RuntimeError(f"{type(e).__name__}: {e}")))


RECOMPUTED = ("record.json", "definition.json", "results.json", "manifest.json")
RECOMPUTED_DIRS = ("log", "evidence")


def write_manifest(out: Path) -> int:
    """manifest.json: the SHA-256 of every file `verify` does not recompute byte for byte (the
    site's pages, assets and data, whose figures `verify` recomputes). Written last."""
    listed = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel in RECOMPUTED or rel.split("/")[0] in RECOMPUTED_DIRS:
            continue
        listed.append((rel, path))
    # Two threads: hashlib and file reads let go of the GIL, and this is the last step, when
    # every other writer is done (tens of thousands of files, about a GB at 100,000 stations).
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = pool.map(_sha256_of, [path for _, path in listed])
        files = {rel: digest for (rel, _), digest in zip(listed, digests, strict=True)}
    write_inside(out, out / "manifest.json", _json({"format": 1, "files": files}))
    return len(files)


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
