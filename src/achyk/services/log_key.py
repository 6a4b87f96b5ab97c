"""The log's signing key: a key file the database never sees, pinned, changed only on the record.

Where the key is, in order: ``$ACHYK_LOG_KEY`` (a key file, or later an HSM/KMS behind
:class:`achyk.ledger.signer.NoteSigner`); else ``log-<election>.key`` in ``$ACHYK_KEY_DIR``; else in
``achyk-keys/`` beside the SQLite file (or in the working directory, for PostgreSQL). A missing
key file is created with mode 0600 (its folder 0700) on the log's first entry; an existing one
that group or others may read is refused, since whoever reads it can sign checkpoints.

The database keeps only the log's *public* key (``signing_keys.vkey``): a key file holding any
other key is refused, so a key is never changed silently. Changing it is :func:`rotate_log_key`,
an entry on the log itself, whose checkpoint the old key signs.

A database made before the key left it holds the secret in ``signing_keys.secret``; it is moved
to the key file on first use and erased from the table (same key: the log stays verifiable).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from achyk.errors import AchykError
from achyk.ledger.note import NoteError, format_signer_key, parse_signer_key, raw_public_key
from achyk.ledger.signer import Ed25519KeySigner, NoteSigner, signer_vkey
from achyk.store.ledger_repo import stored_key
from achyk.store.models import SigningKeyRow
from achyk.store.timestamps import now

KEY_DIR = "achyk-keys"


class KeyFileError(AchykError):
    """A key file is missing, unreadable, open to others, or holds the wrong key."""


def key_dir(database_path: str | None) -> Path:
    """Where generated key files go: $ACHYK_KEY_DIR, else beside the SQLite file, else here."""
    explicit = os.environ.get("ACHYK_KEY_DIR")
    if explicit:
        return Path(explicit)
    if database_path and database_path != ":memory:":
        return Path(database_path).resolve().parent / KEY_DIR
    return Path(KEY_DIR)


def log_key_path(election_id: str, database_path: str | None) -> Path:
    explicit = os.environ.get("ACHYK_LOG_KEY")
    if explicit:
        return Path(explicit)
    return key_dir(database_path) / f"log-{election_id}.key"


_read: dict[tuple[str, int, int], Ed25519KeySigner] = {}


def require_private(path: Path, what: str, power: str) -> os.stat_result:
    """Its status, if the file is there and neither group nor others may read or write it."""
    try:
        info = path.stat()
    except OSError as err:
        raise KeyFileError(f"{what} {path}: {err.strerror or err}") from None
    if info.st_mode & 0o077:
        raise KeyFileError(
            f"{what} {path} is open to group or others (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"whoever reads it can {power}; make it the owner's alone (chmod 600 {path})"
        )
    return info


def read_key_file(path: Path) -> Ed25519KeySigner:
    """The signer in a C2SP signer-key file; refused if group or others can read or write it."""
    info = require_private(path, "log key file", "sign the log's checkpoints")
    cache_key = (str(path), info.st_ino, info.st_mtime_ns)
    found = _read.get(cache_key)
    if found is None:
        try:
            name, key = parse_signer_key(path.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError, NoteError) as err:
            raise KeyFileError(f"log key file {path}: not a signer key ({err})") from None
        found = _read[cache_key] = Ed25519KeySigner(name, key)
    return found


def write_key_file(path: Path, signer_key_text: str) -> bool:
    """Create the key file, mode 0600, only if it does not exist; False if it already did."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(signer_key_text + "\n")
        f.flush()
        os.fsync(f.fileno())
    return True


def database_path(session: Session) -> str | None:
    """The SQLite file behind the session, None for a server database."""
    url = session.get_bind().engine.url
    return url.database if url.get_backend_name() == "sqlite" else None


def log_signer(
    session: Session, name: str, election_id: str, new_name: Callable[[bytes], str] | None = None
) -> NoteSigner:
    """The log's signer, checked against the public key the database pins for ``name``.

    ``new_name(public key)`` names a key generated for a new log (its origin); by default
    ``name``. A log begun before keys were pinned under ``log/ELECTION`` is found under its old
    row, ``achyk/ELECTION``.
    """
    row = stored_key(session, name) or stored_key(session, f"achyk/{election_id}")
    database_path_ = database_path(session)
    path = log_key_path(election_id, database_path_)
    if not path.exists():
        if os.environ.get("ACHYK_LOG_KEY"):
            raise KeyFileError(f"log key file {path} (ACHYK_LOG_KEY) does not exist")
        if row is not None and row.secret:
            legacy = row.secret  # made before the key left the database: moved out, same key
        elif row is not None:
            raise KeyFileError(
                f"log key file {path} is missing; this log's checkpoints are signed by "
                f"{row.vkey}: restore its key file there (or set ACHYK_LOG_KEY)"
            )
        else:
            fresh = Ed25519PrivateKey.generate()
            key_name = new_name(raw_public_key(fresh.public_key())) if new_name else name
            legacy = format_signer_key(key_name, fresh)
        write_key_file(path, legacy)  # a concurrent first writer may win: read what is there
    signer = read_key_file(path)
    vkey = signer_vkey(signer)
    if row is None:
        session.add(SigningKeyRow(name=name, secret="", vkey=vkey, created_at=now()))
    elif row.vkey != vkey:
        raise KeyFileError(
            f"log key file {path} holds {vkey}, but this log's checkpoints are signed by "
            f"{row.vkey}; a log key is changed only by `achyk election rotate-log-key`, on the record"
        )
    elif row.secret:
        row.secret = ""  # the key file holds it now
    return signer


def replace_key_file(path: Path, signer_key_text: str) -> None:
    """Put a new key in place of the old, atomically, mode 0600; the old is kept beside it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    write_key_file(fresh, signer_key_text)
    if path.exists():
        os.replace(path, path.with_name(f"{path.name}.before-{now():%Y%m%dT%H%M%S}"))
    os.replace(fresh, path)
