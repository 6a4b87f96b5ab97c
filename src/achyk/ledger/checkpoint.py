"""C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint).

A checkpoint is a signed note whose text is exactly::

    <origin>
    <tree size, decimal, no leading zeroes>
    <base64 of the 32-byte RFC 9162 root hash>
    [<extension line>...]

The log signs it with Ed25519 (signed-note signature type 0x01); witnesses may add
cosignatures (:mod:`achyk.ledger.cosignature`), which a log-key check ignores as unknown keys.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.errors import VerificationError
from achyk.ledger.merkle import HASH_SIZE
from achyk.ledger.note import (
    Ed25519Verifier,
    NoteError,
    b64decode_strict,
    ed25519_verifier,
    parse_note,
    sign_note,
    verify_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(VerificationError):
    """A checkpoint is malformed, or its signature is missing, unknown or wrong."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log's origin, the tree size and the root hash at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError(f"checkpoint origin {self.origin!r} is empty or multi-line")
        if self.size < 0:
            raise CheckpointError(f"checkpoint tree size {self.size} is negative")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root is {len(self.root)} bytes, not {HASH_SIZE}")
        for ext in self.extensions:
            if not ext or "\n" in ext:
                raise CheckpointError(f"checkpoint extension line {ext!r} is empty or multi-line")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(line + "\n" for line in (*lines, *self.extensions))


def parse_body(text: str) -> Checkpoint:
    """Read a checkpoint note text (without signatures)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint has {len(lines)} line(s); needs origin, size and root")
    origin, size_line, root_line, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint line 1 (origin) is empty")
    if not _SIZE.fullmatch(size_line):
        raise CheckpointError(f"checkpoint line 2 (tree size) {size_line!r} is not a decimal")
    try:
        root = b64decode_strict(root_line, "checkpoint line 3 (root hash)")
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"checkpoint line 3 (root hash) is {len(root)} bytes, not 32")
    for number, ext in enumerate(extensions, 4):
        if not ext:
            raise CheckpointError(f"checkpoint line {number} (extension) is empty")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint from a signed note (signatures are NOT checked) or from a bare body."""
    if "\n\n" in text:
        try:
            text = parse_note(text).text
        except NoteError as exc:
            raise CheckpointError(f"checkpoint note is malformed: {exc}") from exc
    return parse_body(text)


def sign_checkpoint(cp: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The full signed note text of ``cp``, signed by the log key ``name``."""
    return sign_note(cp.body(), name, private_key)


def verify_checkpoint(
    text: str, verifier_key: str | Ed25519Verifier, *, origin: str | None = None
) -> Checkpoint:
    """Check the log's Ed25519 signature on a checkpoint and return what it states.

    ``verifier_key`` is a vkey string or an :class:`Ed25519Verifier`; ``origin``, if given, must
    match the checkpoint's origin line. Other signature lines (e.g. cosignatures) are ignored.
    """
    verifier = ed25519_verifier(verifier_key) if isinstance(verifier_key, str) else verifier_key
    try:
        note, _ = verify_note(text, [verifier])
    except NoteError as exc:
        raise CheckpointError(f"checkpoint signed by {verifier.name}: {exc}") from exc
    cp = parse_body(note.text)
    if origin is not None and cp.origin != origin:
        raise CheckpointError(f"checkpoint origin {cp.origin!r} is not the expected {origin!r}")
    return cp
