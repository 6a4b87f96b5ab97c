"""Ed25519 signatures over canonical JSON, with a purpose string for domain separation.

Signing `purpose + "\\n" + RFC 8785 bytes` means a signature made for one kind of document (a station
protocol) can never be replayed as another (a correction).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from achyk.canonical import canonical_json
from achyk.errors import SignatureError

PROTOCOL_PURPOSE = "achyk/protocol/v1"
CORRECTION_PURPOSE = "achyk/correction/v1"


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """A deterministic key from any seed bytes (simulations and tests only)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as err:
        raise SignatureError(f"not an Ed25519 public key: {err}") from None


def signed_message(purpose: str, doc: Any) -> bytes:
    return purpose.encode() + b"\n" + canonical_json(doc)


def sign(key: Ed25519PrivateKey, purpose: str, doc: Any) -> str:
    return base64.b64encode(key.sign(signed_message(purpose, doc))).decode()


def verify(public_key: Ed25519PublicKey | str, purpose: str, doc: Any, signature: str) -> None:
    """Raise SignatureError unless `signature` is the key's signature of (purpose, doc)."""
    verify_canonical(public_key, purpose, canonical_json(doc), signature)


# Decoded once per key (devices sign again and again), and bounded: a server that runs for
# several elections keeps the last few hundred thousand devices' keys (the xl profile has 200,000).
@functools.lru_cache(maxsize=1 << 18)
def raw_public_key(b64: str) -> bytes:
    """A public key as its 32 raw bytes, by its base64: libsodium takes the bytes, and an OpenSSL
    key object is built only when libsodium refuses (`ed25519_verifies`), never for each
    protocol. SignatureError if `b64` is not a key."""
    try:
        raw = binascii.a2b_base64(b64, strict_mode=True)  # b64decode(…, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:  # not a key: load_public_key names what is wrong, as ever
        raw = load_public_key(b64).public_bytes_raw()
    return raw


# The purpose's line of the signed message, encoded once.
_prefixes: dict[str, bytes] = {}


def verify_canonical(
    public_key: Ed25519PublicKey | str, purpose: str, canonical: bytes, signature: str
) -> None:
    """`verify` for a document already in canonical bytes."""
    key = raw_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        # base64.b64decode(signature, validate=True), without its Python layer: the same
        # strict alphabet and padding; a str beyond ASCII is a ValueError either way.
        raw = binascii.a2b_base64(signature, strict_mode=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is not valid base64") from None
    if len(raw) != 64:
        raise SignatureError(f"an Ed25519 signature is 64 bytes, got {len(raw)}")
    prefix = _prefixes.get(purpose)
    if prefix is None:
        prefix = _prefixes[purpose] = purpose.encode() + b"\n"
    if not ed25519_verifies(key, raw, prefix + canonical):
        raise SignatureError("signature does not verify")


def ed25519_verifies(key: Ed25519PublicKey | bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is the key's (a key object or its 32 raw bytes) over `message`.

    libsodium verifies in half the time OpenSSL takes (it is most of examining a protocol). It
    is stricter (it also refuses small-order keys and points), never laxer, so what it accepts
    OpenSSL accepts; what it refuses is asked of OpenSSL too: the verdict is always OpenSSL's.
    """
    raw_key = key if isinstance(key, bytes) else key.public_bytes_raw()
    if len(signature) == 64 and len(raw_key) == 32:
        try:
            crypto_sign_open(signature + message, raw_key)
            return True
        except CryptoError:
            pass
    try:
        public = key if not isinstance(key, bytes) else Ed25519PublicKey.from_public_bytes(key)
        public.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
