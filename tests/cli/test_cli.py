"""The CLI as a user runs it: load, submit, results; errors go to stderr with a non-zero exit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.formats.definition import election_to_document
from factories import election, envelope, protocol_doc

runner = CliRunner()


def write_definition(tmp_path: Path) -> Path:
    path = tmp_path / "election.yaml"
    path.write_text(yaml.safe_dump(election_to_document(election())), encoding="utf-8")
    return path


def test_load_submit_results(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(
        app, ["election", "load", str(write_definition(tmp_path)), "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert "election test-2025 loaded: 4 stations" in result.output
    good = tmp_path / "good.json"
    good.write_bytes(envelope(protocol_doc()))
    result = runner.invoke(app, ["protocol", "submit", str(good), "--database", url])
    assert result.exit_code == 0, result.output
    assert "station 1001 list/preliminary: accepted" in result.output
    bad = tmp_path / "bad.json"
    bad.write_bytes(envelope(protocol_doc(station="1002", invalid=11)))
    result = runner.invoke(app, ["protocol", "submit", str(bad), "--database", url])
    assert result.exit_code == 1
    assert "valid 590 + invalid 11 = 601 ≠ ballots found 600" in result.output
    result = runner.invoke(app, ["results", "--database", url])
    assert result.exit_code == 0, result.output
    assert "Party A" in result.output and "300" in result.output
    result = runner.invoke(app, ["results", "--level", "region", "--database", url])
    assert result.exit_code == 0 and "North" in result.output


def test_a_bad_definition_names_the_path(tmp_path: Path) -> None:
    doc = election_to_document(election())
    del doc["contests"][0]["parties"][1]["name"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = runner.invoke(
        app, ["election", "load", str(path), "--database", f"sqlite:///{tmp_path}/x.db"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert re.search(
        r"contests\[0\]\.parties\[1\]\.name \(line \d+\): required", str(result.exception)
    )


def test_generate_writes_a_loadable_election(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    result = runner.invoke(app, ["generate", "--profile", "small", "--out", str(out)])
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert (
        runner.invoke(
            app, ["election", "load", str(out / "definition.yaml"), "--database", url]
        ).exit_code
        == 0
    )
    switches = json.loads((out / "device-switches.json").read_text())
    sw = switches[0]
    result = runner.invoke(
        app,
        [
            "device",
            "switch",
            "--station",
            sw["station_id"],
            "--from",
            sw["from_device"],
            "--to",
            sw["to_device"],
            "--reason",
            sw["reason"],
            "--database",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    files = [out / "protocols" / f"{sw['station_id']}-list-preliminary.json"]
    backups = {s["station_id"] for s in switches}
    files += [
        f
        for f in sorted((out / "protocols").glob("*-list-preliminary.json"))
        if f.name.split("-")[0] not in backups
    ][:3]
    result = runner.invoke(app, ["protocol", "submit", *map(str, files), "--database", url])
    assert result.exit_code == 0, result.output
    assert json.loads(files[0].read_bytes())["signature"]


def test_demo_small_without_serving(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["demo", "--profile", "small", "--no-serve", "--database", f"sqlite:///{tmp_path}/d.db"],
    )
    assert result.exit_code == 0, result.output
    assert "kept as evidence" in result.output and "Seats" in result.output
    assert "voting page: http://127.0.0.1:8000/e/small-2025/vote" in " ".join(result.output.split())
    # The demo's dry run: the protocol kept as evidence, examined again and nothing written.
    assert "dry run (achyk protocol check)" in result.output
    assert ": would be rejected" in result.output and "nothing written" in result.output


def test_demo_leaves_remote_voting_open_with_letters_for_the_voting_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from achyk.evoting import credentials
    from achyk.services.remote.voting import next_counter, remote_info
    from achyk.store.database import Database
    from achyk.store.evoting_repo import RemoteRepo

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/v.db"
    result = runner.invoke(app, ["demo", "--profile", "small", "--no-serve", "--no-audit",
                                 "--remote-ballots", "6", "--vote-online", "--database", url])  # fmt: skip
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "left OPEN for the voting page" in said and "/e/small-2025/vote" in said
    db = Database.open(url)
    assert not remote_info(db, "small-2025").closed
    for i in (1, 2, 3):
        letter = (tmp_path / "demo-credentials" / f"credential-{i}.txt").read_text()
        seed = bytes.fromhex("".join(next(ln for ln in letter.splitlines() if ln.startswith("    ")).split()))  # fmt: skip
        key = credentials.public_credential(seed)
        with db.read() as s:
            assert RemoteRepo(s, "small-2025").known_credentials([key]) == {key}  # on the list
        assert next_counter(db, "small-2025", key) == 1  # and no simulated voter used it
        assert (tmp_path / "demo-credentials" / f"credential-{i}.png").stat().st_size > 0
    db.close()


def test_correct_a_protocol_with_the_cec_key(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    assert runner.invoke(app, ["generate", "--profile", "small", "--out", str(out)]).exit_code == 0
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert (
        runner.invoke(
            app, ["election", "load", str(out / "definition.yaml"), "--database", url]
        ).exit_code
        == 0
    )
    switched = {s["station_id"] for s in json.loads((out / "device-switches.json").read_text())}
    original = next(
        f
        for f in sorted((out / "protocols").glob("*-list-preliminary.json"))
        if f.name.split("-")[0] not in switched
    )
    assert (
        runner.invoke(app, ["protocol", "submit", str(original), "--database", url]).exit_code == 0
    )
    doc = json.loads(original.read_bytes())["protocol"]
    first, second = list(doc["votes"])[:2]
    doc["votes"][first] -= 1
    doc["votes"][second] += 1
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(doc))
    args = ["protocol", "correct", str(fixed), "--reason", "recount", "--database", url]
    result = runner.invoke(app, [*args, "--key", str(out / "cec.key")])
    assert result.exit_code == 0, result.output
    assert "accepted (correction: recount)" in result.output
    wrong_key = tmp_path / "wrong.key"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from achyk.ledger.note import format_signer_key

    wrong_key.write_text(format_signer_key("cec", Ed25519PrivateKey.generate()))
    result = runner.invoke(app, [*args, "--key", str(wrong_key)])
    assert result.exit_code == 1
    assert "signature does not verify" in result.output


def test_a_json_definition_and_a_file_of_one_envelope_a_line(tmp_path: Path) -> None:
    """The bulk forms `achyk generate` writes above 20,000 stations: definition.json, *.jsonl."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    definition = tmp_path / "definition.json"
    definition.write_text(json.dumps(election_to_document(election())), encoding="utf-8")
    result = runner.invoke(app, ["election", "load", str(definition), "--database", url])
    assert result.exit_code == 0, result.output
    assert "election test-2025 loaded: 4 stations" in result.output
    lines = [envelope(protocol_doc()), envelope(protocol_doc(station="2001", invalid=11)), b"",
             envelope(protocol_doc(station="1002"))]  # fmt: skip
    bulk = tmp_path / "protocols.jsonl"
    bulk.write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(app, ["protocol", "submit", str(bulk), "--each", "--database", url])
    assert result.exit_code == 1  # one was refused
    assert "station 1001 list/preliminary: accepted" in result.output
    assert "station 1002 list/preliminary: accepted" in result.output
    assert "valid 590 + invalid 11 = 601 ≠ ballots found 600" in result.output
