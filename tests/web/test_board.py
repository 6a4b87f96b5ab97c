"""The ballot board the static site publishes for tracking-code lookups: complete, public-only, and
equal to what the live site and API say for every code; proofs verify against the signed checkpoint."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.ledger.checkpoint import parse_checkpoint
from achyk.ledger.merkle import leaf_hash, verify_inclusion
from achyk.services import ledger
from achyk.services.remote.voting import find_tracking_code
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.evoting_repo import RemoteRepo
from achyk.web.board import Board, BoardBallot, read_board
from achyk.web.static_site import write_site
from web.remote_election import with_remote_ballots

EID = SMALL.election_id
PUBLIC = {"tracking_code", "short_code", "status", "standing", "seq", "log_index"}


def test_the_board_is_every_ballot_with_a_proof_against_the_checkpoint(db: Database) -> None:
    with_remote_ballots(db)
    board = read_board(db, EID)
    with db.read() as s:
        cast, challenged = RemoteRepo(s, EID).ballot_counts()
    assert len(board.ballots) == cast + challenged and challenged > 0
    assert [b.seq for b in board.ballots] == list(range(len(board.ballots)))
    checkpoint = parse_checkpoint(ledger.latest_checkpoint(db, EID) or "")
    assert (board.tree_size, board.root) == (checkpoint.size, checkpoint.root.hex())
    for b in board.ballots:
        found = find_tracking_code(db, EID, b.short_code)
        assert found is not None
        assert (found.tracking_code, found.short_code, found.status, found.seq, found.log_index,
                found.entry) == (b.tracking_code, b.short_code, b.status, b.seq, b.log_index,
                                 b.entry)  # fmt: skip
        verify_inclusion(leaf_hash(b.entry.encode()), b.log_index, board.tree_size,
                         [bytes.fromhex(h) for h in b.inclusion_proof], checkpoint.root)  # fmt: skip


def _ballot(n: int) -> BoardBallot:
    return BoardBallot(f"{n:064x}"[::-1], "", "cast", "counted", n, n, "{}", ())


@pytest.mark.parametrize(("ballots", "chars"), [(0, 1), (256, 1), (257, 2), (4096, 2), (4097, 3)])
def test_lookup_files_grow_with_the_board(ballots: int, chars: int) -> None:
    board = Board(EID, 1, "00", tuple(_ballot(n) for n in range(ballots)))
    assert board.prefix_chars == chars
    files = board.lookup_files()
    assert sum(len(v) for v in files.values()) == ballots
    assert all(len(p) == chars and all(b.tracking_code.startswith(p) for b in v)
               for p, v in files.items())  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Path]]:
    base = tmp_path_factory.mktemp("board")
    db = Database.open(f"sqlite:///{base / 'achyk.db'}")
    with_remote_ballots(db)
    write_site(db, EID, base / "site", base="/results/")
    yield db, base / "site"
    db.close()


def test_export_writes_the_public_board_and_nothing_more(exported: tuple[Database, Path]) -> None:
    db, site = exported
    data = site / "e" / EID / "data"
    text = (data / "tracking.json").read_text("utf-8")
    doc = json.loads(text)
    board = read_board(db, EID)
    assert {k: doc[k] for k in ("election", "tree_size", "root", "prefix_chars")} == {
        "election": EID, "tree_size": board.tree_size, "root": board.root,
        "prefix_chars": board.prefix_chars,
    }  # fmt: skip
    assert (
        len(doc["ballots"])
        == len(board.ballots)
        == len({b["tracking_code"] for b in doc["ballots"]})
    )
    for b in doc["ballots"]:
        assert set(b) == PUBLIC
        found = find_tracking_code(db, EID, b["tracking_code"])
        assert found is not None
        assert b == {"tracking_code": found.tracking_code, "short_code": found.short_code,
                     "status": found.status, "standing": found.standing, "seq": found.seq,
                     "log_index": found.log_index}  # fmt: skip
    assert {b["status"] for b in doc["ballots"]} == {"cast", "challenged"}
    # The list names no credential: a voter's credential appears only inside the log entries
    # (as in the public record), never in the lookup table.
    with db.read() as s:
        credentials = [json.loads(e).get("credential") for e in RemoteRepo(s, EID).ballot_entries()]
    credentials = [c for c in credentials if c]
    assert credentials and not any(c in text for c in credentials)


def test_lookup_files_equal_the_live_api(exported: tuple[Database, Path]) -> None:
    db, site = exported
    api = TestClient(create_app(db=db))
    doc = json.loads((site / "e" / EID / "data" / "tracking.json").read_text("utf-8"))
    chars = doc["prefix_chars"]
    files = sorted((site / "e" / EID / "data" / "track").glob("*.json"))
    assert {f.stem for f in files} == {b["tracking_code"][:chars] for b in doc["ballots"]}
    seen = 0
    for f in files:
        part = json.loads(f.read_text("utf-8"))
        assert (part["tree_size"], part["root"]) == (doc["tree_size"], doc["root"])
        for b in part["ballots"]:
            assert b["tracking_code"].startswith(f.stem)
            live = api.get(f"/api/elections/{EID}/remote/track/{b['short_code']}").json()
            assert live["tree_size"] == part["tree_size"]  # nothing was logged since the export
            assert {**{k: b[k] for k in PUBLIC - {"log_index"}}, "log_entry": b["log_index"],
                    "entry": json.loads(b["entry"]), "inclusion_proof": b["inclusion_proof"]} == {
                k: live[k] for k in (*(PUBLIC - {"log_index"}), "log_entry", "entry",
                                     "inclusion_proof")}  # fmt: skip
            seen += 1
    assert seen == len(doc["ballots"])
    root = base64.b64decode((ledger.latest_checkpoint(db, EID) or "").split("\n")[2])
    assert root.hex() == doc["root"]


def test_track_page_in_every_language_points_at_the_board(exported: tuple[Database, Path]) -> None:
    _, site = exported
    for lang in ("ru", "ky", "kk", "en"):
        html = (site / lang / "e" / EID / "track" / "index.html").read_text("utf-8")
        assert f'<html lang="{lang}">' in html
        assert f'data-board="/results/e/{EID}/data/track/"' in html
        assert 'src="/results/static/track.js"' in html
        assert f'href="/results/{lang}/e/{EID}/track/" aria-current="page"' in html
        overview = (site / lang / "e" / EID / "index.html").read_text("utf-8")
        assert f'href="/results/{lang}/e/{EID}/track/"' in overview  # in the navigation
    assert (site / "static" / "track.js").exists()
    ru = (site / "ru" / "e" / EID / "track" / "index.html").read_text("utf-8")
    assert "Код отслеживания" in ru and "Tracking code" not in ru


def test_an_election_without_remote_voting_publishes_an_empty_board(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'achyk.db'}")
    try:
        run_simulation(db, generate(SMALL))
        write_site(db, EID, tmp_path / "site")
    finally:
        db.close()
    data = tmp_path / "site" / "e" / EID / "data"
    assert json.loads((data / "tracking.json").read_text("utf-8"))["ballots"] == []
    assert not (data / "track").exists()
    assert (tmp_path / "site" / "en" / "e" / EID / "track" / "index.html").exists()
