"""The four headers of a device-signed request, as the routers that take one declare them.

A device signs ``X-Device``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``
(:mod:`achyk.domain.signed_request`); each is required, 1–128 characters. A header sent twice is
refused before anything else: which copy was signed would be the server's guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from achyk.api.device_checkin import DEVICE_HEADERS, MAX_HEADER, TWICE

_Hdr = Annotated[str, Header(min_length=1, max_length=MAX_HEADER)]


@dataclass(frozen=True)
class DeviceSigned:
    device: str
    timestamp: str
    nonce: str
    signature: str

    def as_headers(self) -> dict[str, str]:
        return {"x-device": self.device, "x-timestamp": self.timestamp, "x-nonce": self.nonce,
                "x-signature": self.signature}  # fmt: skip


def _device_signed(
    x_device: _Hdr, x_timestamp: _Hdr, x_nonce: _Hdr, x_signature: _Hdr
) -> DeviceSigned:
    return DeviceSigned(x_device, x_timestamp, x_nonce, x_signature)


# A route parameter: `signed: SignedHeaders` (documented in OpenAPI as the four headers).
SignedHeaders = Annotated[DeviceSigned, Depends(_device_signed)]


def sent_twice(request: Request) -> JSONResponse | None:
    """The 400 answer when a device header comes more than once, else None."""
    if any(len(request.headers.getlist(name)) > 1 for name in DEVICE_HEADERS):
        return JSONResponse({"detail": TWICE}, status_code=400)
    return None
