"""Values derived from an election's definition, each computed once per parsed definition.

A parsed :class:`~achyk.domain.definition.Election` is never changed, so whatever is derived from
it (a unit index, a map of places, strata) holds as long as that object lives. The values are
kept by the object's identity, not its hash: hashing a frozen dataclass walks every field, and
an election of 100,000 stations would be walked on every look-up. Each entry keeps its election
alive beside the value, so an identity is never reused while its entry is kept; a few elections
are kept at a time (a server holds one or two, a test run many, one after another).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from achyk.domain.definition import Election

T = TypeVar("T")


class PerElection(Generic[T]):
    """`derive(election)`, computed once per election object and kept for the last `keep`
    elections it was derived for (the first derived is dropped first). Safe across threads: a
    value is derived once even when two threads ask for it at the same time."""

    def __init__(self, derive: Callable[[Election], T], keep: int = 8) -> None:
        self._derive, self._keep = derive, keep
        self._held: dict[int, tuple[Election, T]] = {}
        self._lock = threading.Lock()

    def __call__(self, election: Election) -> T:
        hit = self._held.get(id(election))
        if hit is not None and hit[0] is election:
            return hit[1]
        with self._lock:
            hit = self._held.get(id(election))
            if hit is not None and hit[0] is election:
                return hit[1]
            value = self._derive(election)
            self._held.pop(id(election), None)  # (an entry of an election no longer alive)
            while len(self._held) >= self._keep:
                self._held.pop(next(iter(self._held)))
            self._held[id(election)] = (election, value)
            return value
