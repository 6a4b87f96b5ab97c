"""The live server's tiles are right at every size: past 256 entries (two tile levels) and past
65,536 (three), for the head and for every earlier checkpointed size; tiles that do not exist
are 404; /log/checkpoint is the head's.

Facts from https://c2sp.org/tlog-tiles: tile N of level L holds hash i =
MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L]); a partial tile is served as
``<N>.p/<W>`` with W = floor(size / 256**L) mod 256; index 1 is ``001``. The expected bytes are
computed here from the entries with an independent in-memory tree, not read back from the server.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from base64 import b64decode
from pathlib import Path

import pytest

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.ledger import MemoryTree, leaf_hash, verify_checkpoint
from achyk.ledger.tiles import Tile, tile_data, tile_for, verify_tiles
from achyk.services import ledger
from achyk.services.elections import load_election
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.verify.monitor import check_once
from factories import election
from live_server import serving


def grow(db: Database, eid: str, to: int, chunk: int) -> list[bytes]:
    """Append tiny entries straight through the ledger layer (one checkpoint per chunk)."""
    size = ledger.log_size(db, eid)
    while size < to:
        n = min(chunk, to - size)
        with db.session() as s:
            ledger.append_entries(s, eid, [{"kind": "filler", "n": size + i} for i in range(n)])
        size += n
    return [e.encode() for e in ledger.entries(db, eid, 0, size)]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def check_size(base: str, entries: list[bytes], vkey: str) -> None:
    status, note = get(f"{base}/log/checkpoint")
    assert status == 200
    cp = verify_checkpoint(note.decode(), vkey)
    assert cp.size == len(entries)
    tree = MemoryTree([leaf_hash(e) for e in entries])
    assert cp.root == tree.root()

    fetched: dict[str, bytes] = {}

    def fetch(path: str) -> bytes:  # each tile over HTTP once, as a verifier's cache would
        if path not in fetched:
            code, data = get(f"{base}/log/{path}")
            if code != 200:
                raise KeyError(path)
            fetched[path] = data
        return fetched[path]

    verify_tiles(cp.size, fetch, cp.root, entries=True)
    # tile 1 of level 0 is not tile 0: the bug served tile 0's data for every N ≥ 1
    one = tile_for(0, 256, cp.size)
    assert fetch(one.path) == tile_data(one, tree.hash_at)
    assert fetch(one.path) != fetch("tile/0/000")[: len(fetch(one.path))]


@pytest.mark.slow
def test_tiles_past_256_and_65536_entries(db: Database, tmp_path: Path) -> None:
    e = election()
    load_election(db, e)
    eid = e.id
    vkey = ledger.log_vkey(db, eid)
    state = tmp_path / "monitor.json"
    with serving(create_app(db=db)) as server:
        base = f"{server}/api/elections/{eid}"
        entries = grow(db, eid, 300, 100)  # two levels: 1 full + 1 partial level-0 tile
        check_size(base, entries, vkey)
        assert get(f"{base}/log/tile/0/001.p/44")[0] == 200
        with urllib.request.urlopen(f"{base}/log/tile/0/000") as r:  # full: never changes
            assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        for missing in ("tile/0/002", "tile/0/001", "tile/0/001.p/45", "tile/1/000",
                        "tile/1/001.p/1", "tile/2/000.p/1", "tile/entries/001",
                        "tile/entries/001.p/45", "tile/0/x001/000"):  # fmt: skip
            assert get(f"{base}/log/{missing}")[0] == 404, missing

        assert check_once(base, state, vkey).ok  # a monitor keeps the checkpoint of size 300
        grow(db, eid, 700, 400)
        grown = check_once(base, state, vkey)  # honest growth is not a fork (the bug said it was)
        assert grown.ok and "consistent" in grown.message, grown.message
        entries = grow(db, eid, 65_536 + 300, 16_384)  # three levels
        check_size(base, entries, vkey)
        tree = MemoryTree([leaf_hash(x) for x in entries])
        assert get(f"{base}/log/tile/2/000.p/1")[1] == tile_data(Tile(2, 0, 1), tree.hash_at)
        assert get(f"{base}/log/tile/1/000")[1] == tile_data(Tile(1, 0), tree.hash_at)
        # the partial tiles of an earlier checkpointed size (300) are still served, and agree
        old = MemoryTree([leaf_hash(x) for x in entries[:300]])
        for path, t in (("tile/0/001.p/44", Tile(0, 1, 44)), ("tile/1/000.p/1", Tile(1, 0, 1))):
            assert get(f"{base}/log/{path}")[1] == tile_data(t, old.hash_at), path
        status, bundle = get(f"{base}/log/tile/entries/001.p/44")
        assert status == 200 and bundle.endswith(entries[299])
        # the checkpoint served is the head's, and its root is the tree's
        _, note = get(f"{base}/log/checkpoint")
        assert int(note.decode().splitlines()[1]) == len(entries)
        assert b64decode(note.decode().splitlines()[2]) == tree.root()
        assert canonical_json({"kind": "filler", "n": 70_000}) not in entries
        # a checkpoint row ahead of the head (never honest: say, left by a failed restore) is
        # not served: the checkpoint is the head's
        with db.session() as s:
            LogStore(s, eid).add_checkpoint(len(entries) + 9, b"\x07" * 32, "bogus\n")
        _, note = get(f"{base}/log/checkpoint")
        assert verify_checkpoint(note.decode(), vkey).size == len(entries)
