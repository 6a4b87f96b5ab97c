"""Scanner versus hand count for a loaded election: per station, per contest, and on the seats."""

from __future__ import annotations

from dataclasses import dataclass

from achyk.audit.reconcile import ContestReconciliation, Tolerances, reconcile_contest
from achyk.domain.definition import ContestKind, Election
from achyk.domain.protocol import Protocol, ProtocolKind
from achyk.domain.seat_results import list_seats
from achyk.domain.tabulation import Level, Tabulation, ballot_order
from achyk.domain.tally import contest_result, fold
from achyk.services.elections import get_election
from achyk.services.results import accepted_protocols
from achyk.services.tally import index_of
from achyk.store.database import Database


@dataclass(frozen=True)
class Reconciliation:
    election: Election
    tolerances: Tolerances
    contests: tuple[ContestReconciliation, ...]
    # list contests: seats with every station's scanner count, and with every hand count
    # (a station with one count only contributes that count to both)
    seats: dict[str, tuple[dict[str, int], dict[str, int]]]


def _basis(protocols: list[Protocol], prefer: ProtocolKind) -> list[Protocol]:
    """One protocol per slot: the preferred kind where there is one, else the other."""
    chosen: dict[tuple[str, str], Protocol] = {}
    for p in protocols:
        key = (p.station_id, p.contest_id)
        if key not in chosen or p.kind is prefer:
            chosen[key] = p
    return list(chosen.values())


def _units_tabulation(election: Election, protocols: list[Protocol]) -> Tabulation:
    """The units above the stations (all the seats need), folded as the running totals are:
    the full `tabulate` of 200,000 protocols built every station's result too, twice."""
    index = index_of(election)
    rows = fold(index, {}, protocols)
    results = {
        key: contest_result(index, election, key, rows.get(key))
        for key in index.expected
        if key[0] is not Level.STATION
    }
    return Tabulation(election.id, results, None, index.stations_under)


def reconcile_election(
    db: Database, election_id: str | None = None, tol: Tolerances | None = None
) -> Reconciliation:
    election = get_election(db, election_id)
    protocols = accepted_protocols(db, election.id)
    tol = tol or Tolerances()
    slots: dict[tuple[str, str], dict[ProtocolKind, Protocol]] = {}
    for p in protocols:
        slots.setdefault((p.station_id, p.contest_id), {})[p.kind] = p
    contests = []
    for contest in election.contests:
        pairs = [
            (kinds[ProtocolKind.PRELIMINARY], kinds[ProtocolKind.OFFICIAL])
            for (_, cid), kinds in slots.items()
            if cid == contest.id and len(kinds) == 2
        ]
        contests.append(reconcile_contest(contest.id, pairs, ballot_order(contest), tol))
    scanner_tab = _units_tabulation(election, _basis(protocols, ProtocolKind.PRELIMINARY))
    hand_tab = _units_tabulation(election, _basis(protocols, ProtocolKind.OFFICIAL))
    seats = seats_by_count(election, scanner_tab, hand_tab)
    return Reconciliation(election, tol, tuple(contests), seats)


def seats_by_count(
    election: Election, scanner_tab: Tabulation, hand_tab: Tabulation
) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    """Each party-list contest's seats by the scanners' count and by the hand count, where
    both can be allocated so far (the paper pages show whether they differ)."""
    seats: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for contest in election.contests:
        if contest.kind is ContestKind.PARTY_LIST and hand_tab.national(contest.id) is not None:
            by_scanner = list_seats(election, scanner_tab, contest).allocation
            by_hand = list_seats(election, hand_tab, contest).allocation
            if by_scanner is not None and by_hand is not None:  # both determinable so far
                seats[contest.id] = (by_scanner.as_dict(), by_hand.as_dict())
    return seats
