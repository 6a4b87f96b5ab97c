"""Running the Go verifier (interop/) from the tests, and rewriting a record as its operator could."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from achyk.ledger import Checkpoint, MemoryTree, leaf_hash, sign_checkpoint
from achyk.ledger.note import parse_signer_key
from achyk.ledger.tiles import build_tiles, decode_entry_bundle, entry_bundles
from achyk.services.log_key import database_path, log_key_path
from achyk.store.database import Database

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "interop"
GO_ENV = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOPROXY": "off"}


def build_go_verifier(out: Path) -> Path:
    """Build interop/ into `out` with Debian's Go (one binary per test worker, so parallel
    workers never write the same file); skip without `go`, except under CI=true (a failure)."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but `go` is missing: run `make interop`")
        pytest.skip("`go` is missing (make interop installs golang-go)")
    env = {**os.environ, **GO_ENV}
    subprocess.run([go, "build", "-o", str(out), "."], cwd=INTEROP, env=env, check=True,
                   timeout=300)  # fmt: skip
    return out


def run_go(binary: Path, location: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *flags, location], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def go_failed(out: subprocess.CompletedProcess[str]) -> list[str]:
    return [line[5:] for line in out.stdout.splitlines() if line.startswith("FAIL ")]


def entries_of(record: Path) -> list[bytes]:
    out: list[bytes] = []
    for bundle in sorted((record / "log" / "tile" / "entries").rglob("*")):
        if bundle.is_file():
            out.extend(decode_entry_bundle(bundle.read_bytes()))
    return out


def rebuild(record: Path, entries: list[bytes], secret: str) -> None:
    """What an operator holding the log key does: new tiles, a new signed checkpoint."""
    shutil.rmtree(record / "log" / "tile")
    leaves = [leaf_hash(e) for e in entries]
    for path, data in (build_tiles(leaves) | entry_bundles(entries)).items():
        (record / "log" / path).parent.mkdir(parents=True, exist_ok=True)
        (record / "log" / path).write_bytes(data)
    name, key = parse_signer_key(secret)
    cp = Checkpoint(name, len(entries), MemoryTree(leaves).root())
    (record / "log" / "checkpoint").write_text(sign_checkpoint(cp, name, key))


def log_secret(db: Database, election: str) -> str:
    """The log's signing key, from its key file beside the SQLite database (a test holds the
    operator's powers)."""
    with db.read() as s:
        path = log_key_path(election, database_path(s))
    return path.read_text(encoding="utf-8").strip()


def forget_history(record: Path) -> None:
    """Keep only the re-signed latest checkpoint (the earlier ones a rewritten log no longer
    extends), so that only the check a case aims at can fail."""
    for old in (record / "log" / "checkpoints").iterdir():
        old.unlink()
    meta = json.loads((record / "record.json").read_text())
    latest = (record / "log" / "checkpoint").read_text()
    size = int(latest.splitlines()[1])
    (record / "log" / "checkpoints" / str(size)).write_text(latest)
    meta["checkpoints"], meta["size"] = [size], size
    (record / "record.json").write_text(json.dumps(meta))


def first(entries: list[bytes], kind: bytes) -> int:
    return next(i for i, e in enumerate(entries) if b'"kind":"' + kind + b'"' in e)


def trust_file(record: Path, log_key: str, witnesses: list[str], quorum: int) -> dict[str, object]:
    meta = json.loads((record / "record.json").read_text())
    first_entry = json.loads(entries_of(record)[0])
    return {
        "format": 1, "election": meta["election"],
        "definition_sha256": first_entry["definition_sha256"], "origin": meta["origin"],
        "log_key": log_key, "quorum": quorum,
        "witnesses": [{"name": w.split("+")[0], "key": w} for w in witnesses],
    }  # fmt: skip
