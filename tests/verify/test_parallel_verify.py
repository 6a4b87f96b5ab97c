"""Protocol entries judged in parallel (achyk.verify.parallel) give the verdicts of the serial replay.

The CEC rewrites its own log and re-signs the tree: one protocol's votes changed (its device
signature no longer verifies), one protocol logged twice (a second protocol for a filled slot), one
entry written with spaces (not canonical), one signed by a backup device never switched in. The
report — every check, its verdict and its text — is the same with the replay alone, with two
forked processes, and on a Dask LocalCluster of two workers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from achyk.canonical import canonical_json
from achyk.formats.definition import election_from_document
from achyk.ledger import Checkpoint, MemoryTree, leaf_hash, sign_checkpoint
from achyk.ledger.note import parse_signer_key
from achyk.ledger.tiles import build_tiles, decode_entry_bundle, entry_bundles
from achyk.services.log_key import log_key_path
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify import parallel
from achyk.verify.record import verify_record

ENTRIES = "every entry: canonical form, signatures, control relations, corrections"


@pytest.fixture(scope="module")
def tampered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("parallel")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    record = base / "record"
    publish(db, sim.election.id, record)
    secret = log_key_path(sim.election.id, str(base / "db.sqlite")).read_text().strip()
    entries: list[bytes] = []
    for bundle in sorted((record / "log" / "tile" / "entries").rglob("*")):
        if bundle.is_file():
            entries.extend(decode_entry_bundle(bundle.read_bytes()))
    switched = {json.loads(e)["station"] for e in entries if b'"kind":"device-switch"' in e}
    protocols = [
        i for i, e in enumerate(entries) if b'"kind":"protocol"' in e
        and json.loads(e)["protocol"]["station"] not in switched
        and json.loads(e)["device"].endswith("-a")
    ]  # fmt: skip
    changed = json.loads(entries[protocols[0]])
    votes = changed["protocol"]["votes"]
    first, second = list(votes)[:2]
    votes[first], votes[second] = votes[first] + 5, votes[second] - 5
    entries[protocols[0]] = canonical_json(changed)
    spaced = json.loads(entries[protocols[1]])
    entries[protocols[1]] = json.dumps(spaced).encode()  # the same entry, not canonical
    backup = json.loads(entries[protocols[2]])
    backup["device"] = backup["device"][:-2] + "-b"  # the station's backup, never switched in
    entries[protocols[2]] = canonical_json(backup)
    entries.append(entries[protocols[3]])  # the same protocol again
    shutil.rmtree(record / "log" / "tile")
    leaves = [leaf_hash(e) for e in entries]
    for path, data in (build_tiles(leaves) | entry_bundles(entries)).items():
        (record / "log" / path).parent.mkdir(parents=True, exist_ok=True)
        (record / "log" / path).write_bytes(data)
    name, key = parse_signer_key(secret)
    cp = Checkpoint(name, len(entries), MemoryTree(leaves).root())
    (record / "log" / "checkpoint").write_text(sign_checkpoint(cp, name, key))
    return record


def test_two_processes_give_the_serial_verdicts(
    tampered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "CHUNK_ENTRIES", 16)  # many chunks even for a small log
    serial = verify_record(str(tampered))
    problems = {n: d for n, ok, d in serial.checks if not ok}[ENTRIES]
    assert "signature does not verify" in problems
    assert "not in RFC 8785 canonical form" in problems
    assert "but no switch to it is recorded" in problems
    assert "second protocol for station" in problems
    assert verify_record(str(tampered), workers=2).checks == serial.checks


@pytest.mark.slow
def test_a_dask_cluster_gives_the_serial_verdicts(
    tampered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = verify_record(str(tampered))
    monkeypatch.setattr(parallel, "CHUNK_ENTRIES", 16)  # many tasks, each its own stations
    assert verify_record(str(tampered), scheduler="local:2").checks == serial.checks


def test_a_chunk_judged_with_only_its_stations_is_judged_as_with_all(tampered: Path) -> None:
    """What a Dask task is sent: the election cut down to the stations its entries name."""
    definition = json.loads((tampered / "definition.json").read_text())
    election = election_from_document(definition, "definition.json")
    entries: list[bytes] = []
    for bundle in sorted((tampered / "log" / "tile" / "entries").rglob("*")):
        if bundle.is_file():
            entries.extend(decode_entry_bundle(bundle.read_bytes()))
    judged = 0
    for first in range(0, len(entries), 16):
        chunk = entries[first : first + 16]
        part = parallel._stations_of(election, chunk)
        assert part.station_count() < election.station_count()
        whole = parallel.judge_chunk(election, first, chunk)
        assert parallel.judge_chunk(part, first, chunk) == whole
        judged += len(whole)
    assert judged > 100
