"""The log over HTTP: cache headers, gzip for entry bundles, checkpoint listing; a bad UTF-8 byte
in a checkpoint is a named failure for verify and the monitor; monitor and witness take pins;
`achyk trust export` writes the trust file verify accepts."""

from __future__ import annotations

import gzip
import json
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.cli.main import app as cli
from achyk.ledger import Ed25519Verifier
from achyk.ledger.tiles import tile_for
from achyk.ledger.trust import check_origin, parse_trust
from achyk.services import ledger
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.monitor import check_once
from achyk.verify.record import verify_record
from live_server import serving

runner = CliRunner()


def fetch(url: str, gz: bool = False) -> tuple[bytes, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gz else {})
    with urllib.request.urlopen(req) as r:
        return r.read(), {k.lower(): v for k, v in r.headers.items()}


def test_http_headers_gzip_and_pins(db: Database, tmp_path: Path) -> None:
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    origin = ledger.log_origin(db, eid)
    check_origin(origin)  # HOST/PATH, unique per log: it names the log's own key
    assert origin.startswith(f"achyk.local/{eid}/")
    with serving(create_app(db=db)) as base:
        url = f"{base}/api/elections/{eid}"
        _, h = fetch(f"{url}/log/checkpoint")
        assert h["cache-control"] == "public, max-age=5"
        size = ledger.log_size(db, eid)
        partial = tile_for(0, size - 1, size)  # (full tiles: tests/ledger/test_live_tiles.py)
        _, h = fetch(f"{url}/log/{partial.path}")
        assert h["cache-control"] == "public, max-age=5"  # partial: replaced as the log grows
        plain, h = fetch(f"{url}/log/{partial.entries_path}")
        assert "content-encoding" not in h
        zipped, h = fetch(f"{url}/log/{partial.entries_path}", gz=True)
        assert h["content-encoding"] == "gzip" and gzip.decompress(zipped) == plain
        listing, _ = fetch(f"{url}/log/checkpoints/")
        sizes = [int(n) for n in listing.decode().split()]
        assert sizes == sorted(sizes) and sizes[-1] == ledger.log_size(db, eid)

        # trust export → verify --trust over HTTP; monitor and witness pinned
        trust_file = tmp_path / "trust.json"
        database = str(db.engine.url.render_as_string(hide_password=False))
        out = runner.invoke(cli, ["trust", "export", "--out", str(trust_file),
                                  "--database", database, "--election", eid])  # fmt: skip
        if "postgresql" not in database:  # the CLI opens its own engine on the test's schema
            assert out.exit_code == 0, out.output
            trust = parse_trust(trust_file.read_bytes())
            assert trust.origin == origin and trust.log_key == ledger.log_vkey(db, eid)
            ok = runner.invoke(cli, ["verify", url, "--trust", str(trust_file), "--workers", "1"])
            assert ok.exit_code == 0 and "WARN" not in ok.output, ok.output
        vkey = ledger.log_vkey(db, eid)
        other = Ed25519Verifier.from_private_key(origin, Ed25519PrivateKey.generate()).vkey
        assert check_once(url, tmp_path / "m1.json", vkey, origin).ok
        wrong = check_once(url, tmp_path / "m2.json", other, origin)
        assert not wrong.ok and "does not verify" in wrong.message
        tofu = check_once(url, tmp_path / "m3.json")
        assert tofu.ok and "WARN: trusted the record's own log key" in tofu.message
        bad = runner.invoke(cli, ["monitor", url, "--state", str(tmp_path / "m4.json"),
                                  "--log-key", other])  # fmt: skip
        assert bad.exit_code == 1 and "does not verify" in bad.output
        key = tmp_path / "w.key"
        runner.invoke(cli, ["witness-keygen", "--name", "w.example/w", "--out", str(key)])
        refused = runner.invoke(cli, ["witness", url, "--key", str(key), "--log-key", other,
                                      "--state", str(tmp_path / "w.json")])  # fmt: skip
        assert refused.exit_code == 1 and "does not verify" in refused.output

    # a bad UTF-8 byte in the checkpoint: a named failure, not a traceback
    record = tmp_path / "record"
    publish(db, eid, record)
    # the static record keeps the partial tiles of its earlier checkpointed sizes (tlog-tiles)
    assert verify_record(str(record)).ok
    for s in json.loads((record / "record.json").read_text())["checkpoints"]:
        assert (record / "log" / tile_for(0, s - 1, s).path).is_file(), s
    cp = record / "log" / "checkpoint"
    cp.write_bytes(cp.read_bytes().replace(b"\n", b"\n\xff", 1))
    report = verify_record(str(record))
    failed = {n: d for n, ok, d in report.checks if not ok}
    assert "log/checkpoint is not UTF-8" in failed["checkpoint signature"]
    caught = check_once(str(record), tmp_path / "m5.json", vkey)
    assert not caught.ok and "not UTF-8" in caught.message
    result = runner.invoke(cli, ["verify", str(record), "--workers", "1"])
    assert result.exit_code == 1 and "FAIL checkpoint signature" in result.output
    assert json.loads((record / "record.json").read_text())["origin"] == origin
