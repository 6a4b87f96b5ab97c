"""Signed requests for any signer: the device format exactly, and every way a request is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from achyk.domain.register import CHECKIN_PURPOSE
from achyk.domain.register import request_message as device_message
from achyk.domain.signed_request import (
    AUTHORITY_REQUEST_PURPOSE,
    RequestAuthError,
    check_request,
    request_message,
    sign_request,
)
from factories import device_key

NOW = datetime(2025, 11, 20, 6, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
KEY = device_key("cec")


def test_with_the_checkin_purpose_it_is_the_device_message() -> None:
    args = ("post", "/api/elections/e/stations/1001/checkins", b'{"a":1}', TS, "nonce-123")
    assert request_message(CHECKIN_PURPOSE, *args) == device_message(*args)
    assert request_message(AUTHORITY_REQUEST_PURPOSE, *args) != device_message(*args)


def check(signature: str, **change: str) -> None:
    parts = {"method": "POST", "path": "/p", "body": b"{}", "timestamp": TS, "nonce": "nonce-123"}
    for k, v in change.items():
        parts[k] = v.encode() if k == "body" else v
    check_request(KEY.public_key(), AUTHORITY_REQUEST_PURPOSE, signature=signature, now=NOW,
                  **parts)  # type: ignore[arg-type]  # fmt: skip


def test_only_the_signed_request_passes() -> None:
    good = sign_request(KEY, AUTHORITY_REQUEST_PURPOSE, "POST", "/p", b"{}", TS, "nonce-123")
    check(good)
    for change, reason in [
        ({"path": "/q"}, "does not verify"),
        ({"body": "{ }"}, "does not verify"),
        ({"method": "PUT"}, "does not verify"),
        ({"nonce": "nonce-124"}, "does not verify"),
        ({"nonce": "short"}, "the nonce must be"),
        ({"nonce": "bad nonce!"}, "the nonce must be"),
        ({"timestamp": " " + TS}, "whole seconds"),
        ({"timestamp": str(int(TS) - 301)}, r"stale request: timestamp is \+301 s"),
        ({"timestamp": str(int(TS) + 301)}, "stale request: timestamp is -301 s"),
    ]:
        with pytest.raises(RequestAuthError, match=reason):
            check(good, **change)
    other_purpose = sign_request(KEY, CHECKIN_PURPOSE, "POST", "/p", b"{}", TS, "nonce-123")
    with pytest.raises(RequestAuthError, match="does not verify"):
        check(other_purpose)
    with pytest.raises(RequestAuthError, match="not base64"):
        check("not base64!")
    check(sign_request(KEY, AUTHORITY_REQUEST_PURPOSE, "POST", "/p", b"{}", str(int(TS) - 300),
                       "nonce-123"), timestamp=str(int(TS) - 300))  # fmt: skip
