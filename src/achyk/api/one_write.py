"""uvicorn's HTTP/1.1 protocol, sending each response's head and body in one write.

uvicorn writes a response's status line and headers when the application starts the response,
and its body when the application sends it: two `send` system calls, two TCP segments over
loopback, and for the client two wake-ups, for every answer. With devices transmitting
thousands of protocols a second py-spy put a quarter of the event loop's samples on those two
writes (2026-12-01); counted in CPU-seconds, joining them saved the server little (within the
noise) and the clients about a tenth. Here the head is held until the next write on the
connection (the body, nearly always at once), or at the latest until the event loop's current
pass ends (an answer to HEAD, which has no body write), and then goes out with it in one write;
and before the connection closes, the client's end of it included (a client that half-closes
after its request still gets its answer).

It wraps the transport the protocol writes to and changes nothing else: what is sent, and in
which order, is exactly what uvicorn sends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD = b"HTTP/1."
_JOIN_UP_TO = 64 * 1024  # bytes of body joined to the head


class _JoinedWrites:
    """A transport whose write of a response head waits for the write after it."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if len(data) <= _JOIN_UP_TO:
                self._transport.write(held + bytes(data))
            else:  # a large body is not copied to save a write
                self._transport.write(held)
                self._transport.write(data)
        elif data[:7] == _HEAD and data[-4:] == b"\r\n\r\n" and not self._transport.is_closing():
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def writelines(self, data: Any) -> None:  # (not past a held head)
        self.write(b"".join(data))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's own
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each response's head and body together."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._joined = _JoinedWrites(transport, self.loop)
        joined: Any = self._joined
        super().connection_made(joined)

    def eof_received(self) -> None:
        # The client has closed its end: the event loop closes the transport itself when this
        # returns, past the wrapper; a head held until the pass's end would then be lost.
        self._joined.flush()
        super().eof_received()
