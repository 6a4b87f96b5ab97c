"""Belenios-style voting credentials: an Ed25519 key per remote voter, from a secret seed.

The seed is made by the credential authority on its own offline machine and handed to the voter
(a letter with a QR code); only the public keys are published, as a sorted list signed by the
authority, with no link to identities. A ballot is sealed with the credential, so the board accepts
only ballots from eligible credentials, and a re-vote is recognised by its credential without
anyone learning who voted.

Public keys are compared as decoded points, never as text: `parse_key` accepts hex in either case,
refuses anything that is not a canonical point of the prime-order subgroup (libsodium's check:
the identity and the other small-order points — keys under which anyone can sign — are refused),
and returns the canonical lowercase form that every comparison then uses.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_core_ed25519_is_valid_point

from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import SYSTEM_RNG, Rng


def new_seed(rng: Rng = SYSTEM_RNG) -> bytes:
    return rng.randrange(0, 1 << 256).to_bytes(32, "big")


def public_credential(seed: bytes) -> str:
    """Hex of the 32-byte Ed25519 public key: what the public credential list holds."""
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def parse_key(text: object) -> str:
    """The canonical (lowercase hex) form of an Ed25519 public key; InvalidEncoding if it is not one
    or is a small-order point (the identity among them)."""
    if not isinstance(text, str) or len(text) != 64:
        raise InvalidEncoding("a credential key is 64 hex digits")
    try:
        raw = bytes.fromhex(text)
    except ValueError as e:
        raise InvalidEncoding("a credential key is 64 hex digits") from e
    if not crypto_core_ed25519_is_valid_point(raw):
        raise InvalidEncoding(
            "not a valid Ed25519 key (off the curve, non-canonical or small order)"
        )
    return raw.hex()


def sign(seed: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def verify(public_hex: str, signature: bytes, message: bytes) -> bool:
    """True if the signature verifies under the key; a key that is not valid never verifies."""
    try:
        raw = bytes.fromhex(parse_key(public_hex))
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
    except (ValueError, InvalidSignature, InvalidEncoding):
        return False
    return True
