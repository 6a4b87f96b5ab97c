"""The voter register: import (all or nothing) with its logged commitment, Form 2 moves, statistics.

The CEC's register secret keys the hashes of personal numbers. It is never stored in the database
(a database dump must not let anyone test whether a given person is on the list or voted): it comes
from ``ACHYK_REGISTER_SECRET_FILE`` (a file holding at least 16 bytes) or is handed in by the caller.
"""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from achyk.domain.definition import Election
from achyk.domain.register import (
    RegisterCommitment,
    VoterEntry,
    VoterHasher,
    check_entry,
    commit_register,
)
from achyk.domain.tabulation import Level, percent
from achyk.errors import AchykError, ConflictError, InputError, NotFoundError, Problem
from achyk.formats.register_csv import parse_register_csv
from achyk.services.elections import get_election
from achyk.services.log_key import KeyFileError, require_private
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo

Progress = Callable[[int, int], None]
SECRET_ENV = "ACHYK_REGISTER_SECRET_FILE"
_CHUNK = 100_000


class SecretMissing(AchykError):
    """No register secret was configured: personal numbers cannot be hashed."""


def load_secret(path: str | Path | None = None) -> bytes:
    """The register secret from `path`, else from $ACHYK_REGISTER_SECRET_FILE."""
    where = path or os.environ.get(SECRET_ENV)
    if not where:
        raise SecretMissing(f"no register secret: pass --secret-file or set ${SECRET_ENV}")
    try:
        require_private(Path(where), "register secret file", "link hashes to personal numbers")
    except KeyFileError as err:
        raise SecretMissing(str(err)) from None
    secret = Path(where).read_bytes().strip()
    if len(secret) < 16:
        raise SecretMissing(f"{where}: a register secret must be at least 16 bytes")
    return secret


def station_countries(election: Election) -> dict[str, str | None]:
    return {p.station.id: p.station.country for p in election.stations()}


@dataclass(frozen=True)
class ImportReport:
    election_id: str
    commitment: RegisterCommitment
    log_index: int | None  # None: the log service is not installed
    phases: tuple[tuple[str, float], ...] = ()  # (what, seconds) of the import's steps


def _append_to_log(
    session: Any, election_id: str, entry: dict[str, Any] | list[dict[str, Any]]
) -> int | None:
    """Append one entry (or several, in order); the index of the first."""
    from achyk.services.ledger import append_entries

    return append_entries(session, election_id, entry if isinstance(entry, list) else [entry])[0]


def _hashed_rows(
    entries: Iterable[VoterEntry],
    stations: dict[str, str | None],
    day: date,
    hasher: VoterHasher,
    progress: Progress | None,
    total: int,
) -> list[tuple[bytes, str, int, str | None]]:
    problems: list[Problem] = []
    rows: list[tuple[bytes, str, int, str | None]] = []
    append = rows.append
    for n, entry in enumerate(entries, start=1):
        found = check_entry(entry, stations, day)
        if found:
            problems.extend(Problem(f"entry {n}", what) for what in found)
            if len(problems) > 1000:
                break
            continue
        append(
            (hasher(entry.personal_number), entry.station_id, entry.birth_date.year,
             entry.abroad_country)
        )  # fmt: skip
        if progress and n % _CHUNK == 0:
            progress(n // 2, total)  # checking and hashing: the first half of the work
    if problems:
        raise InputError("register", problems)
    return rows


HashedRow = tuple[bytes, str, int, str | None]  # (voter hash, station, birth year, country)


def hash_register(
    election: Election,
    entries: Iterable[VoterEntry],
    secret: bytes,
    *,
    progress: Progress | None = None,
    total: int = 0,
) -> list[HashedRow]:
    """Check every entry and replace each personal number by its keyed hash (no I/O).

    Any bad entry (numbered from 1 in input order) raises InputError with every problem named.
    Separate from the storing step so that large registers can be hashed in several processes.
    """
    # Millions of small tuples and no cycles among them: the cycle collector would only rescan
    # them again and again while the list grows.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _hashed_rows(
            entries, station_countries(election), date.fromisoformat(election.date),
            VoterHasher(secret), progress, total,
        )  # fmt: skip
    finally:
        if gc_was_on:
            gc.enable()


def import_register(
    db: Database,
    election_id: str | None,
    entries: Iterable[VoterEntry],
    secret: bytes,
    *,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportReport:
    """Check every entry, store keyed hashes, commit and log the register, in one transaction.

    Any bad entry (numbered from 1 in input order) fails the whole import with every problem named.
    """
    election = get_election(db, election_id)
    started = time.perf_counter()
    rows = hash_register(election, entries, secret, progress=progress, total=total)
    hashed = ("voters checked and hashed", time.perf_counter() - started)
    report = import_hashed_register(db, election.id, rows, progress=progress)
    return replace(report, phases=(hashed, *report.phases))


_BIG = 200_000  # rows: from here the commitment is computed in a second process
_sorted_rows: list[HashedRow] = []  # handed to the forked process without pickling


def _commit_forked(election_id: str) -> RegisterCommitment:
    return commit_register(election_id, ((r[0], r[1]) for r in _sorted_rows))


def import_hashed_register(
    db: Database, election_id: str, rows: list[HashedRow], *, progress: Progress | None = None
) -> ImportReport:
    """Store already checked and hashed rows: sort, refuse duplicates, commit, log — all or nothing.

    For a large register the Merkle commitment (millions of hashes, one core) is computed in a
    forked process while this one writes the rows (the database, the other core).
    """
    global _sorted_rows
    phases: list[tuple[str, float]] = []
    mark = time.perf_counter()

    def phase(what: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases.append((what, now - mark))
        mark = now

    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        # Sorted by hash: duplicates sit side by side, the commitment needs this order, and the
        # voters' B-tree is then filled by appending instead of by random inserts.
        rows.sort(key=itemgetter(0))
        for a, b in itertools.pairwise(rows):
            if a[0] == b[0]:
                raise InputError(
                    "register",
                    [Problem("", f"a personal number appears twice (stations {a[1]} and {b[1]})")],
                )
        phase("sorted by hash, no duplicates")
        pool = None
        if len(rows) >= _BIG and "fork" in multiprocessing.get_all_start_methods():
            _sorted_rows = rows
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            pending = pool.submit(_commit_forked, election_id)
        try:
            with db.session() as s:
                repo = RegisterRepo(s, election_id)
                if repo.commitment() is not None:
                    raise ConflictError(
                        f"election {election_id} already has a register; it is imported once, "
                        "then changed only by Form 2 moves"
                    )
                for start in range(0, len(rows), _CHUNK):
                    repo.add_voters(rows[start : start + _CHUNK])
                    if progress:
                        progress((len(rows) + min(start + _CHUNK, len(rows))) // 2, len(rows))
                phase("rows written")
                commitment = (
                    pending.result()
                    if pool is not None
                    else commit_register(election_id, ((r[0], r[1]) for r in rows))
                )
                phase("Merkle commitment" + (" (the rest of it, computed beside)" if pool else ""))
                index = _append_to_log(s, election_id, commitment.to_entries())
                repo.save_commitment(
                    commitment.count, commitment.merkle_root,
                    dict(commitment.voters_per_station), index,
                )  # fmt: skip
            phase("logged and committed")
        finally:
            if pool is not None:
                pool.shutdown()
            _sorted_rows = []
    finally:
        if gc_was_on:
            gc.enable()
    return ImportReport(election_id, commitment, index, tuple(phases))


def import_register_csv(
    db: Database, election_id: str | None, text: str, secret: bytes, source: str = "register CSV"
) -> ImportReport:
    election = get_election(db, election_id)
    entries = parse_register_csv(
        text, station_countries(election), date.fromisoformat(election.date), source=source
    )
    return import_register(db, election.id, entries, secret)


@dataclass(frozen=True)
class RegisterStats:
    election_id: str
    voters: int
    abroad: int
    moves: int
    moves_refused: int  # refused Form 2 applications or files, kept as evidence
    checkins: int
    refusals: int
    double_votes: int
    merkle_root: str | None
    committed_count: int | None
    log_index: int | None


def register_stats(db: Database, election_id: str | None) -> RegisterStats:
    election = get_election(db, election_id)
    with db.read() as s:
        repo = RegisterRepo(s, election.id)
        c = repo.counts()
        row = repo.commitment()
        return RegisterStats(
            election.id, c["voters"], c["abroad"], c["moves"], c["moves_refused"], c["checkins"],
            c["refusals"],
            c["double_votes"], row.merkle_root if row else None, row.count if row else None,
            row.log_index if row else None,
        )  # fmt: skip


def commitment_document(db: Database, election_id: str | None) -> dict[str, Any] | None:
    """The logged commitment as published (voters per station, root, count)."""
    election = get_election(db, election_id)
    with db.read() as s:
        row = RegisterRepo(s, election.id).commitment()
        if row is None:
            return None
        per_station = json.loads(row.voters_per_station)
        return RegisterCommitment(election.id, per_station, row.merkle_root, row.count).to_entry()


# --- turnout by hour ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HourTurnout:
    hour: int  # local hour of election day: check-ins from hour:00 to hour:59
    voted: int
    cumulative: int
    turnout_pct: str  # cumulative share of the registered voters, 2 decimals


@dataclass(frozen=True)
class UnitTurnout:
    level: str
    unit: str
    name: str
    registered: int
    voted: int
    turnout_pct: str
    by_hour: tuple[HourTurnout, ...]


def _pct(part: int, whole: int) -> str:
    # Truncated, as every percentage achyk shows (achyk.domain.tabulation.percent).
    return str(percent(part, whole)) if whole else "0.00"


def _units(election: Election, level: Level) -> dict[str, tuple[str, list[str]]]:
    """unit id → (name, station ids) at one level."""
    out: dict[str, tuple[str, list[str]]] = {}
    for r in election.regions:
        for d in r.districts:
            for st in d.stations:
                if level is Level.NATIONAL:
                    key, name = "national", election.name
                elif level is Level.REGION:
                    key, name = r.id, r.name
                elif level is Level.DISTRICT:
                    key, name = d.id, d.name
                elif level is Level.STATION:
                    key, name = st.id, st.name
                elif level is Level.ABROAD:
                    if st.country is None:
                        continue
                    key, name = "abroad", "Abroad"
                else:
                    if st.country is None:
                        continue
                    key, name = st.country, st.country
                out.setdefault(key, (name, []))[1].append(st.id)
    return out


def turnout(
    db: Database, election_id: str | None, level: Level = Level.NATIONAL, unit: str | None = None
) -> list[UnitTurnout]:
    """Registered voters (after Form 2) and check-ins by hour, for every unit at `level`."""
    election = get_election(db, election_id)
    units = _units(election, level)
    if unit is not None:
        if unit not in units:
            raise NotFoundError(f"no {level.value} {unit!r} in election {election.id}")
        units = {unit: units[unit]}
    with db.read() as s:
        repo = RegisterRepo(s, election.id)
        registered = repo.registered_per_station()
        per_hour: dict[str, dict[int, int]] = {}
        for station, hour, n in repo.checkins_per_station_hour():
            per_hour.setdefault(station, {})[hour] = n
    out: list[UnitTurnout] = []
    for key, (name, stations) in sorted(units.items()):
        reg = sum(registered.get(st, 0) for st in stations)
        hours: dict[int, int] = {}
        for st in stations:
            for h, n in per_hour.get(st, {}).items():
                hours[h] = hours.get(h, 0) + n
        rows, cumulative = [], 0
        for h in sorted(hours):
            cumulative += hours[h]
            rows.append(HourTurnout(h, hours[h], cumulative, _pct(cumulative, reg)))
        out.append(
            UnitTurnout(level.value, key, name, reg, cumulative, _pct(cumulative, reg), tuple(rows))
        )
    return out
