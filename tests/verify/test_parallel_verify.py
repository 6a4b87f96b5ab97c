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
from achyk.domain.protocol import Protocol
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
from achyk.verify import by_region, cluster, parallel
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


def test_a_worker_judges_a_regions_entries_as_the_verifying_process_does(tampered: Path) -> None:
    """What a Dask task does: the election built on the worker, once, from the definition's
    bytes; each region's entries judged as the verifying process's own election judges them,
    and only the outcomes of the region's own stations kept (an entry sent to the wrong region
    is the replay's to judge)."""
    raw = (tampered / "definition.json").read_bytes()
    election = election_from_document(json.loads(raw), "definition.json")
    digest = hashlib.sha256(raw).hexdigest()
    entries = list(enumerate(_entries(tampered)))
    whole = parallel.judge_chunk(election, 0, [e for _, e in entries])
    kept: dict[int, parallel.Judged] = {}
    try:
        for region in election.regions:  # every entry sent to every region
            held = by_region._judge_region(raw, digest, by_region._Judging(region.id, entries))
            mine = {i: j for i, j in held.judged.items() if j.protocol is not None}
            for judged in mine.values():  # (an entry that gives none: a verdict on it alone)
                assert isinstance(judged.protocol, Protocol)
                place = election.place(judged.protocol.station_id)
                assert place is not None and place.region_id == region.id
            assert not set(mine) & set(kept)
            kept.update(held.judged)
        assert kept == whole and len(whole) > 100
        built = cluster.on_worker(raw, digest)
        assert cluster.on_worker(raw, digest) is built  # built once, then kept
        assert built == election
    finally:
        cluster._built = None


def test_protocols_fetched_from_a_worker_share_their_strings(tampered: Path) -> None:
    """Protocols fetched from a worker cross to the verifying process as one pickle (Dask sends
    a bare dict item by item): the strings they share stay shared, not copied each time."""
    from distributed.protocol.serialize import Serialize, deserialize, serialize

    raw = (tampered / "definition.json").read_bytes()
    election = election_from_document(json.loads(raw), "definition.json")
    entries = list(enumerate(_entries(tampered)))
    held = by_region.judge_region(election, election.regions[0].id, entries)
    out = by_region._pick(held, [i for i, j in held.judged.items() if j.protocol is not None])
    sent = deserialize(*serialize(Serialize(out)))  # as a worker sends a task's result
    contests = {id(p.contest_id) for p, _, _ in sent.protocols.values()}
    assert sent == out and len(out.protocols) > 10
    assert len(contests) <= len({p.contest_id for p, _, _ in out.protocols.values()})
    bare = deserialize(*serialize(Serialize(out.protocols)))  # what a bare dict would give
    assert len({id(p.contest_id) for p, _, _ in bare.values()}) > len(contests)


@pytest.mark.slow
def test_on_a_dask_cluster_an_audit_counts_the_protocols_the_workers_keep(
    tmp_path: Path,
) -> None:
    """An audit's seed counts the protocols at its place in the log: on a cluster they are on
    the workers that judged them (achyk.verify.by_region), fetched when the replay reaches the
    seed; the report is the one process's, check for check."""
    from polling_records import CHECK, audited

    _, _, record = audited(tmp_path)
    serial = verify_record(str(record))
    assert {n: ok for n, ok, _ in serial.checks}[CHECK]
    assert verify_record(str(record), scheduler="local:2").checks == serial.checks
