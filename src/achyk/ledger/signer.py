"""Who signs the log's checkpoints: a small interface, so the key can live in a file or an HSM.

The server never needs the log's private key itself, only something that signs: a key file on the
server (:class:`Ed25519KeySigner`), or a hardware security module or cloud KMS behind the same
three members. Signed notes need the signer's name and raw Ed25519 public key (for the key ID,
C2SP signed-note) and a signature over the note's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.ledger.note import (
    ALG_ED25519,
    NoteSignature,
    check_key_name,
    check_text,
    format_vkey,
    key_id,
    raw_public_key,
)


class NoteSigner(Protocol):
    """Signs notes as ``name`` with an Ed25519 key whose raw public key is ``public_key``."""

    @property
    def name(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Ed25519KeySigner:
    """A signer holding its private key in memory (read from a key file)."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self.private_key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def signer_vkey(signer: NoteSigner) -> str:
    """The verifier key (C2SP vkey) of a signer."""
    return format_vkey(signer.name, ALG_ED25519, signer.public_key)


def sign_note_by(text: str, *signers: NoteSigner) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer (at least one)."""
    check_text(text)
    if not signers:
        raise ValueError("a signed note needs a signer")
    lines = []
    for signer in signers:
        check_key_name(signer.name)
        kid = key_id(signer.name, ALG_ED25519, signer.public_key)
        lines.append(NoteSignature(signer.name, kid, signer.sign(text.encode())).line())
    return text + "\n" + "".join(lines)
