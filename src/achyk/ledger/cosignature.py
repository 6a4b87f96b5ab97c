"""C2SP witness cosignatures, Ed25519 ``cosignature/v1`` (https://c2sp.org/tlog-cosignature).

A witness that has checked a checkpoint's consistency adds one signed-note line to it::

    — <witness name> base64(key ID || timestamp || Ed25519 signature)

* key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] (signature type 0x04);
* timestamp = POSIX seconds as a big-endian uint64, at most 2**63 - 1;
* the signed message is ``"cosignature/v1\\n" + "time <timestamp>\\n"`` followed by the whole
  checkpoint body (its note text, without signature lines).

Witness public keys travel as vkeys with signature type 0x04.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.ledger.checkpoint import Checkpoint, CheckpointError, parse_body
from achyk.ledger.note import (
    Ed25519Verifier,
    NoteError,
    NoteSignature,
    check_key_name,
    format_vkey,
    key_id,
    parse_note,
    parse_vkey,
    raw_public_key,
)

ALG_COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1


class CosignatureError(NoteError):
    """A cosignature is missing, malformed, from an unknown witness, or does not verify."""


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a witness signs: header line, time line, then the checkpoint body."""
    _check_timestamp(timestamp)
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key, with the name its cosignature lines carry."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise CosignatureError(f"witness {self.name}: public key is not 32 bytes")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, ALG_COSIGNATURE_V1, self.public_key)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, ALG_COSIGNATURE_V1, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> WitnessKey:
        name, alg, public_key = parse_vkey(vkey)
        if alg != ALG_COSIGNATURE_V1:
            raise CosignatureError(f"witness key for {name}: signature type {alg:#04x} is not 0x04")
        return cls(name, public_key)

    @classmethod
    def from_private_key(cls, name: str, private_key: Ed25519PrivateKey) -> WitnessKey:
        return cls(name, raw_public_key(private_key.public_key()))


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, when, and the checkpoint they vouched for."""

    witness: str
    timestamp: int
    checkpoint: Checkpoint


def cosign(
    checkpoint_text: str, witness_name: str, private_key: Ed25519PrivateKey, timestamp: int
) -> str:
    """The cosignature line (ending in a newline) to append to the signed checkpoint note.

    ``checkpoint_text`` is the signed checkpoint (or its bare body); only the body is signed.
    """
    body = _body_of(checkpoint_text)
    message = cosignature_message(body, timestamp)
    kid = key_id(witness_name, ALG_COSIGNATURE_V1, raw_public_key(private_key.public_key()))
    raw = timestamp.to_bytes(8, "big") + private_key.sign(message)
    return NoteSignature(witness_name, kid, raw).line()


def _body_of(checkpoint_text: str) -> str:
    text = parse_note(checkpoint_text).text if "\n\n" in checkpoint_text else checkpoint_text
    parse_body(text)  # refuse to sign or check anything that is not a checkpoint
    return text


def parse_cosignature(sig: NoteSignature) -> tuple[int, bytes]:
    """Split a type-0x04 signature into (timestamp, Ed25519 signature)."""
    if len(sig.signature) != 8 + 64:
        raise CosignatureError(
            f"cosignature by {sig.name} is {len(sig.signature)} bytes, not 8 + 64"
        )
    timestamp = int.from_bytes(sig.signature[:8], "big")
    _check_timestamp(timestamp)
    return timestamp, sig.signature[8:]


def verify_cosignature(checkpoint_text: str, witness: WitnessKey | str) -> Cosignature:
    """Find and check ``witness``'s cosignature on a signed checkpoint note.

    Lines from other keys are ignored; a line with the witness's name and key ID that does not
    verify is an error, and so is the absence of any such line.
    """
    key = WitnessKey.from_vkey(witness) if isinstance(witness, str) else witness
    try:
        note = parse_note(checkpoint_text)
        cp = parse_body(note.text)
    except (NoteError, CheckpointError) as exc:
        raise CosignatureError(f"cosigned checkpoint is malformed: {exc}") from exc
    verifier = Ed25519Verifier(key.name, key.public_key)
    found: Cosignature | None = None
    for sig in note.signatures:
        if sig.name != key.name or sig.key_id != key.key_id:
            continue
        timestamp, ed_sig = parse_cosignature(sig)
        if not verifier.verify(cosignature_message(note.text, timestamp), ed_sig):
            raise CosignatureError(f"cosignature by {key.name} at time {timestamp} does not verify")
        if found is None or timestamp > found.timestamp:
            found = Cosignature(key.name, timestamp, cp)
    if found is None:
        raise CosignatureError(f"checkpoint carries no cosignature by witness {key.name}")
    return found
