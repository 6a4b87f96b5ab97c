"""An election's protocols as the station table the screens read.

One row per station of the contest: its official (hand-count) protocol where there is one, else
its preliminary (scanner) one. The leader is the option with the most votes in the whole contest,
fixed once (Kobak et al. 2016). Strata: the region at home, "abroad" for stations abroad and
"remote" for the remote voting unit — each is compared only with its own kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from achyk.domain.definition import Contest, ContestKind, Election
from achyk.domain.protocol import AGAINST_ALL, Protocol, ProtocolKind
from achyk.errors import NotFoundError
from achyk.forensics.stations import Stations

REMOTE, ABROAD = "remote", "abroad"


@dataclass(frozen=True, eq=False)
class ContestTable:
    contest: Contest
    leader: str  # option id
    stations: Stations


def main_contest(election: Election, contest_id: str | None = None) -> Contest:
    if contest_id:
        contest = election.contest(contest_id)
        if contest is None:
            raise NotFoundError(f"no contest {contest_id!r} in election {election.id}")
        return contest
    return next(
        (c for c in election.contests if c.kind is ContestKind.PARTY_LIST), election.contests[0]
    )


def stratum(election: Election, station_id: str) -> str:
    place = election.place(station_id)
    if place is None:
        return ""
    if place.station.remote:
        return REMOTE
    return ABROAD if place.station.abroad else place.region_id


def contest_table(
    election: Election, protocols: Iterable[Protocol], contest_id: str | None = None
) -> ContestTable:
    contest = main_contest(election, contest_id)
    chosen: dict[str, Protocol] = {}
    for p in protocols:
        if p.contest_id != contest.id:
            continue
        held = chosen.get(p.station_id)
        if held is None or (
            held.kind is ProtocolKind.PRELIMINARY and p.kind is ProtocolKind.OFFICIAL
        ):
            chosen[p.station_id] = p
    totals: dict[str, int] = {}
    for p in chosen.values():
        for option, n in p.votes:
            if option != AGAINST_ALL:
                totals[option] = totals.get(option, 0) + n
    leader = max(totals, key=lambda o: (totals[o], o)) if totals else ""
    rows = sorted(chosen.values(), key=lambda p: p.station_id)
    table = Stations.of(
        [p.station_id for p in rows],
        [p.voters_on_list for p in rows],
        [p.issued for p in rows],
        [p.valid + p.invalid for p in rows],
        [p.votes_for(leader) for p in rows],
        [stratum(election, p.station_id) for p in rows],
    )
    return ContestTable(contest, leader, table)
