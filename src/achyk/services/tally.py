"""Incremental tabulation: stored running totals, advanced in the transaction that accepts protocols.

Every writer of the `protocols` table (submission, correction, the remote tally) calls
`record_protocols` inside its unit of work, after `append_entries` has taken the log's head lock:
appends are serialised, so each fold reads the totals the previous one wrote and nothing runs
between the log entry and the totals it justifies. Reading results is then a read of about one row
per unit above the stations (a few thousand at 100,000 stations), and of a station's own row when
its page is asked for.

A database whose protocols predate the totals (or a test that wants to check them) rebuilds them
from the stored protocols with `rebuild_totals`, under the same lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from achyk.disputes.effects import annulments, waiting
from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.domain.per_election import PerElection
from achyk.domain.protocol import Protocol, ProtocolKind, protocol_from_json
from achyk.domain.tabulation import ContestResult, Level, Tabulation
from achyk.domain.tally import (
    Chains,
    Folded,
    Key,
    UnitIndex,
    Vectors,
    annul,
    annulled_counts,
    contest_result,
    fold,
    fold_batch,
    protocol_vector,
    unit_index,
)
from achyk.services.disputes.docket import fold_docket
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Protocols
from achyk.store.tally_repo import Tallies

# The election's unit index, and its chains of units (grown as stations are folded): each built
# once per loaded definition (it is immutable).
index_of: PerElection[UnitIndex] = PerElection(unit_index)
chains_of: PerElection[Chains] = PerElection(Chains)


def record_protocols(
    session: Session,
    election: Election,
    rows: Sequence[dict[str, object]],
    protocols: Sequence[Protocol],
) -> None:
    """Store accepted protocol rows and fold them into the running totals, in one transaction.

    `protocols[i]` is the parsed form of `rows[i]`; each replaces what its slot (station, contest,
    kind) held — a correction marks the old row superseded before calling this. The totals are
    folded as the one writer folds a judged batch (`record_folded`).
    """
    if not rows:
        return
    orders = chains_of(election).orders
    _fold_batch(session, election, [
        (p.station_id, p.contest_id, p.kind is ProtocolKind.OFFICIAL,
         protocol_vector(p, orders[p.contest_id])) for p in protocols
    ])  # fmt: skip
    Protocols(session).add_many(election.id, rows)


def record_folded(
    session: Session,
    election: Election,
    rows: Sequence[tuple[object, ...]],
    folded: Sequence[Folded],
) -> None:
    """`record_protocols` for a judged batch (achyk.services.protocols): the rows as
    `Protocols.add_rows` takes them, each protocol as the fold takes it (`folded[i]` is `rows[i]`'s)."""
    if not rows:
        return
    _fold_batch(session, election, folded)
    Protocols(session).add_rows(election.id, rows)


def _fold_batch(session: Session, election: Election, folded: Sequence[Folded]) -> None:
    """Fold protocols into the running totals: only the rows of their stations and of the units
    above them are read and written (totals missing while protocols exist are rebuilt first)."""
    tallies = Tallies(session, election.id)
    chains = chains_of(election)
    stations = {f[0] for f in folded}
    units: dict[str, set[str]] = {}
    for chain in {chains.of(sid) for sid in stations}:
        for level, uid in chains.chains[chain]:
            units.setdefault(level, set()).add(uid)

    def read() -> tuple[dict[Key, Vectors], dict[str, dict[str, object]]]:
        stored, out = tallies.stations_of(stations)
        for level, ids in units.items():
            stored.update(tallies.units(level, ids))
        return stored, out

    stored, out = read()
    # A row found (the nation's, at the latest after the first protocol): the totals exist, and
    # a small group is spared the query that asks.
    if not stored and not out and not tallies.any() and Protocols(session).any(election.id):
        _rebuild(session, election)
        stored, out = read()
    tallies.write(fold_batch(chains, stored, folded, set(out)), list(stored))


def annul_station(session: Session, election: Election, annulment: Annulment) -> None:
    """Take an annulled station out of the running totals, in the transaction that logs the step
    executing the annulment (after `append_entries` took the log's head lock). Idempotent."""
    tallies = Tallies(session, election.id)
    if annulment.station in tallies.annulled([annulment.station]):
        return
    index = index_of(election)
    if not tallies.any() and Protocols(session).any(election.id):
        _rebuild(session, election)  # the rebuild reads the docket: this annulment included
        return
    stored: dict[tuple[str, str, str], Vectors] = {}
    for unit in index.units_of[annulment.station]:
        stored.update(tallies.units(unit.level.value, [unit.id]))
    tallies.write(annul(index, stored, annulment.station), list(stored))
    tallies.mark_annulled(annulment.station, annulment.as_dict())


def _current_protocols(session: Session, election_id: str) -> list[Protocol]:
    out = []
    for text in Protocols(session).documents(election_id):
        protocol, problems = protocol_from_json(json.loads(text))
        # Stored protocols passed every check on the way in; a failure here is corruption.
        assert protocol is not None, problems
        out.append(protocol)
    return out


def _rebuild(session: Session, election: Election) -> None:
    tallies = Tallies(session, election.id)
    tallies.clear()
    out = annulments(fold_docket(session, election))
    protocols = _current_protocols(session, election.id)
    tallies.write(fold(index_of(election), {}, protocols, set(out)), [])
    for annulment in out.values():
        tallies.mark_annulled(annulment.station, annulment.as_dict())


def rebuild_totals(db: Database, election: Election) -> None:
    """Recompute the running totals from the stored protocols (under the log's head lock)."""
    with db.session() as s:
        LogStore(s, election.id).lock_head()
        _rebuild(s, election)


def ensure_totals(db: Database, election: Election) -> None:
    """Build the totals of an election whose protocols were stored before the totals existed."""
    with db.read() as s:
        missing = not Tallies(s, election.id).any() and Protocols(s).any(election.id)
    if missing:
        rebuild_totals(db, election)


def totals_tabulation(db: Database, election: Election) -> Tabulation:
    """The tabulation from the stored totals: units above the stations now, stations on demand."""
    index = index_of(election)
    with db.read() as s:
        stored = Tallies(s, election.id).aggregates()
        out = {sid: annulment_of(sid, d) for sid, d in Tallies(s, election.id).annulled().items()}
        held = waiting(fold_docket(s, election), election)
    counts = annulled_counts(index, out)
    results = {
        key: contest_result(index, election, key, stored.get(key), counts.get(key, 0))
        for key in index.expected
        if key[0] is not Level.STATION
    }

    def stations(ids: Sequence[str] | None) -> dict[tuple[Level, str, str], ContestResult]:
        with db.read() as s:
            tallies = Tallies(s, election.id)
            rows = dict(tallies.stations()) if ids is None else tallies.units("station", ids)
        wanted = index.units_of.keys() if ids is None else [i for i in ids if i in index.units_of]
        found = {}
        for sid in wanted:
            for cid in index.orders:
                key = (Level.STATION, sid, cid)
                if key in index.expected:
                    found[key] = contest_result(
                        index, election, key, rows.get(key), counts.get(key, 0)
                    )
        return found

    return Tabulation(election.id, results, stations, index.stations_under,
                      annulled=out, waiting=held)  # fmt: skip


def annulment_of(station: str, stored: Mapping[str, object]) -> Annulment:
    def n(key: str) -> int:
        value = stored.get(key)
        return value if isinstance(value, int) else -1

    return Annulment(station, n("complaint"), n("decision"), n("executed"),
                     str(stored.get("authority")))  # fmt: skip
