"""Ed25519 edge cases: the verifiers the project uses, against a published table.

The twelve vectors and the verdicts are those of Chalkias, Garillot and Nikolaenko, "Taming the
many EdDSAs" (SSR 2020, IACR ePrint 2020/1244): `cases.json` and `results.md` of
github.com/novifinancial/ed25519-speccheck. Small-order keys and R, mixed-order points, S >= L
and non-canonical encodings; "V" a library accepts, "X" it refuses. The rows quoted here are
OpenSSL-3.0 (PyCA's is the same) and LibSodium.

`ed25519_verifies` asks libsodium first (it is faster) and OpenSSL whenever libsodium refuses:
libsodium must refuse everything OpenSSL refuses, and the verdict must always be OpenSSL's (the
table gives Go's crypto/ed25519, the Go verifier's, OpenSSL's row too).
"""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from achyk.signing import ed25519_verifies
from factories import device_key

# (message, public key, signature R||S), in the order of the paper's table, columns 0 to 11
CASES = [
    (
        "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
    ),
    (
        "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
        "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e",
    ),
    (
        "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
        "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009",
    ),
    (
        "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
        "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09",
    ),
    (
        "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
        "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405",
    ),
    (
        "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
        "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
        "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514",
    ),
    (
        "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
        "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
        "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22",
    ),
    (
        "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
        "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f",
    ),
    (
        "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
        "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908",
    ),
    (
        "e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
    ),
    (
        "39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
    ),
]
OPENSSL = "VVVVXXXXXXXV"  # results.md, row "OpenSSL-3.0" (and "PyCA")
LIBSODIUM = "XXXVXXXXXXXX"  # row "LibSodium"


def _openssl(key: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def _libsodium(key: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        crypto_sign_open(sig + msg, key)
    except CryptoError:
        return False
    return True


def _case(i: int) -> tuple[bytes, bytes, bytes]:
    msg, key, sig = CASES[i]
    return bytes.fromhex(key), bytes.fromhex(sig), bytes.fromhex(msg)


@pytest.mark.parametrize("i", range(12))
def test_each_library_gives_its_published_verdict(i: int) -> None:
    key, sig, msg = _case(i)
    assert _openssl(key, sig, msg) is (OPENSSL[i] == "V")
    assert _libsodium(key, sig, msg) is (LIBSODIUM[i] == "V")


@pytest.mark.parametrize("i", range(12))
def test_the_verdict_is_always_openssls(i: int) -> None:
    key, sig, msg = _case(i)
    assert ed25519_verifies(key, sig, msg) is (OPENSSL[i] == "V")
    assert ed25519_verifies(Ed25519PublicKey.from_public_bytes(key), sig, msg) is (
        OPENSSL[i] == "V"
    )


def test_libsodium_accepts_no_signature_openssl_refuses() -> None:
    # Ordinary keys: valid signatures, and one-bit changes to R, S, the key or the message.
    for n in range(40):
        private = device_key(f"speccheck-{n}")
        key = private.public_key().public_bytes_raw()
        msg = os.urandom(n * 7)
        sig = private.sign(msg)
        assert _libsodium(key, sig, msg) and _openssl(key, sig, msg)
        assert ed25519_verifies(key, sig, msg)
        for bit in (0, 7, 100, 255, 256, 300, 511):
            bad = bytearray(sig)
            bad[bit // 8] ^= 1 << (bit % 8)
            assert _libsodium(key, bytes(bad), msg) is _openssl(key, bytes(bad), msg)
            assert ed25519_verifies(key, bytes(bad), msg) is _openssl(key, bytes(bad), msg)
        other = bytearray(key)
        other[n % 32] ^= 1
        assert not ed25519_verifies(bytes(other), sig, msg)
        assert not ed25519_verifies(key, sig, msg + b"!")
