"""`achyk remote setup/credentials/tally` and `achyk vote` as an operator and a voter run them,
against the real API (FastAPI's test client stands in for the network), the tracking-code page in
every language, and `achyk verify` on the published record."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.cli.main import app
from achyk.crypto.group import SECP256K1 as G
from achyk.evoting.ballot import short_code
from achyk.evoting.election import ElectionParams
from achyk.ledger import leaf_hash, verify_inclusion
from achyk.ledger.checkpoint import parse_checkpoint
from achyk.services.elections import load_election
from achyk.services.ledger import latest_checkpoint
from achyk.services.remote.simulation import add_remote_unit, simulate_ceremony, trustees_decrypt
from achyk.services.remote.voting import remote_info
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
    # The credential authority makes its key on its own machine; the definition names it.
    said = ok(["credentials", "keygen", "--out", str(tmp_path / "ca.key")])
    public = said.split()[-1]
    load_election(db, replace(add_remote_unit(election()), credential_authority=public))
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
    # The trustees' machines are simulated in-process here (tests/integration/test_trustees.py
    # runs `achyk trustee …` in separate processes); the server's side is the CLI.
    trustees = simulate_ceremony(Database.open(url), EID, ["CEC", "Party A", "OSCE"], 2).keys
    ok(["remote", "ceremony-state", "--out", str(tmp_path / "state.json"), *db])
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["quorum"] == 2 and [t["name"] for t in state["trustees"]] == [
        "CEC",
        "Party A",
        "OSCE",
    ]
    assert "aux" not in json.dumps(state).replace("aux_key", "")  # public material only
    # The authority takes the parameters (checked out of band by their fingerprint), makes the
    # letters and the signed list; the server imports the list only.
    doc = client.get(f"/api/elections/{EID}/remote/parameters").json()
    (tmp_path / "params.json").write_text(json.dumps(doc))
    params = ElectionParams.from_dict(doc["params"])
    ca = tmp_path / "ca"
    made = ok(["credentials", "make", "--key", str(tmp_path / "ca.key"), "--params",
               str(tmp_path / "params.json"), "--count", "3", "--name", "Test", "--out", str(ca)])  # fmt: skip
    assert short_code(params.fingerprint) in made
    letters = sorted((ca / "letters").glob("*.txt"))
    assert len(letters) == 3 and len(list((ca / "letters").glob("*.svg"))) == 3
    for i, letter in enumerate(letters):
        text = letter.read_text()
        assert short_code(params.fingerprint) in text
        seed = "".join(next(ln for ln in text.splitlines() if ln.startswith("    ")).split())
        (tmp_path / f"cred{i}").write_text(seed)
    assert "3 credential key(s) imported" in ok(["remote", "credentials", "--list", str(ca / "public-list.json"), *db])  # fmt: skip
    server = ["--server", "http://testserver", "--election", EID,
              "--fingerprint", short_code(params.fingerprint)]  # fmt: skip

    # Benaloh (attack 4): the tracking code is shown first; only then is the voter asked, so the
    # device has encrypted before it can know whether this ballot will be audited.
    asked = runner.invoke(app, ["vote", "--credential", str(tmp_path / "cred0"), "--choose",
                                "list=b", *server], input="audit\n")  # fmt: skip
    assert asked.exit_code == 0, asked.output
    audit = " ".join(asked.output.split())
    assert audit.index("tracking code:") < audit.index("cast this ballot, or audit it")
    assert "audited" in audit
    audited_code = audit.split("tracking code: ")[1].split()[0]
    entry = client.get(f"/api/elections/{EID}/remote/track/{audited_code}").json()["entry"]
    assert entry["status"] == "challenged" and "credential" not in entry  # unlinked from the voter
    codes = []
    for i, option in enumerate(["a", "b", "against-all"]):
        out = ok(["vote", "--credential", str(tmp_path / f"cred{i}"), "--choose", option,
                  "--then", "cast", *server])  # fmt: skip
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

    ok(["remote", "close", *db])
    shares = trustees_decrypt(Database.open(url), EID, [trustees[0], trustees[2]])
    params_now = remote_info(Database.open(url), EID).params
    for sh in shares:
        (tmp_path / f"share-{sh.trustee}.json").write_text(
            json.dumps({"share": sh.to_dict(params_now)})
        )
    out = ok(["remote", "tally", "--share", str(tmp_path / "share-1.json"), "--share",
              str(tmp_path / "share-3.json"), *db])  # fmt: skip
    assert "3 ballots counted of 4 on the board (1 audited), trustees [1, 3]" in out
    assert "list: 1, 1, 0, 1" in out
    record = tmp_path / "record"
    ok(["publish", "--out", str(record), *db])
    verified = ok(["verify", str(record), "--workers", "1"])
    assert "remote voting: ceremony" in verified and "the record verifies" in verified

    # The client can also take the parameters from the published record (no server needed).
    ballot = tmp_path / "ballot.json"
    ok(["vote", "--record", str(record), "--credential", str(tmp_path / "cred2"), "--choose", "c",
        "--then", "cast", "--out", str(ballot)])  # fmt: skip
    written: dict[str, Any] = json.loads(ballot.read_text())
    assert written["ballot"]["contests"][0]["id"] == "list" and written["counter"] == 1


def test_vote_refuses_a_server_with_another_fingerprint(
    wired: tuple[str, TestClient], tmp_path: Path
) -> None:
    """Attack 5 of issue 10: a server that names its own key. The voter's letter carries the
    fingerprint of the real parameters; the client compares before it encrypts anything."""
    url, client = wired
    simulate_ceremony(Database.open(url), EID, ["CEC"], 1)
    real = ElectionParams.from_dict(client.get(f"/api/elections/{EID}/remote/parameters").json()["params"])  # fmt: skip
    fake_params = replace(real, public_key=G.base_mul(12345))  # the fake server knows this key
    import httpx

    class Fake:
        status_code = 200

        def json(self) -> Any:
            return {"params": fake_params.to_dict()}

    orig = httpx.get
    httpx.get = lambda *a, **k: Fake()  # type: ignore[assignment]
    try:
        (tmp_path / "cred").write_text("07" * 32)
        result = runner.invoke(app, ["vote", "--credential", str(tmp_path / "cred"), "--choose",
                                     "a", "--then", "cast", "--server", "http://testserver",
                                     "--election", EID, "--fingerprint",
                                     short_code(real.fingerprint)])  # fmt: skip
    finally:
        httpx.get = orig
    assert result.exit_code == 2 and "not the parameters on your letter" in " ".join(
        result.output.split()
    )
    assert "tracking code" not in result.output


def test_the_authority_writes_a_letter_in_each_voters_language(
    wired: tuple[str, TestClient], tmp_path: Path
) -> None:
    url, client = wired
    simulate_ceremony(Database.open(url), EID, ["CEC"], 1)
    doc = client.get(f"/api/elections/{EID}/remote/parameters").json()
    (tmp_path / "params.json").write_text(json.dumps(doc))
    fp = short_code(ElectionParams.from_dict(doc["params"]).fingerprint)
    (tmp_path / "voters.csv").write_text("22222222222222,ky\n11111111111111,ru\n33333333333333,kk\n44444444444444,en\n")  # fmt: skip
    ok(["credentials", "make", "--key", str(tmp_path / "ca.key"), "--params",
        str(tmp_path / "params.json"), "--voters", str(tmp_path / "voters.csv"), "--name", "Т",
        "--out", str(tmp_path / "ca")])  # fmt: skip
    letters = [p.read_text() for p in sorted((tmp_path / "ca" / "letters").glob("*.txt"))]
    words = ["Жашыруун ачкычыңыз", "Ваш секретный ключ", "Құпия кілтіңіз", "Your secret credential"]
    for text, word in zip(letters, words, strict=True):
        assert word in text and fp in text
    svg = (tmp_path / "ca" / "letters" / "000001.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    numbers = json.loads((tmp_path / "ca" / "voters.json").read_text())
    assert numbers == sorted(numbers) and len(numbers) == 4  # no link to the list's order
    parts = json.loads((tmp_path / "ca" / "public-list.json").read_text())
    assert len(parts[0]["credentials"]) == 4 and not any(n in json.dumps(parts) for n in numbers)
