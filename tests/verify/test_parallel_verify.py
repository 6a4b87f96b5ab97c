"""Protocol entries judged in parallel (achyk.verify.parallel) give the verdicts of the serial replay.

The CEC rewrites its own log and re-signs the tree: one protocol's votes changed (its device
signature no longer verifies), one protocol logged twice (a second protocol for a filled slot), one
entry written with spaces (not canonical), one signed by a backup device never switched in. The
report — every check, its verdict and its text — is the same with the replay alone, with two
forked processes, and on a Dask LocalCluster of two workers.
"""

from __future__ import annotations

import hashlib
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
from achyk.verify import cluster, parallel
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
    monkeypatch.setattr(parallel, "CHUNK_ENTRIES", 16)  # many tasks, on both workers
    assert verify_record(str(tampered), scheduler="local:2").checks == serial.checks


def _entries(record: Path) -> list[bytes]:
    entries: list[bytes] = []
    for bundle in sorted((record / "log" / "tile" / "entries").rglob("*")):
        if bundle.is_file():
            entries.extend(decode_entry_bundle(bundle.read_bytes()))
    return entries


def test_a_worker_builds_the_election_from_the_definitions_bytes(tampered: Path) -> None:
    """What a Dask task does: the election built on the worker, once, from the definition's
    bytes, judges every chunk as the verifying process's own election does."""
    raw = (tampered / "definition.json").read_bytes()
    election = election_from_document(json.loads(raw), "definition.json")
    digest = hashlib.sha256(raw).hexdigest()
    entries = _entries(tampered)
    judged = 0
    try:
        for first in range(0, len(entries), 16):
            chunk = entries[first : first + 16]
            task = parallel._Task(first, chunk)
            whole = parallel.judge_chunk(election, first, chunk)
            assert parallel._judge_task(raw, digest, task).judged == whole
            judged += len(whole)
        assert judged > 100
        built = cluster.on_worker(raw, digest)
        assert cluster.on_worker(raw, digest) is built  # built once, then kept
        assert built == election
    finally:
        cluster._built = None


def test_a_tasks_outcomes_share_their_strings_once_sent(tampered: Path) -> None:
    """A worker's outcomes cross to the verifying process as one pickle (Dask sends a bare dict
    item by item): the strings the protocols share stay shared, not copied 200,000 times."""
    from distributed.protocol.serialize import Serialize, deserialize, serialize

    raw = (tampered / "definition.json").read_bytes()
    entries = _entries(tampered)
    out = parallel._judge_task(raw, hashlib.sha256(raw).hexdigest(), parallel._Task(0, entries))
    cluster._built = None
    sent = deserialize(*serialize(Serialize(out)))  # as a worker sends a task's result
    contests = {id(j.protocol.contest_id) for j in sent.judged.values() if j.protocol}
    assert sent == out
    assert len(contests) <= len({j.protocol.contest_id for j in out.judged.values() if j.protocol})
    bare = deserialize(*serialize(Serialize(out.judged)))  # what a bare dict would give
    assert len({id(j.protocol.contest_id) for j in bare.values() if j.protocol}) > len(contests)
