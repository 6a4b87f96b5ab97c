"""`achyk serve` answers devices' POSTs without the ASGI request cycle (achyk.api.direct_posts):
byte for byte as the ASGI path answers them, and HTTP/1.1 holds (pipelining, Connection: close,
100-continue, chunked bodies, a failure inside)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from achyk.api.app import AchykAPI, create_app
from achyk.api.device_checkin import SignedPostPath
from achyk.api.direct_posts import DirectPostsProtocol
from achyk.api.one_write import OneWriteHttpToolsProtocol
from achyk.cli.transmit import SignedRequest, protocol_request, sign_protocol
from achyk.services.elections import load_election
from achyk.store.database import Database
from factories import device_key, election, protocol_doc
from live_server import serving


@pytest.fixture
def servers(db: Database) -> Iterator[tuple[str, str, AchykAPI]]:
    """The same app served twice: by `achyk serve`'s protocol, and through ASGI alone."""
    load_election(db, election())
    app = create_app(db=db)
    assert isinstance(app, AchykAPI)
    with serving(app) as direct, serving(app, http=OneWriteHttpToolsProtocol) as asgi:
        yield direct, asgi, app


def signed(
    url: str, station: str = "1001", nonce: str | None = None, **votes: int
) -> SignedRequest:
    device = f"{station}-a"
    envelope = sign_protocol(device_key(device), device, protocol_doc(station=station,
                                                                      votes=votes or None))  # fmt: skip
    return protocol_request(url, device_key(device), device, envelope, nonce=nonce)


def broken_envelope(station: str) -> dict[str, Any]:
    """The station's protocol, its envelope's signature not the device's (refused, and kept)."""
    envelope = sign_protocol(
        device_key(f"{station}-a"), f"{station}-a", protocol_doc(station=station)
    )
    return {**envelope, "signature": envelope["signature"][::-1]}


def raw(r: SignedRequest, *, extra: str = "", body: bytes | None = None, drop: str = "") -> bytes:
    """The request as bytes, its headers as given (`extra` appended, `drop` left out)."""
    body = r.body if body is None else body
    path = r.url.split("//", 1)[1].split("/", 1)[1]
    head = f"POST /{path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in r.headers.items() if k.lower() != drop)
    return (head + extra + "\r\n").encode() + body


def exchange(url: str, data: bytes, answers: int = 1) -> list[bytes]:
    """Send `data` on one connection; the answers read back, whole (the Date header dropped)."""
    host, port = url.removeprefix("http://").split(":")
    out: list[bytes] = []
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(data)
        buffer = b""
        while len(out) < answers:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = buffer[:end].split(b"\r\n")
                length = next(int(h.split(b":")[1]) for h in head
                              if h.lower().startswith(b"content-length:"))  # fmt: skip
                if len(buffer) >= end + 4 + length:
                    kept = b"\r\n".join(h for h in head if not h.lower().startswith(b"date:"))
                    out.append(kept + b"\r\n\r\n" + buffer[end + 4 : end + 4 + length])
                    buffer = buffer[end + 4 + length :]
                    continue
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
    return out


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def body(answer: bytes) -> Any:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def test_every_answer_is_the_asgi_paths_byte_for_byte(
    servers: tuple[str, str, AchykAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, asgi, _ = servers
    judged: list[object] = []
    judge = DirectPostsProtocol._judge
    monkeypatch.setattr(DirectPostsProtocol, "_judge",
                        lambda self, cycle: judged.append(cycle) or judge(self, cycle))  # fmt: skip
    good = signed(direct, "1001")
    cases = {
        "accepted, then resent": raw(good),
        "signed by another key": raw(signed(direct, "1002"), body=raw(good).split(b"\r\n\r\n")[1]),
        "a header missing": raw(signed(direct, "1003"), drop="x-nonce"),
        "a header twice": raw(signed(direct, "1004"), extra="X-Nonce: again\r\n"),
        "no such station": raw(signed(direct, "1005")).replace(b"/1005/", b"/9999/", 1),
        "a protocol refused": raw(
            protocol_request(direct, device_key("2001-a"), "2001-a", broken_envelope("2001"))
        ),
        "Connection: close": raw(signed(direct, "1002"), extra="Connection: close\r\n"),
    }
    seen = {}
    for name, data in cases.items():
        # The same bytes to both: the second is a resend of the first (answered as recorded)
        # or refused as the first was.
        (first,) = exchange(direct, data)
        (second,) = exchange(asgi, data)
        assert first == second, name
        seen[name] = status(first)
    assert seen == {"accepted, then resent": 201, "signed by another key": 401,
                    "a header missing": 422, "a header twice": 400, "no such station": 404,
                    "a protocol refused": 422, "Connection: close": 201}  # fmt: skip
    assert b"\r\nconnection: close\r\n" in exchange(direct, cases["Connection: close"])[0]
    # Judged directly: the requests whose headers are whole (those refused for their headers
    # are answered directly too, before their bodies are read).
    assert len(judged) == 5 + 1


def test_pipelined_requests_are_answered_in_order(servers: tuple[str, str, AchykAPI]) -> None:
    direct, _, _ = servers
    a, b = signed(direct, "1001"), signed(direct, "1002")
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answers = exchange(direct, raw(a) + health + raw(b) + raw(a), answers=4)
    assert [status(x) for x in answers] == [201, 200, 201, 201]
    assert body(answers[0])["station"] == "1001" and body(answers[2])["station"] == "1002"
    assert body(answers[3]) == body(answers[0])  # the resend, answered as first


def test_what_the_direct_path_does_not_take_is_answered_through_asgi(
    servers: tuple[str, str, AchykAPI],
) -> None:
    direct, _, _ = servers
    r = signed(direct, "1001")
    expect = raw(r, extra="Expect: 100-continue\r\n")
    head, payload = expect.split(b"\r\n\r\n", 1)
    host, port = direct.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(payload)
        assert b" 201 " in sock.recv(65536).split(b"\r\n", 1)[0]
    # A chunked body (no length declared), and one over the 64 KiB read ahead: both judged.
    chunked = raw(signed(direct, "1002")).replace(b"Content-Length", b"X-Was-Length", 1)
    head, payload = chunked.split(b"\r\n\r\n", 1)
    data = head + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    data += b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n\r\n"
    assert status(exchange(direct, data)[0]) == 201
    big = signed(direct, "2001")
    padded = big.body[:-1] + b"," + b" " * 70_000 + b"}"  # the signature no longer holds
    assert status(exchange(direct, raw(big, body=padded))[0]) == 401


def test_a_failure_while_judging_is_a_500_and_the_connection_closes(
    servers: tuple[str, str, AchykAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, _, app = servers
    routed = app.direct_post({"type": "http", "method": "POST", "path":
                              "/api/elections/test-2025/stations/1001/protocols"})  # fmt: skip
    assert routed is not None
    path: SignedPostPath = routed[0]

    async def broken(*_: Any) -> tuple[int, dict[str, Any]]:
        raise RuntimeError("a fault inside")

    monkeypatch.setattr(path, "reply", broken)
    answers = exchange(direct, raw(signed(direct, "1001")) * 2, answers=2)
    assert len(answers) == 1  # the connection closed after the 500
    assert status(answers[0]) == 500 and answers[0].endswith(b"Internal Server Error")
