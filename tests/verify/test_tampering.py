"""`achyk verify` passes on an honest record and names what broke in a tampered one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from achyk.ledger import Checkpoint, MemoryTree, leaf_hash, sign_checkpoint
from achyk.ledger.note import parse_signer_key
from achyk.ledger.tiles import build_tiles, decode_entry_bundle, entry_bundles
from achyk.services.log_key import log_key_path
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.ledger_repo import stored_key
from achyk.verify.record import Report, verify_record


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("record")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    publish(db, sim.election.id, base / "record")
    # The log key is a file beside the database, never in it (issue 18).
    secret = log_key_path(sim.election.id, str(base / "db.sqlite")).read_text().strip()
    with db.read() as s:
        row = stored_key(s, f"log/{sim.election.id}")
        assert row is not None and row.secret == ""  # the database holds only the public key
    return base / "record", secret


def copy(honest: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "record"
    shutil.copytree(honest[0], target)
    return target


def failed(report: Report) -> dict[str, str]:
    return {name: detail for name, ok, detail in report.checks if not ok}


def test_the_honest_record_verifies(honest: tuple[Path, str]) -> None:
    report = verify_record(str(honest[0]))
    assert report.ok, failed(report)


def entries_of(record: Path) -> list[bytes]:
    bundles = sorted((record / "log" / "tile" / "entries").rglob("*"))
    out: list[bytes] = []
    for b in bundles:
        if b.is_file():
            out.extend(decode_entry_bundle(b.read_bytes()))
    return out


def test_a_changed_byte_in_an_entry_is_caught(honest: tuple[Path, str], tmp_path: Path) -> None:
    record = copy(honest, tmp_path)
    bundle = next(p for p in (record / "log" / "tile" / "entries").rglob("*") if p.is_file())
    data = bytearray(bundle.read_bytes())
    at = data.index(b'"valid":') + 9
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    bundle.write_bytes(bytes(data))
    problems = failed(verify_record(str(record)))
    assert "does not hash to" in problems["Merkle tree (tiles and entries) against the checkpoint"]


def test_a_changed_published_figure_is_named(honest: tuple[Path, str], tmp_path: Path) -> None:
    record = copy(honest, tmp_path)
    results = json.loads((record / "results.json").read_text())
    results["contests"]["list"]["national/national"]["counted"]["votes"]["p02"] += 1000
    results["seats"]["list"]["seats"]["p01"] += 1
    (record / "results.json").write_text(json.dumps(results))
    detail = failed(verify_record(str(record)))[
        "published results and seats recomputed from the log"
    ]
    assert "contests.list.national/national.counted.votes.p02: published" in detail
    assert "seats.list.seats.p01: published" in detail


def test_a_forged_checkpoint_signature_is_caught(honest: tuple[Path, str], tmp_path: Path) -> None:
    record = copy(honest, tmp_path)
    note = (record / "log" / "checkpoint").read_text()
    head, sig = note.rsplit(" ", 1)
    flipped = ("A" if sig[5] != "A" else "B").join([sig[:5], sig[6:]])
    (record / "log" / "checkpoint").write_text(f"{head} {flipped}")
    assert "checkpoint signature" in failed(verify_record(str(record)))


def test_a_rewrite_resigned_with_the_log_key_is_still_caught(
    honest: tuple[Path, str], tmp_path: Path
) -> None:
    """The CEC itself rewrites a protocol and re-signs the tree: device signatures and the
    earlier checkpoints it published both expose it."""
    record, secret = copy(honest, tmp_path), honest[1]
    entries = entries_of(record)
    i = next(i for i, e in enumerate(entries) if b'"kind":"protocol"' in e)
    entry = json.loads(entries[i])
    votes = entry["protocol"]["votes"]
    first, second = list(votes)[:2]
    votes[first], votes[second] = votes[first] + 5, votes[second] - 5
    from achyk.canonical import canonical_json

    entries[i] = canonical_json(entry)
    shutil.rmtree(record / "log" / "tile")
    leaves = [leaf_hash(e) for e in entries]
    files = build_tiles(leaves) | entry_bundles(entries)
    for path, data in files.items():
        (record / "log" / path).parent.mkdir(parents=True, exist_ok=True)
        (record / "log" / path).write_bytes(data)
    name, key = parse_signer_key(secret)
    cp = Checkpoint(name, len(entries), MemoryTree(leaves).root())
    (record / "log" / "checkpoint").write_text(sign_checkpoint(cp, name, key))
    problems = failed(verify_record(str(record)))
    assert (
        "signature does not verify"
        in problems["every entry: canonical form, signatures, control relations, corrections"]
    )
    assert "is not a prefix of this log" in problems["earlier checkpoints consistent with this one"]


def test_changed_definition_and_evidence_are_caught(
    honest: tuple[Path, str], tmp_path: Path
) -> None:
    record = copy(honest, tmp_path)
    definition = json.loads((record / "definition.json").read_text())
    definition["regions"][0]["districts"][0]["stations"][0]["registered_voters"] += 1
    (record / "definition.json").write_text(json.dumps(definition))
    evidence = next((record / "evidence").glob("*.bin"))
    evidence.write_bytes(evidence.read_bytes() + b" ")
    detail = failed(verify_record(str(record)))[
        "every entry: canonical form, signatures, control relations, corrections"
    ]
    assert "definition.json hashes to" in detail


def test_changed_rejection_evidence_is_caught(honest: tuple[Path, str], tmp_path: Path) -> None:
    record = copy(honest, tmp_path)
    evidence = next((record / "evidence").glob("*.bin"))
    evidence.write_bytes(evidence.read_bytes() + b" ")
    detail = failed(verify_record(str(record)))[
        "every entry: canonical form, signatures, control relations, corrections"
    ]
    assert "published evidence does not match" in detail


def test_a_changed_station_figure_in_a_region_file_is_named(
    honest: tuple[Path, str], tmp_path: Path
) -> None:
    record = copy(honest, tmp_path)
    path = next((record / "results" / "stations").glob("*.json"))
    doc = json.loads(path.read_text())
    contest = next(iter(doc["contests"].values()))
    station = next(iter(contest))
    contest[station]["counted"]["issued"] += 7
    path.write_text(json.dumps(doc))
    detail = failed(verify_record(str(record)))[
        "published results and seats recomputed from the log"
    ]
    assert f"results/stations/{path.stem}.json: contests." in detail
    assert f"{station}.counted.issued: published" in detail
