"""A check run beside the main one, in a forked process, its outcome read back when needed.

`achyk verify` of 100,000 stations is mostly sequential Python; on a machine of two cores the
second core would wait while the first hashes the site's 30,000 files or recomputes the
stations' district files. A fork shares what the main process already holds (the record, the
replayed log) without copying or sending it, and the check runs exactly as it would inline:
the same function, on the same objects. Without fork (or with one process asked for) it runs
inline when its outcome is asked for.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from achyk.errors import VerificationError

T = TypeVar("T")


def _run(fn: Callable[[], Any], send: Connection) -> None:
    try:
        out: tuple[bool, Any] = (True, fn())
    except Exception as err:  # raised where it is read, as inline
        out = (False, err)
    try:
        send.send(out)
    except Exception as err:  # (an exception that does not pickle)
        send.send((False, RuntimeError(f"{type(err).__name__}: {err}")))
    send.close()


class Forked(Generic[T]):
    """`fn()`, computed in a forked child when `fork` (and the platform forks), else inline."""

    def __init__(self, fn: Callable[[], T], fork: bool) -> None:
        self._fn = fn
        self._proc: Any = None
        self._done = False
        if fork and "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_run, args=(fn, send), daemon=True)
            self._proc.start()
            send.close()

    @property
    def forked(self) -> bool:
        """Computed in a child (which holds its own copy of what the parent had at the fork)."""
        return self._proc is not None or self._done

    def result(self) -> T:
        if self._proc is None:
            return self._fn()
        try:
            ok, value = self._recv.recv()
        except EOFError:
            raise VerificationError("a forked check ended without an answer") from None
        finally:
            self._proc.join()
            self._recv.close()
            self._proc = None
            self._done = True
        if not ok:
            raise value
        result: T = value
        return result

    def close(self) -> None:
        """Stop the child if it is still running (a verification cut short), and reap it."""
        if self._proc is not None:
            if self._proc.is_alive():  # (one whose answer is not read waits to send it)
                self._proc.terminate()
            self._proc.join()
            self._recv.close()
            self._proc = None
