"""The log over HTTP: verify the live record, monitor growth, catch a same-size rewrite, witness."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.cli.main import app as cli
from achyk.domain.definition import Witness
from achyk.ledger import Checkpoint, MemoryTree, WitnessKey, leaf_hash, verify_inclusion
from achyk.ledger.note import format_signer_key
from achyk.ledger.signer import sign_note_by
from achyk.services.log_key import log_signer
from achyk.services.protocols import submit_protocols
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore, stored_key
from achyk.store.models import LogEntryRow, LogHeadRow, LogNodeRow
from achyk.verify.monitor import check_once
from achyk.verify.record import verify_record
from live_server import serving

runner = CliRunner()


def rewrite_same_size(db: Database, election_id: str) -> None:
    """What a dishonest operator with the log key would do: change entry 1, rebuild, re-sign."""
    with db.session() as s:
        rows = s.scalars(
            select(LogEntryRow)
            .where(LogEntryRow.election_id == election_id)
            .order_by(LogEntryRow.idx)
        ).all()
        victim = next(r for r in rows if r.kind == "protocol")
        doc = json.loads(victim.entry)
        doc["protocol"]["invalid"] += 0  # same figures …
        doc["source_note"] = "rewritten"  # … but different bytes
        victim.entry = canonical_json(doc).decode()
        leaves = [leaf_hash(r.entry.encode()) for r in rows]
        tree = MemoryTree(leaves)
        s.execute(delete(LogNodeRow).where(LogNodeRow.election_id == election_id))
        s.execute(
            LogNodeRow.__table__.insert(),
            [
                {"election_id": election_id, "level": lv, "idx": i, "hash": tree.hash_at(lv, i)}
                for lv in range(len(leaves).bit_length())
                for i in range(len(leaves) >> lv)
            ],
        )
        s.execute(
            update(LogHeadRow).where(LogHeadRow.election_id == election_id).values(frontier="[]")
        )
        signer = log_signer(s, f"log/{election_id}", election_id)
        origin = stored_key(s, f"origin/{election_id}")
        assert origin is not None  # pinned when the log began
        cp = Checkpoint(origin.vkey, len(leaves), tree.root())
        LogStore(s, election_id).add_checkpoint(cp.size, cp.root, sign_note_by(cp.body(), signer))


def test_live_log(db: Database, tmp_path: Path) -> None:
    sim = generate(SMALL)
    key = Ed25519PrivateKey.generate()  # the witness, named in the definition
    vkey = WitnessKey.from_private_key("observers.example/witness", key).vkey
    election = dataclasses.replace(
        sim.election, witnesses=(Witness("Observers", vkey),), witness_quorum=1
    )
    first, rest = sim.submissions[:100], sim.submissions[100:]
    run_simulation(db, sim.__class__(sim.profile, election, first, sim.switches, sim.anomalies))
    eid = sim.election.id
    state = tmp_path / "monitor.json"
    with serving(create_app(db=db)) as base:
        url = f"{base}/api/elections/{eid}"
        report = verify_record(url)  # the named witness has not cosigned yet: below quorum
        assert [c[0] for c in report.checks if not c[1]] == [
            "witness cosignatures (quorum of the pinned witnesses)"
        ]
        assert check_once(url, state).ok  # first checkpoint kept (trust on first use)
        submit_protocols(db, eid, rest)
        grown = check_once(url, state)
        assert grown.ok and "consistent" in grown.message
        # inclusion proof from the API verifies against the checkpoint the API serves
        import urllib.request

        with urllib.request.urlopen(f"{url}/log/checkpoint") as r:
            note = r.read().decode()
        size = int(note.splitlines()[1])
        with urllib.request.urlopen(f"{url}/log/proof/inclusion?index=5&size={size}") as r:
            proof = json.loads(r.read())
        from base64 import b64decode

        verify_inclusion(bytes.fromhex(proof["leaf_hash"]), 5, size,
                         [bytes.fromhex(p) for p in proof["proof"]], b64decode(note.splitlines()[2]))  # fmt: skip
        # a witness cosigns; the cosignature is served with the checkpoint
        key_file = tmp_path / "witness.key"
        key_file.write_text(format_signer_key("observers.example/witness", key))
        result = runner.invoke(
            cli, ["witness", url, "--key", str(key_file), "--state", str(tmp_path / "w.json")]
        )
        assert result.exit_code == 0, result.output
        with urllib.request.urlopen(f"{url}/log/checkpoint") as r:
            assert "— observers.example/witness " in r.read().decode()
        report = verify_record(url)
        assert report.ok, [c for c in report.checks if not c[1]]
        # the operator rewrites history at the same size and re-signs: the monitor catches it
        rewrite_same_size(db, eid)
        caught = runner.invoke(cli, ["monitor", url, "--state", str(state)])
        assert caught.exit_code == 1
        assert "FORK: two different trees of size" in caught.output
        assert caught.output.count("— achyk.local/") == 2  # both signed checkpoints, as evidence
