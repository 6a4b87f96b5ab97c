"""Values derived once per parsed election: kept by the object, not by equality, and bounded."""

from __future__ import annotations

import copy
import threading
import time

from achyk.domain.definition import Election
from achyk.domain.per_election import PerElection
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL


def test_derived_once_per_election_object_and_again_for_an_equal_copy() -> None:
    election = generate(SMALL).election
    calls: list[Election] = []
    derived = PerElection(lambda e: calls.append(e) or len(calls))
    assert derived(election) == 1 and derived(election) == 1
    twin = copy.copy(election)  # equal, but another object: another parse of the definition
    assert twin == election and twin is not election
    assert derived(twin) == 2
    assert calls == [election, twin]


def test_the_oldest_election_is_dropped_beyond_keep() -> None:
    elections = [copy.copy(generate(SMALL).election) for _ in range(3)]
    derived = PerElection(lambda e: object(), keep=2)
    first = derived(elections[0])
    derived(elections[1])
    assert derived(elections[0]) is first
    derived(elections[2])  # three derived, two kept: the first derived is dropped
    assert derived(elections[0]) is not first


def test_two_threads_asking_at_once_derive_it_once() -> None:
    election = generate(SMALL).election
    calls = []

    def slow(e: Election) -> int:
        calls.append(e)
        time.sleep(0.2)
        return 7

    derived = PerElection(slow)
    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(derived(election))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [7, 7] and len(calls) == 1
