"""A station device's side of transmission: sign a protocol, sign the request, send, resend.

Used by `achyk protocol sign|send` and by integrators' tests. The request is signed once; when
the answer is lost (the link drops, the server answers 503) the very same request is sent again,
and the server answers it as it first did.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.domain.signed_request import PROTOCOL_REQUEST_PURPOSE, device_headers
from achyk.signing import PROTOCOL_PURPOSE, sign


def sign_protocol(key: Ed25519PrivateKey, device: str, protocol: dict[str, Any]) -> dict[str, Any]:
    """The envelope a device sends: the protocol, its device id, its signature."""
    return {"protocol": protocol, "device": device,
            "signature": sign(key, PROTOCOL_PURPOSE, protocol)}  # fmt: skip


@dataclass(frozen=True)
class SignedRequest:
    url: str
    path: str
    body: bytes
    headers: dict[str, str]


def protocol_request(
    server: str, key: Ed25519PrivateKey, device: str, envelope: dict[str, Any],
    *, timestamp: int | None = None, nonce: str | None = None,
) -> SignedRequest:  # fmt: skip
    """The signed POST for an envelope, addressed by its protocol's election and station."""
    doc = envelope["protocol"]
    path = f"/api/elections/{doc['election']}/stations/{doc['station']}/protocols"
    base = httpx.URL(server.rstrip("/"))
    full_path = base.path.rstrip("/") + path  # a server mounted under a prefix signs it too
    body = json.dumps(envelope, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = device_headers(key, PROTOCOL_REQUEST_PURPOSE, device, full_path, body, ts,
                             nonce or secrets.token_urlsafe(16))  # fmt: skip
    headers["Content-Type"] = "application/json"
    return SignedRequest(str(base.copy_with(path=full_path)), full_path, body, headers)


def send(
    request: SignedRequest, *, retries: int = 3, timeout: float = 30.0, pause: float = 1.0
) -> tuple[int, dict[str, Any]]:
    """POST it; on a dropped link or a 503, send the same request again (same nonce)."""
    for attempt in range(retries + 1):
        try:
            r = httpx.post(request.url, content=request.body, headers=request.headers,
                           timeout=timeout)  # fmt: skip
        except httpx.TransportError:
            if attempt == retries:
                raise
        else:
            if r.status_code != 503 or attempt == retries:
                try:
                    payload: dict[str, Any] = r.json()
                except ValueError:
                    payload = {"detail": r.text}
                return r.status_code, payload
        time.sleep(pause)
    raise AssertionError("unreachable")


def transmit_later(
    server: str,
    envelopes: list[bytes],
    key_of: Callable[[str], Ed25519PrivateKey],
    *,
    pause: float = 0.5,
    report: Callable[[str], None] | None = None,
) -> threading.Thread:
    """Stations that transmit once the server is up: each envelope over HTTP, signed by its
    device (the demo's station simulator). Runs in a daemon thread; returns it."""

    def run() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{server.rstrip('/')}/api/elections", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        for raw in envelopes:
            envelope = json.loads(raw)
            device = str(envelope["device"])
            try:
                status, answer = send(protocol_request(server, key_of(device), device, envelope))
            except httpx.HTTPError as err:
                status, answer = 0, {"detail": str(err)}
            if report is not None:
                doc = envelope["protocol"]
                where = f"station {doc['station']} {doc['contest']}/{doc['kind']}"
                said = answer.get("outcome") or answer.get("detail")
                at = f" (log entry {answer['log_index']})" if answer.get("log_index") else ""
                report(f"transmitted over HTTP: {where}: {status} {said}{at}")
            time.sleep(pause)

    thread = threading.Thread(target=run, name="station-simulator", daemon=True)
    thread.start()
    return thread
