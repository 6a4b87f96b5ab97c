"""Belenios-style voting credentials: an Ed25519 key per remote voter, from a secret seed.

The seed is handed to the voter (printed or sent) by a credential authority; only the public keys
are published, as a shuffled list with no link to identities. A ballot is signed with the
credential, so the bulletin board accepts only ballots from eligible credentials, and a re-vote is
recognised by its credential without anyone learning who voted.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from achyk.crypto.group import SYSTEM_RNG, Rng


def new_seed(rng: Rng = SYSTEM_RNG) -> bytes:
    return rng.randrange(0, 1 << 256).to_bytes(32, "big")


def public_credential(seed: bytes) -> str:
    """Hex of the 32-byte Ed25519 public key: what the public credential list holds."""
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(seed: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def verify(public_hex: str, signature: bytes, message: bytes) -> bool:
    try:
        raw = bytes.fromhex(public_hex)
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
    except (ValueError, InvalidSignature):
        return False
    return True
