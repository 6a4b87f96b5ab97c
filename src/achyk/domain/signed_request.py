"""Signed HTTP requests, for any signer: a station device, a CEC authority.

The signer signs, with Ed25519, ``purpose\\nMETHOD\\npath\\ntimestamp\\nnonce\\n`` followed by the hex
SHA-256 of the body: the request is bound to its endpoint, its body, a time (seconds since 1970,
UTC, accepted within :data:`STALE_AFTER_S` of the server's clock) and a nonce the server spends once.
The purpose separates signers' domains: a request signed for one kind of signer can never pass as
another's. With :data:`achyk.domain.register.CHECKIN_PURPOSE` the message is byte for byte the one
station devices sign (:func:`achyk.domain.register.request_message`).

Pure: checking freshness and the signature needs no store; spending the nonce is the caller's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from achyk.errors import SignatureError
from achyk.signing import ed25519_verifies

AUTHORITY_REQUEST_PURPOSE = "achyk/authority-request/v1"
# A station device transmitting its signed protocol (POST …/stations/{id}/protocols).
PROTOCOL_REQUEST_PURPOSE = "achyk/protocol-request/v1"
STALE_AFTER_S = 300  # a signed request older or newer than this is refused
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # int() alone would also take " 17 " or "1_700"


class RequestAuthError(SignatureError):
    """A request that is unsigned, signed by the wrong key, stale, or replayed."""


def request_message(
    purpose: str, method: str, path: str, body: bytes, timestamp: str, nonce: str
) -> bytes:
    head = f"{purpose}\n{method.upper()}\n{path}\n{timestamp}\n{nonce}\n"
    return head.encode() + hashlib.sha256(body).hexdigest().encode()


def sign_request(
    key: Ed25519PrivateKey,
    purpose: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
) -> str:
    """The base64 signature a client sends as ``X-Signature``."""
    message = request_message(purpose, method, path, body, timestamp, nonce)
    return base64.b64encode(key.sign(message)).decode()


def device_headers(
    key: Ed25519PrivateKey, purpose: str, device: str, path: str, body: bytes,
    timestamp: str, nonce: str,
) -> dict[str, str]:  # fmt: skip
    """The headers a device sends with a signed POST (keep them to resend the same request)."""
    return {
        "X-Device": device, "X-Timestamp": timestamp, "X-Nonce": nonce,
        "X-Signature": sign_request(key, purpose, "POST", path, body, timestamp, nonce),
    }  # fmt: skip


def check_request(
    key: Ed25519PublicKey | bytes,
    purpose: str,
    *,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    signature: str,
    now: datetime | None = None,
) -> bytes:
    """Raise RequestAuthError unless `key` signed this request for `purpose` just now; the
    signed message it verified (whose SHA-256 tells a resend from another request with the
    same nonce), made once."""
    if not NONCE_PATTERN.match(nonce):
        raise RequestAuthError("the nonce must be 8–64 characters of A–Z, a–z, 0–9, '_' or '-'")
    if not _TIMESTAMP.match(timestamp):
        raise RequestAuthError("the timestamp must be whole seconds since 1970 (UTC)")
    skew = (now or datetime.now(UTC)).timestamp() - int(timestamp)
    if abs(skew) > STALE_AFTER_S:
        raise RequestAuthError(f"stale request: timestamp is {skew:+.0f} s from the server clock")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise RequestAuthError("X-Signature is not base64") from None
    message = request_message(purpose, method, path, body, timestamp, nonce)
    if not ed25519_verifies(key, raw, message):
        raise RequestAuthError("the request signature does not verify")
    return message
