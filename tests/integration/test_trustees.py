"""The distributed key ceremony end to end: five trustees in five processes, each with its own key
directory, the server only relaying and logging; three of them decrypt from the published record;
`achyk verify` accepts the result; and no file the server writes and no database row holds a
trustee's secret (auxiliary key, polynomial, share received, key share) or a voter's credential.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.crypto.group import SECP256K1 as G
from achyk.evoting import credentials
from achyk.evoting.authority import authority_public_key, new_authority_key, sign_list
from achyk.evoting.ballot import encrypt_ballot, seal_audit, seal_cast, submission
from achyk.services.elections import load_election
from achyk.services.protocols import submit_protocol
from achyk.services.publish import publish_record
from achyk.services.remote.simulation import add_remote_unit
from achyk.services.remote.voting import cast_ballots, remote_info
from achyk.store.database import Database
from achyk.verify.record import verify_record
from factories import election, envelope, protocol_doc

EID = "test-2025"
NAMES = ("CEC", "Party A", "Party B", "OSCE/ODIHR", "CIS")
ACHYK = str(Path(sys.executable).parent / "achyk")
runner = CliRunner()


def server(args: list[str], url: str) -> str:
    result = runner.invoke(app, [*args, "--database", url])
    assert result.exit_code == 0, (result.output, result.exception)
    return " ".join(result.output.split())


def trustees(step: list[list[str]]) -> list[str]:
    """Run one command per trustee, each its own process, all at once."""
    procs = [subprocess.Popen([ACHYK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for args in step]  # fmt: skip
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, (out, err)
        outs.append(out)
    return outs


@pytest.mark.slow
def test_five_trustees_in_five_processes(tmp_path: Path) -> None:
    srv = tmp_path / "server"
    srv.mkdir()
    url = f"sqlite:///{srv / 'achyk.db'}"
    db = Database.open(url)
    ca = new_authority_key()  # the credential authority's machine: not the server
    e = replace(add_remote_unit(election()), credential_authority=authority_public_key(ca))
    load_election(db, e)
    submit_protocol(db, EID, envelope(protocol_doc()), "test")  # a station, so results exist
    with db.read() as s:
        base = s.execute(text("SELECT definition_hash FROM elections")).scalar_one()
    dirs = [tmp_path / f"trustee-{i}" for i in range(1, 6)]

    trustees([["trustee", "init", "--dir", str(d), "--election", EID, "--definition-hash", base,
               "--index", str(i), "--name", n] for i, (d, n) in enumerate(zip(dirs, NAMES, strict=True), 1)])  # fmt: skip
    server(["remote", "ceremony-open", "--quorum", "3",
            *[a for d in dirs for a in ("--announcement", str(d / "announcement.json"))]], url)  # fmt: skip
    state = tmp_path / "ceremony.json"  # public: what the server serves to the trustees
    server(["remote", "ceremony-state", "--out", str(state)], url)
    trustees([["trustee", "deal", "--dir", str(d), "--ceremony", str(state)] for d in dirs])
    polynomials = [json.loads((d / "polynomial.json").read_text()) for d in dirs]
    server(["remote", "ceremony-post",
            *[a for d in dirs for a in ("--dealing", str(d / "dealing.json"))]], url)  # fmt: skip
    server(["remote", "ceremony-state", "--out", str(state)], url)
    trustees([["trustee", "receive", "--dir", str(d), "--ceremony", str(state)] for d in dirs])
    assert "5 trustees, quorum 3" in server(["remote", "setup"], url)

    # The credential authority makes four credentials; the server imports the signed list.
    params = remote_info(db, EID).params
    seeds = [credentials.new_seed() for _ in range(4)]
    parts = sign_list(
        ca, EID, params.fingerprint, [credentials.public_credential(x) for x in seeds]
    )
    (tmp_path / "list.json").write_text(json.dumps(parts))
    server(["remote", "credentials", "--list", str(tmp_path / "list.json")], url)

    def cast(option: int, seed: bytes, counter: int = 1) -> object:
        b = encrypt_ballot(params, {"list": tuple(int(i == option) for i in range(4))}).ballot
        return submission(params, b, seal_cast(params, b, seed, counter))

    audit = encrypt_ballot(params, {"list": (0, 0, 1, 0)})
    items = [submission(params, audit.ballot, seal_audit(params, audit), audit.opening)]
    items += [cast(0, seeds[0]), cast(1, seeds[1]), cast(1, seeds[2]), cast(3, seeds[3]),
              cast(2, seeds[0], 2)]  # voter 0 changes their mind  # fmt: skip
    assert all(r.accepted for r in cast_ballots(db, EID, items))

    server(["remote", "close"], url)
    publish_record(db, EID, srv / "record")
    shares = [tmp_path / f"share-{i}.json" for i in (1, 3, 5)]
    trustees([["trustee", "decrypt", "--dir", str(dirs[i - 1]), "--record", str(srv / "record"),
               "--out", str(s)] for i, s in zip((1, 3, 5), shares, strict=True)])  # fmt: skip
    out = server(["remote", "tally", *[a for s in shares for a in ("--share", str(s))]], url)
    assert "4 ballots counted of 6 on the board (1 audited), trustees [1, 3, 5]" in out
    assert "list: 0, 2, 1, 1" in out
    publish_record(db, EID, srv / "record-final")
    report = verify_record(str(srv / "record-final"))
    assert report.ok, [c for c in report.checks if not c[1]]

    # No secret of a trustee or a voter anywhere on the server: files, database rows.
    secrets: list[str] = []
    for i, d in enumerate(dirs, 1):
        me = json.loads((d / "trustee.json").read_text())
        secrets += [me["aux"], json.loads((d / "key.json").read_text())["share"]]
        secrets += polynomials[i - 1]
        coeffs = [int(c, 16) for c in polynomials[i - 1]]
        for j in range(1, 6):  # the share f_i(j) sent (encrypted) to trustee j
            secrets.append(f"{sum(c * j**k for k, c in enumerate(coeffs)) % G.order:064x}")
    secrets += [x.hex() for x in seeds]
    blobs = [p.read_bytes() for p in srv.rglob("*") if p.is_file()]
    with db.read() as s:
        for table in inspect(s.get_bind()).get_table_names():
            blobs.append(str(list(s.execute(text(f'SELECT * FROM "{table}"')))).encode())
    for secret in secrets:
        for form in (secret.encode(), bytes.fromhex(secret)):
            assert not any(form in b for b in blobs), f"a secret reached the server: {secret[:8]}…"
