"""The simulated register and election day, through the real register and check-in services.

Every voter the protocols count as issued a ballot is checked in by their station's device (or by
its mobile box), in batches; the simulated matcher rejects a few on the first try and they try
again; a handful of voters then try to vote a second time elsewhere and are refused by name.

A large register is generated and hashed on every core, and its check-ins are made by two
processes, each for half of the stations: while one holds the database's write lock, the other
prepares its next batch. Each voter is checked in by one of them only, and the second tries wait
until both are done, so every outcome is the one a single process gets.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from operator import itemgetter
from typing import Any

from achyk.domain.register import MatchResult, Refusal, SimulatedMatcher
from achyk.services.checkin import BatchCheckin, check_in_batch
from achyk.services.elections import load_election
from achyk.services.register import (
    HashedRow,
    hash_register,
    import_hashed_register,
    import_register,
)
from achyk.sim.generator import SimElection
from achyk.sim.voters import (
    StationSlice,
    register_entries,
    register_secret,
    station_slices,
    voter_checkins,
)
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SECOND_TRIES = 25  # voters who try to vote again at another station


@dataclass(frozen=True)
class RegisterRun:
    voters: int
    merkle_root: str
    log_index: int | None
    checkins: int
    refused: dict[Refusal, int]
    examples: tuple[str, ...]  # a few refusal messages, as the poll workers saw them
    phases: tuple[tuple[str, float], ...] = ()  # (what, seconds), for the official's printout


PARALLEL_FROM = 200_000  # voters: below this, one process is quicker than starting more


def _hash_part(
    sim: SimElection, part: list[StationSlice], total: int, secret: bytes
) -> tuple[list[HashedRow], list[str]]:
    voted: list[str] = []
    rows = hash_register(sim.election, register_entries(sim, part, voted, total), secret)
    # Sorted here, on every core: the importer's sort then only merges the parts' runs.
    rows.sort(key=itemgetter(0))
    return rows, voted


def _hash_in_processes(
    sim: SimElection, slices: list[StationSlice], total: int, secret: bytes, voted: list[str]
) -> list[HashedRow]:
    """Generate and hash the synthetic register on every core (the demo's longest step)."""
    workers = max(1, min(4, os.cpu_count() or 1))
    size = -(-len(slices) // workers)
    parts = [slices[i : i + size] for i in range(0, len(slices), size)]
    rows: list[HashedRow] = []
    # Millions of tuples arrive, none in a cycle: the collector would only rescan them.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part_rows, part_voted in pool.map(
                _hash_part, [sim] * len(parts), parts, [total] * len(parts), [secret] * len(parts)
            ):
                rows += part_rows
                voted += part_voted
    finally:
        if gc_was_on:
            gc.enable()
    return rows


@dataclass
class _Tally:
    """What some check-ins came to (picklable: the forked process returns one)."""

    accepted: int = 0
    refused: Counter[Refusal] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    seconds: list[BatchCheckin] = field(default_factory=list)  # second tries, for the end

    def judge(
        self, db: Database, election_id: str, items: list[BatchCheckin], secret: bytes
    ) -> None:
        result = check_in_batch(db, election_id, items, secret)
        self.accepted += result.accepted
        for _, reason, message in result.refused:
            self.refused[reason] += 1
            if len(self.examples) < 5 and reason is not Refusal.BIOMETRIC_MISMATCH:
                self.examples.append(message)

    def add(self, other: _Tally) -> None:
        self.accepted += other.accepted
        self.refused.update(other.refused)
        self.examples += other.examples
        self.seconds += other.seconds


@dataclass(frozen=True)
class _Plan:
    """The check-ins of some stations: which voters, and where the second tries come from."""

    sim: SimElection
    slices: list[StationSlice]
    voted: list[str] | None  # the slices' voters issued a ballot, in order (None: generate again)
    first: int  # check-ins of the election before these slices
    stride: int  # every stride-th check-in of the election gives a second try
    station_ids: list[str]  # stations with a counting device, where second tries go
    total: int  # voters on the whole register
    secret: bytes
    batch: int


def _check_in_stations(db: Database, plan: _Plan, done: Callable[[int], None]) -> _Tally:
    """Check in every voter of the plan's stations: first attempts, then the matcher's retries."""
    sim, eid, secret = plan.sim, plan.sim.election.id, plan.secret
    matcher = SimulatedMatcher(seed=f"{sim.profile.name}/{sim.profile.seed}".encode())
    ids = plan.station_ids
    position = {s: k for k, s in enumerate(ids)}
    stride = plan.stride
    tally = _Tally()
    pending: list[BatchCheckin] = []
    retries: list[BatchCheckin] = []
    checkins = voter_checkins(sim, plan.slices, plan.voted, plan.total)
    for n, (number, station, device, at, channel) in enumerate(checkins, start=plan.first):
        match = matcher.match(number, b"1")
        item = BatchCheckin(number, station, device, at, match, channel)
        pending.append(item)
        if not match.matched:
            retries.append(
                item._replace(at=at + timedelta(minutes=2), match=MatchResult(True, 0.8))
            )
        if n % stride == stride - 1 and n // stride < SECOND_TRIES:
            other = ids[(position.get(station, -1) + 1) % len(ids)]
            tally.seconds.append(
                item._replace(station_id=other, device_id=f"asu-{other}-a",
                              at=at + timedelta(minutes=30), match=MatchResult(True, 0.9))
            )  # fmt: skip
        if len(pending) >= plan.batch:
            tally.judge(db, eid, pending, secret)
            done(len(pending))
            pending = []
    pending += retries
    tally.judge(db, eid, pending, secret)
    done(len(pending))
    return tally


# Handed to the forked check-in process without pickling (millions of personal numbers).
_forked: tuple[Database, _Plan, Any] | None = None


def _check_in_forked() -> _Tally:
    assert _forked is not None
    db, plan, counter = _forked
    # Never use the parent's pooled connections here: new ones, with the same URL and options.
    db.engine.dispose(close=False)

    def done(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    return _check_in_stations(db, plan, done)


def _check_ins(
    db: Database,
    sim: SimElection,
    slices: list[StationSlice],
    voted: list[str] | None,
    secret: bytes,
    batch: int,
    progress: Progress | None,
) -> _Tally:
    """Every check-in of the election; the second tries last, once every first one is in."""
    global _forked
    election = sim.election
    voting = sum(s.issued_in + s.issued_out for s in slices)
    # Second tries go to the next station that has a counting device (not the remote unit).
    station_ids = [
        s.station_id for s in slices
        if (place := election.place(s.station_id)) is not None and place.station.devices
    ]  # fmt: skip
    stride = max(1, voting // SECOND_TRIES)

    def plan(part: list[StationSlice], first: int) -> _Plan:
        count = sum(s.issued_in + s.issued_out for s in part)
        mine = voted[first : first + count] if voted is not None else None
        total = sum(s.count for s in slices)
        return _Plan(sim, part, mine, first, stride, station_ids, total, secret, batch)

    here = [0]
    counter: Any = None  # the forked process's count of check-ins made

    def done(n: int) -> None:
        here[0] += n
        if progress:
            theirs = 0 if counter is None else int(counter.value)
            progress("check-ins", min(here[0] + theirs, voting), voting)

    tally = _Tally()
    methods = multiprocessing.get_all_start_methods()
    if voting < PARALLEL_FROM or "fork" not in methods:
        tally.add(_check_in_stations(db, plan(slices, 0), done))
    else:
        # About half of the check-ins each: stations [0, k) here, the rest in a forked process.
        k = running = 0
        while k < len(slices) and running < voting // 2:
            running += slices[k].issued_in + slices[k].issued_out
            k += 1
        ctx = multiprocessing.get_context("fork")
        counter = ctx.Value("q", 0)
        _forked = (db, plan(slices[k:], running), counter)
        try:
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                theirs = pool.submit(_check_in_forked)
                tally.add(_check_in_stations(db, plan(slices[:k], 0), done))
                tally.add(theirs.result())
        finally:
            _forked = None
    seconds, tally.seconds = tally.seconds, []
    tally.judge(db, election.id, seconds, secret)
    done(len(seconds))
    return tally


def run_register(
    db: Database, sim: SimElection, progress: Progress | None = None, *, batch: int = 200_000
) -> RegisterRun:
    """Import the synthetic register and make every check-in; idempotent on the import."""
    election = sim.election
    load_election(db, election)
    secret = register_secret(sim)
    slices = station_slices(sim)
    total = sum(s.count for s in slices)
    phases: list[tuple[str, float]] = []
    mark = time.perf_counter()
    with db.read() as s:
        existing = RegisterRepo(s, election.id).commitment()
    voted: list[str] | None = [] if existing is None else None
    if existing is None:
        report_progress = (lambda d, t: progress("register", d, t)) if progress else None
        if total >= PARALLEL_FROM and voted is not None:
            rows = _hash_in_processes(sim, slices, total, secret, voted)
            phases.append(
                ("register: voters generated, checked and hashed", time.perf_counter() - mark)
            )
            report = import_hashed_register(db, election.id, rows, progress=report_progress)
            del rows
        else:
            report = import_register(
                db, election.id, register_entries(sim, slices, voted), secret, total=total,
                progress=report_progress,
            )  # fmt: skip
        phases += [(f"register: {what}", took) for what, took in report.phases]
        root, index = report.commitment.merkle_root, report.log_index
    else:
        root, index = existing.merkle_root, existing.log_index
    mark = time.perf_counter()
    tally = _check_ins(db, sim, slices, voted, secret, batch, progress)
    phases.append(("check-ins", time.perf_counter() - mark))
    return RegisterRun(total, root, index, tally.accepted, dict(tally.refused),
                       tuple(tally.examples[:5]), tuple(phases))  # fmt: skip
