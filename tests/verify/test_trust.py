"""Trust pinned outside the record, and witnesses that count (issue 11, "Why" 2, 3 and 4).

Each attack the issue lists is forged here as the operator would forge it — with the log's own
signing key or a brand-new one — and must fail verification, named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.api.witness import create_witness_app
from achyk.canonical import canonical_json
from achyk.cli.main import app as cli
from achyk.domain.definition import Witness
from achyk.domain.published import results_document
from achyk.domain.tabulation import tabulate
from achyk.ledger import (
    Checkpoint,
    Ed25519Verifier,
    MemoryTree,
    WitnessKey,
    cosign,
    leaf_hash,
    sign_checkpoint,
)
from achyk.ledger.note import format_signer_key, parse_signer_key
from achyk.ledger.tiles import build_tiles, decode_entry_bundle, entry_bundles
from achyk.ledger.trust import Trust, parse_trust, pins
from achyk.ledger.witness import request_body
from achyk.services import ledger
from achyk.services.log_key import database_path, log_key_path
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.services.witnessing import request_cosignature, trust_of
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import Report, verify_record
from achyk.verify.replay import replay
from live_server import serving

runner = CliRunner()
W1, W2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
W1_NAME, W2_NAME = "osce.example/witness", "party-a.example/witness"
W1_KEY = WitnessKey.from_private_key(W1_NAME, W1).vkey
W2_KEY = WitnessKey.from_private_key(W2_NAME, W2).vkey


def failed(report: Report) -> dict[str, str]:
    return {name: detail for name, ok, detail in report.checks if not ok}


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Trust]:
    """A SMALL election whose definition names two witnesses, quorum 2, both cosigning."""
    base = tmp_path_factory.mktemp("trusted")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    sim = generate(SMALL)
    election = dataclasses.replace(
        sim.election, witnesses=(Witness("OSCE/ODIHR", W1_KEY), Witness("Party A", W2_KEY)),
        witness_quorum=2,
    )  # fmt: skip
    run_simulation(db, dataclasses.replace(sim, election=election))
    eid = election.id
    note = ledger.latest_checkpoint(db, eid)
    assert note is not None
    from achyk.services.witnessing import accept_cosignature

    for name, key, vkey in ((W1_NAME, W1, W1_KEY), (W2_NAME, W2, W2_KEY)):
        accept_cosignature(db, eid, vkey, cosign(note, name, key, 1_700_000_000))
    publish(db, eid, base / "record")
    trust = trust_of(db, eid)
    (base / "trust.json").write_bytes(trust.to_bytes())
    return base / "record", _secret(db, eid), trust


def copy(honest: tuple[Path, str, Trust], tmp_path: Path) -> Path:
    shutil.copytree(honest[0], tmp_path / "record")
    return tmp_path / "record"


def entries_of(record: Path) -> list[bytes]:
    out: list[bytes] = []
    for b in sorted((record / "log" / "tile" / "entries").rglob("*")):
        if b.is_file():
            out.extend(decode_entry_bundle(b.read_bytes()))
    return out


def reseal(record: Path, entries: list[bytes], secret: str) -> None:
    """Rebuild tiles, bundles, results and checkpoints of a rewritten log; sign with `secret`."""
    name, key = parse_signer_key(secret)
    shutil.rmtree(record / "log")
    leaves = [leaf_hash(e) for e in entries]
    for path, data in (build_tiles(leaves) | entry_bundles(entries)).items():
        (record / "log" / path).parent.mkdir(parents=True, exist_ok=True)
        (record / "log" / path).write_bytes(data)
    cp = Checkpoint(name, len(entries), MemoryTree(leaves).root())
    note = sign_checkpoint(cp, name, key)
    (record / "log" / "checkpoint").write_text(note)
    (record / "log" / "checkpoints").mkdir()
    (record / "log" / "checkpoints" / str(len(entries))).write_text(note)
    state = replay(entries, json.loads((record / "definition.json").read_text()))
    assert state.election is not None
    doc = results_document(state.election, tabulate(state.election, state.protocols()))
    (record / "results.json").write_text(json.dumps(doc))
    rec = json.loads((record / "record.json").read_text())
    rec |= {"origin": name, "log_key": Ed25519Verifier.from_private_key(name, key).vkey,
            "size": len(entries), "checkpoints": [len(entries)]}  # fmt: skip
    (record / "record.json").write_text(json.dumps(rec))


def test_the_honest_record_verifies_pinned(honest: tuple[Path, str, Trust]) -> None:
    report = verify_record(str(honest[0]), trust=honest[2])
    assert report.ok, failed(report)
    assert report.warnings == []
    assert parse_trust(honest[2].to_bytes()) == honest[2]


def test_unpinned_says_it_trusted_the_records_own_key(honest: tuple[Path, str, Trust]) -> None:
    result = runner.invoke(cli, ["verify", str(honest[0]), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "WARN no trust anchor given: trusted the record's own log key" in result.output
    pinned = runner.invoke(cli, ["verify", str(honest[0]), "--workers", "1", "--trust",
                                 str(honest[0].parent / "trust.json")])  # fmt: skip
    assert pinned.exit_code == 0 and "WARN" not in pinned.output, pinned.output


def test_a_whole_record_resigned_with_a_new_key_fails_when_pinned(
    honest: tuple[Path, str, Trust], tmp_path: Path
) -> None:
    """Why 2: seats changed, a protocol deleted, everything re-signed with a brand-new key."""
    record = copy(honest, tmp_path)
    entries = entries_of(record)
    victim = next(i for i, e in enumerate(entries) if b'"kind":"protocol"' in e)
    kept = entries[:victim] + entries[victim + 1 :]
    for f in (record / "evidence").glob("*.bin"):  # evidence follows its entry's new index
        i = int(f.stem)
        if i > victim:
            f.rename(record / "evidence" / f"{i - 1}.tmp")
    for f in (record / "evidence").glob("*.tmp"):
        f.rename(f.with_suffix(".bin"))
    new_key = format_signer_key("evil.example/kg", Ed25519PrivateKey.generate())
    reseal(record, kept, new_key)
    for w in ("witnesses",):  # the forger drops the witnesses it cannot forge
        rec = json.loads((record / "record.json").read_text())
        rec[w], rec["quorum"] = [], 0
        (record / "record.json").write_text(json.dumps(rec))
    unpinned = verify_record(str(record))
    # Unpinned, only the definition's witnesses betray it; the trust pin is what settles it.
    trust = honest[2]
    for pin in (trust, pins(trust.log_key, [], None)):
        problems = failed(verify_record(str(record), trust=pin))
        assert (
            "is not the pinned" in problems["trust anchors: log key, origin and election as pinned"]
        )
        assert "checkpoint signature" in problems
    assert unpinned.warnings


def test_witness_quorum_is_required(honest: tuple[Path, str, Trust], tmp_path: Path) -> None:
    """Why 3: a removed cosignature, or a listed witness that never cosigned, fails."""
    record = copy(honest, tmp_path)
    note = (record / "log" / "checkpoint").read_text()
    lines = note.split("\n")
    cut = "\n".join(ln for ln in lines if not ln.startswith(f"— {W2_NAME} "))
    (record / "log" / "checkpoint").write_text(cut)
    detail = failed(verify_record(str(record), trust=honest[2]))[
        "witness cosignatures (quorum of the pinned witnesses)"
    ]
    assert "only 1 of the 2 witness cosignatures required" in detail and "Party A" in detail
    stranger = WitnessKey.from_private_key("nobody.example/w", Ed25519PrivateKey.generate()).vkey
    t = honest[2]
    extra = pins(t.log_key, [stranger], None).witnesses or ()
    listed = dataclasses.replace(t, witnesses=(*(t.witnesses or ()), *extra), quorum=3)
    assert "witness cosignatures (quorum of the pinned witnesses)" in failed(
        verify_record(str(honest[0]), trust=listed)
    )


def test_nothing_withheld(honest: tuple[Path, str, Trust], tmp_path: Path) -> None:
    """Why 4: a cut checkpoints list, a deleted evidence file."""
    record = copy(honest, tmp_path)
    rec = json.loads((record / "record.json").read_text())
    rec["checkpoints"] = rec["checkpoints"][-1:]
    (record / "record.json").write_text(json.dumps(rec))
    next((record / "evidence").glob("*.bin")).unlink()
    problems = failed(verify_record(str(record), trust=honest[2]))
    assert "checkpoints list is not the checkpoints published" in problems[
        "earlier checkpoints consistent with this one"]  # fmt: skip
    assert "rejection without its evidence" in problems[
        "every entry: canonical form, signatures, control relations, corrections"]  # fmt: skip


def test_evidence_is_judged_by_its_rejection_whatever_its_fields(
    honest: tuple[Path, str, Trust], tmp_path: Path
) -> None:
    """Why 4: a valid protocol refused, its evidence given a `supersedes` field to dodge judgment;
    the operator re-signs the log with its own key."""
    record = copy(honest, tmp_path)
    entries = entries_of(record)
    i = next(i for i, e in enumerate(entries) if b'"kind":"protocol"' in e)
    entry = json.loads(entries[i])
    envelope = {k: entry[k] for k in ("protocol", "device", "signature")} | {"supersedes": "x"}
    raw = canonical_json(envelope)
    entries[i] = canonical_json({
        "kind": "rejection", "election": entry["election"], "source": "upload",
        "station": entry["protocol"]["station"], "submission_sha256": hashlib.sha256(raw).hexdigest(),
        "reasons": ["supersedes: unknown field"]})  # fmt: skip
    (record / "evidence" / f"{i}.bin").write_bytes(raw)
    reseal(record, entries, honest[1])
    detail = failed(verify_record(str(record)))[
        "every entry: canonical form, signatures, control relations, corrections"
    ]
    assert f"log entry {i}: a valid protocol for station" in detail


def test_live_witnesses_cosign_once_only_if_named(db: Database, tmp_path: Path) -> None:
    """The server takes cosignatures only from named witnesses, once per checkpoint (403, 409);
    achyk's own tlog-witness cosigns over C2SP add-checkpoint, with consistency proofs."""
    sim = generate(SMALL)
    election = dataclasses.replace(
        sim.election, witnesses=(Witness("OSCE/ODIHR", W1_KEY), Witness("Party A", W2_KEY)),
        witness_quorum=2,
    )  # fmt: skip
    first = dataclasses.replace(sim, election=election, submissions=sim.submissions[:100])
    run_simulation(db, first)
    eid = election.id
    trust = trust_of(db, eid)
    logs = {str(trust.origin): str(trust.log_key)}
    witness_app = create_witness_app(W2_NAME, W2, logs, tmp_path / "w2-state.json")
    with serving(create_app(db=db)) as base, serving(witness_app) as w2:
        url = f"{base}/api/elections/{eid}"

        def post(vkey: str, line: str) -> int:
            body = json.dumps({"vkey": vkey, "line": line}).encode()
            req = urllib.request.Request(f"{url}/log/cosignatures", body,
                                         {"Content-Type": "application/json"})  # fmt: skip
            try:
                with urllib.request.urlopen(req) as r:
                    return int(r.status)
            except urllib.error.HTTPError as err:
                return err.code

        note = ledger.latest_checkpoint(db, eid)
        assert note is not None
        for n in range(120):  # a flood of strangers: every one refused, the checkpoint intact
            k = Ed25519PrivateKey.generate()
            vk = WitnessKey.from_private_key(f"s{n}.example/w", k).vkey
            assert post(vk, cosign(note, f"s{n}.example/w", k, 1)) == 403
        assert post(W1_KEY, cosign(note, W1_NAME, W1, 1_700_000_000)) == 201
        assert post(W1_KEY, cosign(note, W1_NAME, W1, 1_700_000_001)) == 409
        assert post(W1_KEY, cosign(note, W1_NAME, W2, 1)) == 400  # not W1's signature
        below = failed(verify_record(url, trust=trust))
        assert "only 1 of the 2" in below["witness cosignatures (quorum of the pinned witnesses)"]
        assert request_cosignature(db, eid, w2, W2_KEY) == ledger.log_size(db, eid)
        report = verify_record(url, trust=trust)
        assert report.ok, failed(report)
        # the log grows; the witness answers 409 with its size, then cosigns with the proof
        from achyk.services.protocols import submit_protocols

        submit_protocols(db, eid, sim.submissions[100:130])
        if db.dialect == "sqlite":  # the CLI opens the database by URL (no test schema)
            url_db = db.engine.url.render_as_string(hide_password=False)
            out = runner.invoke(cli, ["trust", "cosign", w2, "--witness", W2_KEY,
                                      "--database", url_db, "--election", eid])  # fmt: skip
            assert out.exit_code == 0 and f"size {ledger.log_size(db, eid)}" in out.output, (
                out.output
            )
        else:
            assert request_cosignature(db, eid, w2, W2_KEY) == ledger.log_size(db, eid)
        one_of_two = failed(verify_record(url, trust=trust))  # the new head: W1 has not cosigned
        assert (
            "only 1 of the 2" in one_of_two["witness cosignatures (quorum of the pinned witnesses)"]
        )
        head = ledger.latest_checkpoint(db, eid)
        assert head is not None
        assert post(W1_KEY, cosign(head, W1_NAME, W1, 1_700_000_100)) == 201
        assert verify_record(url, trust=trust).ok
        # the witness refuses a checkpoint of the same size with another root, and bad proofs
        name, key = parse_signer_key(_secret(db, eid))
        size = ledger.log_size(db, eid)
        forged = sign_checkpoint(Checkpoint(str(trust.origin), size, b"\x01" * 32), name, key)
        assert _add(w2, request_body(size, [], forged)) == 409
        bigger = sign_checkpoint(Checkpoint(str(trust.origin), size + 5, b"\x02" * 32), name, key)
        assert _add(w2, request_body(size, [b"\x03" * 32], bigger)) == 422
        alien = sign_checkpoint(Checkpoint("other.example/log", 3, b"\x02" * 32), name, key)
        assert _add(w2, request_body(0, [], alien)) == 404
        fresh = Ed25519PrivateKey.generate()
        unsigned = sign_checkpoint(Checkpoint(str(trust.origin), size, b"\x01" * 32), name, fresh)
        assert _add(w2, request_body(size, [], unsigned)) == 403


def _secret(db: Database, eid: str) -> str:
    """The log's signer key: a key file, never a database row (achyk.services.log_key)."""
    with db.read() as s:
        path = log_key_path(eid, database_path(s))
    return path.read_text(encoding="utf-8").strip()


def _add(witness: str, body: bytes) -> int:
    req = urllib.request.Request(f"{witness}/add-checkpoint", body, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return err.code
