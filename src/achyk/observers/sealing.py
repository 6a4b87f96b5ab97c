"""A submission's content and photos sealed to its mission's key on the observer's phone: the
server keeps the sealed bytes for the mission and cannot read them (the operator is the adversary;
the content becomes public only when the mission publishes it, and its hash is already on the log).

The mission's Ed25519 key doubles as an X25519 key (RFC 7748 §4.1's birational map; the secret
scalar is the clamped first half of SHA-512 of the seed, as RFC 8032 §5.1.5 derives it). The phone
makes a fresh X25519 key per item, derives an AES-256-GCM key by HKDF-SHA256 (RFC 5869) from the
shared secret with salt = ephemeral public ‖ mission public and info = the purpose string, and
sends ephemeral public (32) ‖ nonce (12) ‖ ciphertext with tag.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from achyk.observers.model import ObserverError

SEAL_PURPOSE = b"achyk/mission-inbox/v1"
_P = 2**255 - 19


def montgomery_public(ed25519_public: bytes) -> bytes:
    """u = (1 + y) / (1 − y) mod p for an Ed25519 public key's y (RFC 7748 §4.1)."""
    if len(ed25519_public) != 32:
        raise ObserverError("an Ed25519 public key is 32 bytes")
    y = int.from_bytes(ed25519_public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow((1 - y) % _P, _P - 2, _P) % _P
    return u.to_bytes(32, "little")


def montgomery_secret(key: Ed25519PrivateKey) -> X25519PrivateKey:
    scalar = hashlib.sha512(key.private_bytes_raw()).digest()[:32]
    return X25519PrivateKey.from_private_bytes(scalar)  # clamped by X25519 itself


def _aead_key(shared: bytes, ephemeral: bytes, mission: bytes) -> bytes:
    return HKDF(SHA256(), 32, ephemeral + mission, SEAL_PURPOSE).derive(shared)


def seal(mission_ed25519_public: bytes, plaintext: bytes, nonce: bytes | None = None) -> bytes:
    """What the phone does (tests and the simulation use it)."""
    import os

    mission = montgomery_public(mission_ed25519_public)
    ephemeral = X25519PrivateKey.generate()
    eph = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(mission))
    nonce = nonce or os.urandom(12)
    box = AESGCM(_aead_key(shared, eph, mission)).encrypt(nonce, plaintext, SEAL_PURPOSE)
    return eph + nonce + box


def unseal(mission_key: Ed25519PrivateKey, sealed: bytes) -> bytes:
    """The mission opens an item with its own key, on its own machine."""
    if len(sealed) < 32 + 12 + 16:
        raise ObserverError("a sealed item is at least 60 bytes")
    eph, nonce, box = sealed[:32], sealed[32:44], sealed[44:]
    secret = montgomery_secret(mission_key)
    mission = secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = secret.exchange(X25519PublicKey.from_public_bytes(eph))
    try:
        return AESGCM(_aead_key(shared, eph, mission)).decrypt(nonce, box, SEAL_PURPOSE)
    except InvalidTag:
        raise ObserverError("not sealed to this mission's key, or altered") from None


def unseal_json(mission_key: Ed25519PrivateKey, sealed: bytes) -> dict[str, Any]:
    try:
        item = json.loads(unseal(mission_key, sealed))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ObserverError(f"a sealed item that is not JSON: {err}") from None
    if not isinstance(item, dict):
        raise ObserverError("a sealed item is a JSON object")
    return item
