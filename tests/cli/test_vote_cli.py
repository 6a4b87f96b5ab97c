"""`achyk remote setup/credentials/tally` and `achyk vote` as an operator and a voter run them,
against the real API (FastAPI's test client stands in for the network), the tracking-code page in
every language, and `achyk verify` on the published record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.cli.main import app
from achyk.ledger import leaf_hash, verify_inclusion
from achyk.ledger.checkpoint import parse_checkpoint
from achyk.services.elections import load_election
from achyk.services.ledger import latest_checkpoint
from achyk.services.remote_simulation import add_remote_unit
from achyk.store.database import Database
from factories import election

runner = CliRunner()
EID = "test-2025"


def ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return " ".join(result.output.split())  # rich wraps lines at the terminal width


@pytest.fixture
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, TestClient]:
    url = f"sqlite:///{tmp_path / 'vote.db'}"
    db = Database.open(url)
    load_election(db, add_remote_unit(election()))
    client = TestClient(create_app(db=db))
    import httpx

    # `achyk vote --server http://testserver` talks to the app in this process.
    monkeypatch.setattr(httpx, "get", client.get)
    monkeypatch.setattr(httpx, "post", client.post)
    return url, client


def test_setup_credentials_vote_challenge_tally_verify(
    wired: tuple[str, TestClient], tmp_path: Path
) -> None:
    url, client = wired
    db = ["--database", url]
    keys = tmp_path / "keys"
    out = ok(["remote", "setup", "--trustee", "CEC", "--trustee", "Party A", "--trustee", "OSCE",
              "--quorum", "2", "--keys-out", str(keys), *db])  # fmt: skip
    assert "3 trustees, quorum 2" in out
    assert sorted(p.name for p in keys.iterdir()) == [f"trustee-{i}.json" for i in (1, 2, 3)]
    creds = tmp_path / "creds.csv"
    ok(["remote", "credentials", "--count", "3", "--out", str(creds), *db])
    seeds = [line.split(",")[1] for line in creds.read_text().splitlines()]
    for i, seed in enumerate(seeds):
        (tmp_path / f"cred{i}").write_text(seed)
    server = ["--server", "http://testserver", "--election", EID]

    audit = ok(["vote", "--credential", str(tmp_path / "cred0"), "--choose", "list=b",
                "--challenge", *server])  # fmt: skip
    assert "challenged" in audit
    codes = []
    for i, option in enumerate(["a", "b", "against-all"]):
        out = ok(["vote", "--credential", str(tmp_path / f"cred{i}"), "--choose", option, *server])
        assert "cast: log entry" in out
        codes.append(out.split("tracking code: ")[1].split()[0])
    refused = runner.invoke(app, ["vote", "--credential", str(tmp_path / "cred0"), "--choose",
                                  "nobody", *server])  # fmt: skip
    assert refused.exit_code != 0 and "not on the list ballot" in str(refused.output)

    # The voter looks the code up: API (with a proof that leads to the signed root) and page.
    found = client.get(f"/api/elections/{EID}/remote/track/{codes[1]}").json()
    assert found["status"] == "cast" and found["entry"]["tracking_code"] == found["tracking_code"]
    cp = parse_checkpoint(latest_checkpoint(Database.open(url), EID) or "")
    verify_inclusion(leaf_hash(canonical_json(found["entry"])), found["log_entry"],
                     found["tree_size"], [bytes.fromhex(h) for h in found["inclusion_proof"]],
                     cp.root)  # fmt: skip
    for lang, heading in [("ru", "Ваш бюллетень есть в журнале"), ("ky", "Бюллетеңиз журналда бар"),
                          ("kk", "Бюллетеніңіз журналда бар"), ("en", "Your ballot is on the board")]:  # fmt: skip
        page = client.get(f"/e/{EID}/track", params={"code": codes[1], "lang": lang})
        assert page.status_code == 200 and heading in page.text
        assert f"<dd>{found['log_entry']}</dd>" in page.text
    missing = client.get(f"/e/{EID}/track", params={"code": "AAAA-AAAA-AAAA-AAAA"})
    assert missing.status_code == 404

    out = ok(["remote", "tally", "--key", str(keys / "trustee-1.json"), "--key",
              str(keys / "trustee-3.json"), *db])  # fmt: skip
    assert "3 ballots counted of 4 on the board (1 challenged), trustees [1, 3]" in out
    assert "list: 1, 1, 0, 1" in out
    record = tmp_path / "record"
    ok(["publish", "--out", str(record), *db])
    verified = ok(["verify", str(record), "--workers", "1"])
    assert "remote voting: ceremony" in verified and "the record verifies" in verified

    # The client can also take the parameters from the published record (no server needed).
    ballot = tmp_path / "ballot.json"
    ok(["vote", "--record", str(record), "--credential", str(tmp_path / "cred2"), "--choose", "c",
        "--out", str(ballot)])  # fmt: skip
    written: dict[str, Any] = json.loads(ballot.read_text())
    assert written["ballot"]["body"]["contests"][0]["id"] == "list"
