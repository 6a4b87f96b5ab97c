"""Ed25519 verified by libsodium for speed, with OpenSSL's verdict, always.

libsodium refuses some signatures OpenSSL (and Go's crypto/ed25519, the Go verifier's) accepts:
those of small-order keys. Examination must give the verdict the verifiers recompute, so a
refusal by libsodium is asked of OpenSSL again.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from achyk.signing import ed25519_verifies
from factories import device_key

IDENTITY = bytes([1]) + bytes(31)  # the neutral point: a small-order "public key"


def test_a_signature_verifies_by_key_or_raw_bytes_and_nothing_else_does() -> None:
    key = device_key("1001-a")
    public = key.public_key()
    signature = key.sign(b"message")
    assert ed25519_verifies(public, signature, b"message")
    assert ed25519_verifies(public.public_bytes_raw(), signature, b"message")
    assert not ed25519_verifies(public, signature, b"messagE")
    assert not ed25519_verifies(public, signature[:63] + bytes([signature[63] ^ 1]), b"message")
    assert not ed25519_verifies(public, signature[:32], b"message")
    assert not ed25519_verifies(b"\xff" * 32, signature, b"message")  # not a point at all


def test_the_verdict_on_a_small_order_key_is_openssls() -> None:
    signature = IDENTITY + bytes(32)  # R = the neutral point, S = 0: holds for any message
    try:
        Ed25519PublicKey.from_public_bytes(IDENTITY).verify(signature, b"any")
        openssl = True
    except Exception:
        openssl = False
    assert openssl  # what this test is about: libsodium alone would refuse it
    assert ed25519_verifies(IDENTITY, signature, b"any") is openssl
    assert ed25519_verifies(Ed25519PublicKey.from_public_bytes(IDENTITY), signature, b"any")
