"""The log's signing key lives in a key file, never in the database (issue 18, defect 3).

Before: the private key sat in ``signing_keys.secret`` unless ACHYK_LOG_KEY was set, so whoever
could read the database could sign a checkpoint that verifies; setting ACHYK_LOG_KEY on an
existing database silently changed the key and broke verification; SQLite files and key files
readable by everyone were accepted without a word.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from achyk.ledger import verify_checkpoint
from achyk.ledger.note import NoteError, format_signer_key, parse_signer_key
from achyk.ledger.signer import Ed25519KeySigner, signer_vkey
from achyk.services.elections import load_election
from achyk.services.ledger import (
    checkpoint_history,
    latest_checkpoint,
    log_size,
    log_vkey,
    rotate_log_key,
)
from achyk.services.log_key import KeyFileError, log_key_path
from achyk.services.protocols import submit_protocol
from achyk.services.publish import publish
from achyk.services.register import SecretMissing, load_secret
from achyk.store.database import Database
from achyk.store.models import SigningKeyRow
from achyk.verify.record import verify_record
from factories import election, envelope, protocol_doc

EID = "test-2025"


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "keys"
    monkeypatch.setenv("ACHYK_KEY_DIR", str(folder))
    monkeypatch.delenv("ACHYK_LOG_KEY", raising=False)
    return folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_file(path: Path, m: int = 0o600, name: str = f"achyk/{EID}") -> Path:
    path.write_text(format_signer_key(name, Ed25519PrivateKey.generate()) + "\n")
    path.chmod(m)
    return path


def test_the_database_holds_no_key_that_can_sign(db: Database, keys: Path) -> None:
    load_election(db, election())
    with db.read() as s:
        rows = s.execute(select(SigningKeyRow.secret, SigningKeyRow.vkey)).all()
    assert rows and all(secret == "" for secret, _ in rows)
    for secret, _ in rows:  # nothing in the table parses as a signer key
        with pytest.raises(NoteError):
            parse_signer_key(secret)
    path = keys / f"log-{EID}.key"
    material = path.read_text().strip().split("+", 4)[4]  # base64 may hold "+" itself
    if db.dialect == "sqlite":  # not anywhere in the file either, nor its write-ahead log
        db.close()
        url = str(db.engine.url.database)
        for f in (Path(url), Path(url + "-wal")):
            assert not f.exists() or material.encode() not in f.read_bytes()
    assert (mode(path), mode(keys)) == (0o600, 0o700)
    assert signer_vkey(Ed25519KeySigner(*parse_signer_key(path.read_text().strip()))) == log_vkey(
        db, EID
    )
    assert verify_checkpoint(latest_checkpoint(db, EID) or "", log_vkey(db, EID))


def test_sqlite_files_are_the_owners_alone(tmp_path: Path, keys: Path) -> None:
    old = os.umask(0o022)
    try:
        db = Database.open(f"sqlite:///{tmp_path / 'new.db'}")
        load_election(db, election())
    finally:
        os.umask(old)
    for f in tmp_path.glob("new.db*"):
        assert mode(f) == 0o600, f
    db.close()


def test_a_key_file_others_can_read_is_refused(db: Database, keys: Path) -> None:
    keys.mkdir(mode=0o700)
    key_file(keys / f"log-{EID}.key", 0o644)
    with pytest.raises(KeyFileError, match=r"open to group or others \(mode 0644\).*chmod 600"):
        load_election(db, election())
    assert log_size(db, EID) == 0  # nothing appended, nothing half-done


def test_another_key_on_an_existing_log_is_refused_not_rotated(
    db: Database, keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_election(db, election())
    before = log_vkey(db, EID)
    monkeypatch.setenv("ACHYK_LOG_KEY", str(key_file(tmp_path / "other.key")))
    with pytest.raises(KeyFileError, match="changed only by `achyk election rotate-log-key`"):
        submit_protocol(db, EID, envelope(protocol_doc()), "p.json")
    monkeypatch.delenv("ACHYK_LOG_KEY")
    assert log_vkey(db, EID) == before and log_size(db, EID) == 1
    # Nor is a missing key file silently replaced by a new key.
    (keys / f"log-{EID}.key").unlink()
    with pytest.raises(KeyFileError, match="is missing"):
        submit_protocol(db, EID, envelope(protocol_doc()), "p.json")


def test_a_rotation_is_on_the_record_and_the_record_still_verifies(
    db: Database, keys: Path, tmp_path: Path
) -> None:
    load_election(db, election())
    submit_protocol(db, EID, envelope(protocol_doc()), "p1.json")
    old = log_vkey(db, EID)
    new_file = key_file(tmp_path / "new.key")
    with pytest.raises(KeyFileError, match="needs a reason"):
        rotate_log_key(db, EID, new_file, " ")
    rotation = rotate_log_key(db, EID, new_file, "scheduled rotation, CEC decree 7")
    assert (rotation.previous, rotation.index) == (old, 2)
    assert log_vkey(db, EID) == rotation.key != old
    submit_protocol(db, EID, envelope(protocol_doc(station="1002")), "p2.json")
    history = dict(checkpoint_history(db, EID))
    verify_checkpoint(history[2], old)
    verify_checkpoint(history[3], old)  # the hand-over: signed by both keys
    verify_checkpoint(history[3], rotation.key)
    verify_checkpoint(history[4], rotation.key)
    publish(db, EID, tmp_path / "record")
    report = verify_record(str(tmp_path / "record"))
    assert report.ok, [c for c in report.checks if not c[1]]
    # The old key file was kept beside the new one, which the log now requires.
    assert len(list(keys.glob(f"log-{EID}.key.before-*"))) == 1
    assert mode(keys / f"log-{EID}.key") == 0o600


def test_a_key_left_in_an_old_database_is_moved_out(db: Database, keys: Path) -> None:
    load_election(db, election())
    path = keys / f"log-{EID}.key"
    secret = path.read_text().strip()
    with db.session() as s:  # as a database made before this change held it
        s.execute(text("UPDATE signing_keys SET secret = :s WHERE name = :n"),
                  {"s": secret, "n": f"log/{EID}"})  # fmt: skip
    path.unlink()
    submit_protocol(db, EID, envelope(protocol_doc()), "p.json")
    assert path.read_text().strip() == secret and mode(path) == 0o600
    with db.read() as s:
        assert (
            s.scalar(select(SigningKeyRow.secret).where(SigningKeyRow.name == f"log/{EID}")) == ""
        )


def test_a_register_secret_others_can_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "register.secret"
    secret.write_bytes(b"0123456789abcdef0123")
    secret.chmod(0o640)
    with pytest.raises(SecretMissing, match="chmod 600"):
        load_secret(secret)
    secret.chmod(0o600)
    assert load_secret(secret) == b"0123456789abcdef0123"


def test_the_key_path_follows_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACHYK_KEY_DIR", raising=False)
    monkeypatch.delenv("ACHYK_LOG_KEY", raising=False)
    assert log_key_path("e", str(tmp_path / "x.db")) == tmp_path / "achyk-keys" / "log-e.key"
    monkeypatch.setenv("ACHYK_LOG_KEY", "/hsm/log.key")
    assert log_key_path("e", str(tmp_path / "x.db")) == Path("/hsm/log.key")


def test_the_rotation_command(sqlite_db: Database, keys: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from achyk.cli.main import app

    load_election(sqlite_db, election())
    url = str(sqlite_db.engine.url)
    new = key_file(tmp_path / "new.key")
    args = ["election", "rotate-log-key", "--key", str(new), "--database", url]
    result = CliRunner().invoke(app, [*args, "--reason", "annual rotation"])
    assert result.exit_code == 0, result.output
    assert "log entry 1: the log key of test-2025 is now" in result.output
    assert log_vkey(sqlite_db, EID) == signer_vkey(
        Ed25519KeySigner(*parse_signer_key(new.read_text().strip()))
    )
