"""Pages rendered once per change of the log and served to every waiting request.

Each page (and open-data body) is kept with the log size it was rendered at. When the log has grown,
one request renders the page anew — a single flight — while the others are served the copy they
already have, one change behind, instead of all recomputing it at once (the stampede that took the
site from 800 requests/s to 6 while protocols arrived at 50 a second). A page never rendered before
is waited for, not rendered twice. Nothing here trusts the copy: it is only ever replaced by a page
rendered at a newer log size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    stamp: int
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


class RenderCache(Generic[T]):
    """key → (stamp, value), least recently used dropped past `keep` entries."""

    def __init__(self, keep: int = 512) -> None:
        self.keep = keep
        self._done: OrderedDict[Hashable, tuple[int, T]] = OrderedDict()
        self._flights: dict[Hashable, _Flight[T]] = {}
        self._lock = threading.Lock()
        self.renders = 0  # how many times `make` ran: what the tests count

    def get(self, key: Hashable, stamp: int, make: Callable[[], T]) -> T:
        """The value for `key` as of `stamp` — or the newest one kept while another request renders."""
        with self._lock:
            kept = self._done.get(key)
            if kept is not None:
                self._done.move_to_end(key)
                if kept[0] >= stamp:
                    return kept[1]
            flight = self._flights.get(key)
            if flight is not None and kept is not None:
                return kept[1]  # someone is rendering the newer one: serve this one meanwhile
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight(stamp)
        assert flight is not None
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        try:
            value = make()
        except BaseException as err:
            flight.error = err
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
            raise
        flight.value = value
        with self._lock:
            self.renders += 1
            self._flights.pop(key, None)
            old = self._done.get(key)
            if old is None or old[0] <= stamp:
                self._done[key] = (stamp, value)
                self._done.move_to_end(key)
            while len(self._done) > self.keep:
                self._done.popitem(last=False)
        flight.done.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._done.clear()
