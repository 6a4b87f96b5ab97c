"""`achyk serve` sends each response's head and body in one write (achyk.api.one_write).

On a real uvicorn server over a raw socket: pipelined requests on a kept-alive connection are
answered in order and whole; a response with no body (204, HEAD) is not held back; a streamed
response's head goes out before its body exists. Then, on a transport that records its writes,
that a head and the body after it are one write and that nothing is lost at close.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse

from achyk.api.one_write import _JoinedWrites
from live_server import serving

released = threading.Event()


def app() -> FastAPI:
    a = FastAPI()

    @a.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    # async: answered in the event loop's pass that read the request (uvicorn closes a
    # half-closed connection before a sync endpoint's thread answers, with or without this)
    @a.api_route("/empty", methods=["GET", "HEAD"], status_code=204)
    async def empty() -> Response:
        return Response(status_code=204)

    @a.get("/stream")
    def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            while not released.is_set():  # the body exists only once the test has the head
                await asyncio.sleep(0.01)
            yield b"late body"

        return StreamingResponse(parts(), media_type="text/plain")

    return a


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving(app()) as url:
        yield int(url.rsplit(":", 1)[1])


def read_until(sock: socket.socket, end: bytes, count: int = 1) -> bytes:
    data = b""
    sock.settimeout(5)
    while data.count(end) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_pipelined_requests_are_answered_in_order_and_whole(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        ask = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(ask * 3)
        data = read_until(sock, b'{"hello":"world"}', 3)
    answers = data.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 3
    for a in answers:
        assert a.startswith(b"200 OK\r\n") and a.endswith(b'\r\n\r\n{"hello":"world"}')
        assert b"content-length: 17\r\n" in a


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_response_without_a_body_is_not_held_back(port: int, method: str) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"{method} /empty HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = read_until(sock, b"\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 204 No Content\r\n") and data.endswith(b"\r\n\r\n")
        # and the connection still serves the next request
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_until(sock, b'{"hello":"world"}').startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_client_that_half_closes_after_its_request_gets_its_answer(
    port: int, method: str
) -> None:
    # (`nc -N`, some health checkers: the request, then the client's end shut)
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(f"{method} /empty HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            sock.shutdown(socket.SHUT_WR)
            data = read_until(sock, b"\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 204 No Content\r\n"), data


def test_a_streamed_head_goes_out_before_its_body_exists(port: int) -> None:
    released.clear()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        head = read_until(sock, b"\r\n\r\n")  # times out if the head waited for the body
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"transfer-encoding: chunked" in head and b"late body" not in head
        released.set()
        rest = read_until(sock, b"0\r\n\r\n")
    assert b"late body" in rest


class Recorded(asyncio.Transport):
    """A transport that keeps what is written to it, each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"


def test_a_head_and_its_body_are_one_write_and_nothing_is_lost() -> None:
    loop = asyncio.new_event_loop()
    try:
        t = Recorded()
        w = _JoinedWrites(t, loop)
        w.write(HEAD)
        assert t.writes == [] and w.get_write_buffer_size() == len(HEAD)
        w.write(b"body")
        assert t.writes == [HEAD + b"body"]
        w.write(b"more")  # not a head: written at once
        assert t.writes[-1] == b"more"
        big = b"x" * (64 * 1024 + 1)  # a large body is not copied: two writes
        w.write(HEAD)
        w.write(big)
        assert t.writes[-2:] == [HEAD, big]
        w.write(HEAD)  # a head with nothing after it goes out when the loop's pass ends
        loop.run_until_complete(asyncio.sleep(0))
        assert t.writes[-1] == HEAD
        w.writelines([HEAD, b"body"])  # writelines does not pass a held head
        assert t.writes[-1] == HEAD + b"body"
        w.write(HEAD)  # and a held head is written before the transport closes
        w.close()
        assert t.writes[-1] == HEAD and t.closed
        assert w.is_closing()  # what the wrapper does not define is the transport's own
    finally:
        loop.close()


def test_achyk_serve_runs_the_one_write_protocol(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from achyk.api.direct_posts import DirectPostsProtocol
    from achyk.api.one_write import OneWriteHttpToolsProtocol
    from achyk.cli import serve

    given: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: given.update(kw))
    serve.serve(port=0, database=f"sqlite:///{tmp_path / 'a.db'}")
    assert given["http"] is DirectPostsProtocol
    assert issubclass(DirectPostsProtocol, OneWriteHttpToolsProtocol)
