"""`achyk serve`'s HTTP protocol: devices' signed POSTs answered without the ASGI request cycle.

Election night brings thousands of device requests a second (protocols, check-ins), each
answered by :class:`~achyk.api.device_checkin.SignedPostPath` ahead of the web framework. Even so,
each still went through uvicorn's ASGI cycle: a task, the `receive` and `send` coroutines, the
response's messages and headers checked. With devices transmitting protocols that was a fifth
of the event loop's CPU per request (114-124 against 92-102 µs, side by side, 2026-12-01).

Here uvicorn parses the request as ever (its scope, keep-alive, pipelining and flow control are
untouched), but a POST that the app's device paths answer (``AchykAPI.direct_post``) is not
given to the ASGI app: once its body has arrived, it is judged by the same
:meth:`SignedPostPath.judge <achyk.api.device_checkin.SignedPostPath.judge>`, and the answer
written in one piece: the same status, headers and JSON as through ASGI (a test holds them
equal). What this path does not take goes through ASGI as before: a body not declared, or
larger than the part uvicorn reads before it waits for the app (64 KiB), a request that expects
"100 Continue", a server over its concurrency limit, any other app.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from achyk.api.device_checkin import SignedPostPath, answer_parts, device_headers
from achyk.api.one_write import OneWriteHttpToolsProtocol

# uvicorn reads a body up to 64 KiB (its HIGH_WATER_LIMIT) and then waits for the app to take it:
# a larger one goes the ASGI way. A protocol is a few KiB, a check-in a hundred bytes.
DIRECT_UP_TO = 64 * 1024
_log = logging.getLogger("uvicorn.error")
_INTERNAL = b"Internal Server Error"
_STATUS_LINES = {s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode()) for s in HTTPStatus}


class DirectPostsProtocol(OneWriteHttpToolsProtocol):
    """uvicorn's httptools protocol (joined writes), answering device POSTs itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # cycle → its device path, route match and signing headers, until its body is complete
        self._direct: dict[RequestResponseCycle, tuple[SignedPostPath, Any, dict[str, str]]] = {}

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        taken = self._take(cycle, app)
        if taken is None:
            super()._start_asgi_task(cycle, app)
            return
        path, found, (headers, _, refused) = taken
        if refused is not None:  # (a header twice, or one missing: no need for the body)
            self._answer(cycle, *refused)
            return
        self._direct[cycle] = (path, found, headers)
        if not cycle.more_body:  # a pipelined request, read whole while the one before ran
            self._judge(cycle)

    def _take(self, cycle: RequestResponseCycle, app: Any) -> Any:
        direct_post = getattr(self.app, "direct_post", None)
        if app is not self.app or direct_post is None or cycle.waiting_for_100_continue:
            return None  # (app is another when the server is over its concurrency limit)
        routed = direct_post(cycle.scope)
        if routed is None:
            return None
        path, found = routed
        headers = device_headers(cycle.scope["headers"], path.limit)
        declared = headers[1]
        if not 0 < declared <= min(path.limit, DIRECT_UP_TO) and headers[2] is None:
            return None  # chunked, empty, too large or malformed: judged the ASGI way
        return path, found, headers

    def on_message_complete(self) -> None:
        super().on_message_complete()
        cycle = self.cycle
        if cycle in self._direct:
            self._judge(cycle)

    def _judge(self, cycle: RequestResponseCycle) -> None:
        path, found, headers = self._direct.pop(cycle)
        judging = self.loop.create_task(
            path.judge(found, cycle.scope["path"], headers, bytes(cycle.body))
        )
        judging.add_done_callback(self.tasks.discard)  # (a shutdown waits for what is left)
        self.tasks.add(cast("asyncio.Task[None]", judging))
        judging.add_done_callback(lambda done: self._judged(cycle, done))

    def _judged(self, cycle: RequestResponseCycle, done: asyncio.Task[Any]) -> None:
        if done.cancelled():
            cycle.keep_alive = False
            self._answer(cycle, 500, None)
            return
        failed = done.exception()
        if failed is not None:  # as uvicorn answers an app that raised
            _log.error("Exception in a device request", exc_info=failed)
            cycle.keep_alive = False
            self._answer(cycle, 500, None)
            return
        self._answer(cycle, *done.result())

    def _answer(self, cycle: RequestResponseCycle, status: int, payload: Any) -> None:
        """Write the answer in one piece, then end the cycle as uvicorn ends one."""
        if payload is None:
            headers = [(b"content-type", b"text/plain; charset=utf-8"),
                       (b"content-length", str(len(_INTERNAL)).encode())]  # fmt: skip
            body = _INTERNAL
        else:
            headers, body = answer_parts(status, payload)
        if not cycle.keep_alive:
            headers.append((b"connection", b"close"))
        out = [_STATUS_LINES[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            out += [name, b": ", value, b"\r\n"]
        out += [b"\r\n", body]
        cycle.response_started = cycle.response_complete = True
        if not cycle.disconnected and not self.transport.is_closing():
            self.transport.write(b"".join(out))
            if not cycle.keep_alive:
                self.transport.close()
        cycle.on_response()
