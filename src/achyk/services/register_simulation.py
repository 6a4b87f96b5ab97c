"""The simulated register and election day, through the real register and check-in services.

Every voter the protocols count as issued a ballot is checked in by their station's device (or by
its mobile box), in batches; the simulated matcher rejects a few on the first try and they try
again; a handful of voters then try to vote a second time elsewhere and are refused by name.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

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


PARALLEL_FROM = 200_000  # voters: below this, one process is quicker than starting more


def _hash_part(
    sim: SimElection, part: list[StationSlice], total: int, secret: bytes
) -> tuple[list[HashedRow], list[str]]:
    voted: list[str] = []
    rows = hash_register(sim.election, register_entries(sim, part, voted, total), secret)
    return rows, voted


def _hash_in_processes(
    sim: SimElection, slices: list[StationSlice], total: int, secret: bytes, voted: list[str]
) -> list[HashedRow]:
    """Generate and hash the synthetic register on every core (the demo's longest step)."""
    workers = max(1, min(4, os.cpu_count() or 1))
    size = -(-len(slices) // workers)
    parts = [slices[i : i + size] for i in range(0, len(slices), size)]
    rows: list[HashedRow] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part_rows, part_voted in pool.map(
            _hash_part, [sim] * len(parts), parts, [total] * len(parts), [secret] * len(parts)
        ):
            rows += part_rows
            voted += part_voted
    return rows


def run_register(
    db: Database, sim: SimElection, progress: Progress | None = None, *, batch: int = 100_000
) -> RegisterRun:
    """Import the synthetic register and make every check-in; idempotent on the import."""
    election = sim.election
    load_election(db, election)
    secret = register_secret(sim)
    slices = station_slices(sim)
    total = sum(s.count for s in slices)
    with db.read() as s:
        existing = RegisterRepo(s, election.id).commitment()
    voted: list[str] | None = [] if existing is None else None
    if existing is None:
        report_progress = (lambda d, t: progress("register", d, t)) if progress else None
        if total >= PARALLEL_FROM and voted is not None:
            rows = _hash_in_processes(sim, slices, total, secret, voted)
            report = import_hashed_register(db, election.id, rows, progress=report_progress)
        else:
            report = import_register(
                db, election.id, register_entries(sim, slices, voted), secret, total=total,
                progress=report_progress,
            )  # fmt: skip
        root, index = report.commitment.merkle_root, report.log_index
    else:
        root, index = existing.merkle_root, existing.log_index
    matcher = SimulatedMatcher(seed=f"{sim.profile.name}/{sim.profile.seed}".encode())
    voting = sum(s.issued_in + s.issued_out for s in slices)
    accepted, refused = 0, Counter[Refusal]()
    examples: list[str] = []
    pending: list[BatchCheckin] = []
    retries: list[BatchCheckin] = []
    seconds: list[BatchCheckin] = []
    done = 0

    def flush(items: list[BatchCheckin]) -> None:
        nonlocal accepted, done
        result = check_in_batch(db, election.id, items, secret)
        accepted += result.accepted
        for _, reason, message in result.refused:
            refused[reason] += 1
            if len(examples) < 5 and reason is not Refusal.BIOMETRIC_MISMATCH:
                examples.append(message)
        done += len(items)
        if progress:
            progress("check-ins", min(done, voting), voting)

    stride = max(1, voting // SECOND_TRIES)
    # Second tries go to the next station that has a counting device (not the remote unit).
    station_ids = [
        s.station_id for s in slices
        if (place := election.place(s.station_id)) is not None and place.station.devices
    ]  # fmt: skip
    for n, (number, station, device, at, channel) in enumerate(voter_checkins(sim, slices, voted)):
        match = matcher.match(number, b"1")
        item = BatchCheckin(number, station, device, at, match, channel)
        pending.append(item)
        if not match.matched:
            retries.append(
                item._replace(at=at + timedelta(minutes=2), match=MatchResult(True, 0.8))
            )
        if n % stride == stride - 1 and len(seconds) < SECOND_TRIES:
            at_list = station_ids.index(station) if station in station_ids else -1
            other = station_ids[(at_list + 1) % len(station_ids)]
            seconds.append(
                item._replace(station_id=other, device_id=f"asu-{other}-a",
                              at=at + timedelta(minutes=30), match=MatchResult(True, 0.9))
            )  # fmt: skip
        if len(pending) >= batch:
            flush(pending)
            pending = []
    flush(pending + retries)
    flush(seconds)
    return RegisterRun(total, root, index, accepted, dict(refused), tuple(examples))
