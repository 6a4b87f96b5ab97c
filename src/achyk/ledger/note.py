"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> <base64(4-byte key ID || signature)>``. The key ID of an Ed25519 key is
``SHA-256(name || 0x0A || 0x01 || public key)[:4]``. Keys travel as text:

* verifier key (vkey): ``<name>+<8 hex digits of key ID>+<base64(0x01 || public key)>``
* signer key: ``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || 32-byte seed)>``
  (the format of golang.org/x/mod/sumdb/note).

Verification fails closed: a signature line that names a known key (name and key ID) but does
not verify rejects the whole note, and a note with no verified signature from a known key is
rejected. Lines from unknown keys are ignored, as the specification requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from achyk.errors import VerificationError

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the specification requires accepting at least 16


class NoteError(VerificationError):
    """A signed note, key or signature is malformed, unknown or does not verify."""


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4], the key ID recommended by the spec."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name) or not name.isprintable():
        raise NoteError(f"key name {name!r} is empty or holds a space, a plus or a control char")


def b64decode_strict(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class NoteVerifier(Protocol):
    """One trusted key: its name, key ID, and a check of a signature over the note text."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """An Ed25519 note verifier (signature type 0x01)."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError(f"Ed25519 public key is {len(self.public_key)} bytes, not 32")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, ALG_ED25519, self.public_key)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, ALG_ED25519, self.public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def from_private_key(cls, name: str, private_key: Ed25519PrivateKey) -> Ed25519Verifier:
        return cls(name, raw_public_key(private_key.public_key()))


def format_vkey(name: str, alg: int, public_key: bytes) -> str:
    check_key_name(name)
    material = base64.b64encode(bytes([alg]) + public_key).decode()
    return f"{name}+{key_id(name, alg, public_key).hex()}+{material}"


def parse_vkey(vkey: str) -> tuple[str, int, bytes]:
    """Split a verifier key into (name, signature type, public key), checking its key ID."""
    parts = vkey.split("+", 2)  # base64 key material may itself hold "+"
    if len(parts) != 3:
        raise NoteError(f"verifier key {vkey!r} is not <name>+<key id>+<key>")
    name, hex_id, material = parts
    check_key_name(name)
    if len(hex_id) != 8 or hex_id != hex_id.lower():
        raise NoteError(f"verifier key {vkey!r}: key ID must be 8 lowercase hex digits")
    raw = b64decode_strict(material, f"verifier key {vkey!r}")
    if len(raw) < 2:
        raise NoteError(f"verifier key {vkey!r} holds no public key")
    alg, public_key = raw[0], raw[1:]
    try:
        expected = bytes.fromhex(hex_id)
    except ValueError as exc:
        raise NoteError(f"verifier key {vkey!r}: key ID is not hex") from exc
    if key_id(name, alg, public_key) != expected:
        raise NoteError(f"verifier key {vkey!r}: key ID does not match the name and key")
    return name, alg, public_key


def ed25519_verifier(vkey: str) -> Ed25519Verifier:
    name, alg, public_key = parse_vkey(vkey)
    if alg != ALG_ED25519:
        raise NoteError(f"verifier key for {name}: signature type {alg:#04x} is not Ed25519")
    return Ed25519Verifier(name, public_key)


def format_signer_key(name: str, private_key: Ed25519PrivateKey) -> str:
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    kid = key_id(name, ALG_ED25519, raw_public_key(private_key.public_key()))
    material = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{kid.hex()}+{material}"


def parse_signer_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Read ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>``; check the key ID."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signer key is not PRIVATE+KEY+<name>+<key id>+<key>")
    name, hex_id, material = parts[2:]
    check_key_name(name)
    raw = b64decode_strict(material, "signer key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("signer key is not an Ed25519 seed")
    private_key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    if key_id(name, ALG_ED25519, raw_public_key(private_key.public_key())).hex() != hex_id:
        raise NoteError("signer key: key ID does not match the name and key")
    return name, private_key


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return (
            f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"
        )


@dataclass(frozen=True)
class Note:
    """A note text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text holds a control character other than newline")


def parse_note(message: str) -> Note:
    """Split a signed note into its text and signature lines (no signature is checked)."""
    if any(ord(c) < 0x20 and c != "\n" for c in message):
        raise NoteError("malformed note: control character other than newline")
    cut = message.rfind("\n\n")
    if cut < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = message[: cut + 1], message[cut + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: the signature block does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures = []
    for number, line in enumerate(lines, 1):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed note: signature line {number} does not start with '— '")
        name, space, encoded = line[len(SIG_PREFIX) :].partition(" ")
        if not space:
            raise NoteError(f"malformed note: signature line {number} has no signature")
        check_key_name(name)
        raw = b64decode_strict(encoded, f"signature line {number}")
        if len(raw) < 5:
            raise NoteError(f"malformed note: signature line {number} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``text``, a blank line, one Ed25519 signature line by ``name``."""
    return text + "\n" + ed25519_signature(text, name, private_key).line()


def ed25519_signature(text: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    check_text(text)
    check_key_name(name)
    kid = key_id(name, ALG_ED25519, raw_public_key(private_key.public_key()))
    return NoteSignature(name, kid, private_key.sign(text.encode()))


def verify_note(message: str, verifiers: Iterable[NoteVerifier]) -> tuple[Note, list[str]]:
    """Open a signed note; return it with the names of the known keys whose signatures verify."""
    note = parse_note(message)
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise NoteError(f"ambiguous key {v.name}+{v.key_id.hex()}")
        known[(v.name, v.key_id)] = v
    data = note.text.encode()
    verified: list[str] = []
    for sig in note.signatures:
        match = known.get((sig.name, sig.key_id))
        if match is None:
            continue
        if not match.verify(data, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}")
        verified.append(sig.name)
    if not verified:
        raise NoteError("note has no verifiable signature from a known key")
    return note, verified
