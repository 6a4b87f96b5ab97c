"""The check-in request, answered without the web framework's machinery.

Check-ins are the one write that comes in thousands per second on election day. Under FastAPI
each one paid for routing through every router, header dependencies, middleware and a worker
thread, which cost more CPU than the signature check and the database statement together. So
:func:`device_fast_path` answers ``POST …/stations/{id}/checkins`` before the framework sees it,
with :func:`checkin_reply`. The route declared in :mod:`achyk.api.checkins` documents the same
endpoint in the OpenAPI document and answers through the same function, so both give the same
answers (a test holds them to it).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from achyk.api.faults import DATABASE_DOWN, RETRY_AFTER_S
from achyk.domain.register import Channel, MatchResult
from achyk.errors import ConflictError, NotFoundError
from achyk.services.checkin import DeviceAuthError, authenticate, check_in_async
from achyk.services.elections import get_election
from achyk.services.register import SecretMissing, load_secret
from achyk.store.database import Database

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CHECKIN_PATH = re.compile(r"^/api/elections/([^/]+)/stations/([^/]+)/checkins$")
DEVICE_HEADERS = ("x-device", "x-timestamp", "x-nonce", "x-signature")
MAX_HEADER = 128
MAX_BODY = 4096  # a check-in is about 100 bytes; anything near this is not one
TOO_LARGE = "a check-in body is at most 4 KiB"
MAYBE_RECORDED = (
    "the database did not answer: the check-in may not have been recorded; send the same request "
    "again (same nonce): its answer is the one recorded for this request, ballot or refusal"
)
RESEND_AFTER: tuple[type[Exception], ...] = (ConflictError, *DATABASE_DOWN)
TWICE = "a device header (X-Device, X-Timestamp, X-Nonce, X-Signature) is sent twice"


class Biometric(BaseModel):
    matched: bool
    score: float = Field(ge=0, le=1)


class CheckinIn(BaseModel):
    personal_number: str = Field(min_length=1, max_length=32)
    biometric: Biometric
    channel: Channel = Channel.STATION


class CheckinOut(BaseModel):
    accepted: bool
    reason: str | None = Field(description="why the voter was refused; null when accepted")
    message: str
    station: str
    at: str


class DeviceLimits:
    """Per-device token buckets: a stolen or faulty device cannot flood the check-in service."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> DeviceLimits:
        # A station checks in a voter every few seconds at most; 20/s with bursts of 200 is
        # generous. A load test lifts it through the environment.
        return cls(
            float(os.environ.get("ACHYK_DEVICE_RATE", "20")),
            float(os.environ.get("ACHYK_DEVICE_BURST", "200")),
        )

    def take(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1
            self._state[key] = (tokens - 1 if ok else tokens, now)
            return ok


def register_secret(state: Any) -> bytes:
    """The CEC's register secret, read once per process; SecretMissing/OSError if unavailable."""
    secret = getattr(state, "register_secret", None)
    if isinstance(secret, bytes):
        return secret
    loaded = load_secret()
    state.register_secret = loaded
    return loaded


def header_problems(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    """The device headers that are missing or malformed, in the framework's 422 shape."""
    out = []
    for name in DEVICE_HEADERS:
        value = headers.get(name)
        if value is None:
            out.append({"type": "missing", "loc": ["header", name], "msg": "Field required"})
        elif not 1 <= len(value) <= MAX_HEADER:
            out.append({"type": "string_length", "loc": ["header", name],
                        "msg": f"must be 1 to {MAX_HEADER} characters"})  # fmt: skip
    return out


def _detail(status: int, detail: Any) -> tuple[int, dict[str, Any]]:
    return status, {"detail": detail}


async def checkin_reply(
    state: Any, election_id: str, station_id: str, path: str, headers: Mapping[str, str],
    body: bytes,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Status and JSON body for one device check-in request (headers' names in lower case)."""
    problems = header_problems(headers)
    if problems:
        return _detail(422, problems)
    if len(body) > MAX_BODY:
        return _detail(413, TOO_LARGE)
    db: Database = state.db
    try:
        eid = get_election(db, election_id).id
    except NotFoundError as err:
        return _detail(404, str(err))
    device = headers["x-device"]
    try:
        authenticate(
            db, eid, station_id, device, method="POST", path=path, body=body,
            timestamp=headers["x-timestamp"], nonce=headers["x-nonce"],
            signature=headers["x-signature"],
        )  # fmt: skip
    except DeviceAuthError as err:
        return _detail(401, str(err))
    # Charged only once the device is known to have signed: device ids are public, so a bucket
    # charged before that could be emptied by anyone, locking a real station out.
    if not state.device_limits.take(device):
        return _detail(429, f"device {device} is over its rate limit")
    try:
        data = CheckinIn.model_validate_json(body)
    except ValidationError as err:
        # Without the offending input: it may hold a personal number, never to be echoed.
        return _detail(
            422, err.errors(include_url=False, include_context=False, include_input=False)
        )
    try:
        secret = register_secret(state)
    except (SecretMissing, OSError) as err:
        return _detail(503, f"check-in unavailable: {err}")
    try:
        out = await check_in_async(
            db, eid, station_id, device, data.personal_number,
            MatchResult(data.biometric.matched, data.biometric.score), secret,
            channel=data.channel, nonce=headers["x-nonce"],
        )  # fmt: skip
    except DeviceAuthError as err:
        return _detail(401, str(err))
    except RESEND_AFTER as err:
        # The statement is atomic, but the link may have failed after its commit: the device
        # sends the same request again, which gets the answer recorded for it (or, if none
        # was, is judged then).
        return _detail(503, f"{MAYBE_RECORDED} ({type(err).__name__})")
    reply = {
        "accepted": out.accepted, "reason": out.reason.value if out.reason else None,
        "message": out.message, "station": out.station_id, "at": out.at.isoformat(),
    }  # fmt: skip
    return (200 if out.accepted else 409), reply


Reply = Callable[
    [Any, str, str, str, Mapping[str, str], bytes], Awaitable[tuple[int, dict[str, Any]]]
]


class SignedPostPath:
    """ASGI wrapper: a device's signed POST to `route` goes straight to `reply`, all else to the
    app. At thousands a second the framework's routing, header dependencies and a worker thread
    per request cost more than judging the request; the answers are the same. `achyk serve`
    goes one step further and answers these requests from its HTTP protocol, without the ASGI
    request cycle (:mod:`achyk.api.direct_posts`), through the same :meth:`judge`."""

    def __init__(self, app: ASGIApp, state: Any, route: re.Pattern[str], reply: Reply,
                 limit: int, too_large: str, down: str) -> None:  # fmt: skip
        self.app, self.state, self.route, self.reply = app, state, route, reply
        self.limit, self.too_large, self.down = limit, too_large, down

    def match(self, scope: Scope) -> re.Match[str] | None:
        """The route's match if `scope` is a POST this wrapper answers."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path, root = scope["path"], scope.get("root_path", "")
        # Routed by the path below any prefix the server is mounted under (--root-path), as
        # the framework routes; signed and verified as the whole path the device requested.
        found = self.route.match(path[len(root) :] if root and path.startswith(root) else path)
        if found is None or not getattr(self.state, "device_fast_path", True):
            return None
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.match(scope)
        if found is None:
            return await self.app(scope, receive, send)
        parts = await headers_and_body(scope, receive, send, self.limit, self.too_large)
        if parts is None:
            return
        headers, body = parts
        await respond(send, *await self.judge(found, scope["path"], headers, body))

    async def judge(
        self, found: re.Match[str], path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for a request whose device headers are present and well formed."""
        try:
            return await self.reply(self.state, found[1], found[2], path, headers, body)
        except DATABASE_DOWN as err:  # before the request is judged (reading the definition, say)
            return 503, {"detail": f"{self.down} ({type(err).__name__})"}


def device_fast_path(app: ASGIApp, state: Any) -> SignedPostPath:
    """Check-ins answered by :func:`checkin_reply` ahead of the framework."""
    return SignedPostPath(app, state, CHECKIN_PATH, checkin_reply, MAX_BODY, TOO_LARGE,
                          MAYBE_RECORDED)  # fmt: skip


def device_headers(
    raw: Iterable[tuple[bytes, bytes]], limit: int
) -> tuple[dict[str, str], int, tuple[int, dict[str, Any]] | None]:
    """A device request's signing headers, its declared length (0: none declared, chunked;
    over `limit`: malformed) and, should the headers be refused, the answer (a header sent twice
    400, a missing or malformed one 422)."""
    headers: dict[str, str] = {}
    declared = 0
    twice = False
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        if name in DEVICE_HEADERS:
            twice = twice or name in headers
            headers[name] = raw_value.decode("latin-1")
        elif name == "content-length":
            declared = int(raw_value) if raw_value.isdigit() else limit + 1
    if twice:
        return headers, declared, (400, {"detail": TWICE})
    problems = header_problems(headers)
    return headers, declared, ((422, {"detail": problems}) if problems else None)


async def headers_and_body(
    scope: Scope, receive: Receive, send: Send, limit: int, too_large: str
) -> tuple[dict[str, str], bytes] | None:
    """A device request's signing headers and body; None once it has been refused here (a
    header sent twice 400, a malformed one 422, a body over `limit` 413) with its reason."""
    headers, declared, refused = device_headers(scope["headers"], limit)
    if refused is not None:
        await respond(send, *refused)
        return None
    body = await read_body(receive, limit) if declared <= limit else None
    if body is None:
        await respond(send, 413, {"detail": too_large})
        return None
    return headers, body


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes | None:
    """The request's body, or None once it passes `limit` bytes (b"" if the client left)."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def answer_parts(status: int, payload: dict[str, Any]) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A JSON answer's headers and body (a 503 says when to try again)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    return headers, body


async def respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    """A JSON answer straight to the ASGI server."""
    headers, body = answer_parts(status, payload)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
