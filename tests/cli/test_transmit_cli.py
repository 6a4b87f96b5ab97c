"""`achyk device keygen`, `protocol sign` and `protocol send` as a device integrator uses them."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.cli.main import app
from achyk.domain.submission import examine
from achyk.ledger.note import format_signer_key, parse_signer_key
from achyk.services.elections import load_election
from achyk.signing import public_key_b64
from achyk.store.database import Database
from factories import device_key, election, protocol_doc
from live_server import serving

runner = CliRunner()


def test_keygen_writes_a_private_key_and_prints_the_definition_line(tmp_path: Path) -> None:
    out = tmp_path / "asu-1001-a.key"
    result = runner.invoke(app, ["device", "keygen", "--id", "asu-1001-a", "--out", str(out)])
    assert result.exit_code == 0, result.output
    name, private = parse_signer_key(out.read_text().strip())
    assert name == "asu-1001-a" and out.stat().st_mode & 0o777 == 0o600
    line = result.output.strip()
    assert line == f"{{id: asu-1001-a, role: scanner, public_key: {public_key_b64(private)}}}"
    assert len(base64.b64decode(re.findall(r"public_key: (\S+)}", line)[0])) == 32
    again = runner.invoke(app, ["device", "keygen", "--id", "asu-1001-a", "--out", str(out)])
    assert again.exit_code == 2 and "not overwritten" in again.output


def key_file(tmp_path: Path, device: str) -> Path:
    path = tmp_path / f"{device}.key"
    path.write_text(format_signer_key(device, device_key(device)) + "\n")
    return path


def test_sign_makes_the_envelope_the_server_accepts(tmp_path: Path) -> None:
    doc = tmp_path / "protocol.json"
    doc.write_text(json.dumps(protocol_doc()))
    out = tmp_path / "envelope.json"
    result = runner.invoke(app, ["protocol", "sign", str(doc), "--key",
                                 str(key_file(tmp_path, "1001-a")), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    envelope = json.loads(out.read_text())
    assert envelope["device"] == "1001-a"
    assert examine(election(), envelope).ok


def test_send_transmits_over_http_and_reports_refusals(tmp_path: Path, db: Database) -> None:
    load_election(db, election())
    key = str(key_file(tmp_path, "1001-a"))
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(protocol_doc()))
    bad.write_text(json.dumps(protocol_doc(kind="official", invalid=11)))
    with serving(create_app(db=db)) as url:
        result = runner.invoke(app, ["protocol", "send", str(good), "--server", url, "--key", key])
        assert result.exit_code == 0, result.output
        assert re.match(r"station 1001 list/preliminary: accepted log entry 1 [0-9a-f]{64}",
                        result.output), result.output  # fmt: skip
        result = runner.invoke(app, ["protocol", "send", str(bad), "--server", url, "--key", key])
        assert result.exit_code == 1
        assert "HTTP 422: rejected" in result.output
        assert "valid 590 + invalid 11 = 601 ≠ ballots found 600" in result.output
        other = str(key_file(tmp_path, "1002-a"))
        result = runner.invoke(app, ["protocol", "send", str(good), "--server", url,
                                     "--key", other])  # fmt: skip
        assert result.exit_code == 1
        assert "'1002-a' is not a registered device of station 1001" in result.output
