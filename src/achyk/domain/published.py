"""The published results document: what the CEC publishes and what `achyk verify` recomputes.

Both sides build it with this one function, so a verifier compares like with like; any difference
between the published file and the recomputation is named by its path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from achyk.domain.definition import ContestKind, Election, Region
from achyk.domain.outcomes import decide_district
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.seat_results import ListSeats, all_list_seats
from achyk.domain.tabulation import ContestResult, Count, Level, Tabulation

RESULTS_FORMAT = 1


def _count(c: Count) -> dict[str, Any]:
    return {
        "stations": c.stations, "voters_on_list": c.voters_on_list, "issued": c.issued,
        "found": c.found, "invalid": c.invalid, "valid": c.valid, "votes": dict(c.votes),
    }  # fmt: skip


def seats_document(s: ListSeats) -> dict[str, Any]:
    """One contest's seats: the allocation and its status, or why it cannot be made yet."""
    if s.allocation is None:
        return {"status": s.status.value, "reason": s.reason}
    doc = {
        "status": s.status.value,
        "seats": s.allocation.as_dict(),
        "qualified": list(s.allocation.qualified),
        "excluded": dict(s.allocation.excluded),
    }
    if s.reason is not None:  # a certification that waits says on what
        doc["reason"] = s.reason
    return doc


def station_results_path(region_id: str) -> str:
    """Where a region's station results are published, beside results.json."""
    return f"results/stations/{region_id}.json"


def _unit(r: ContestResult) -> dict[str, Any]:
    doc = {
        "name": r.unit.name,
        "parent": r.unit.parent,
        "stations_expected": r.stations_expected,
        "registered": r.registered,
        "counted": _count(r.counted),
        "scanner": _count(r.scanner),
        "hand": _count(r.hand),
    }
    if r.annulled:  # stations out of the count by an executed decision (`record-format.md`)
        doc["annulled"] = r.annulled
    return doc


def station_results_document(election: Election, tab: Tabulation, region: Region) -> dict[str, Any]:
    """One region's stations: the station level of results.json, split so that no file is huge."""
    contests: dict[str, Any] = {}
    tab.preload([st.id for district in region.districts for st in district.stations])
    for contest in election.contests:
        rows = {}
        for district in region.districts:
            if not contest.covers(district.id):  # (no result: asking would read it again)
                continue
            for station in district.stations:
                r = tab.get(Level.STATION, station.id, contest.id)
                if r is not None:
                    rows[f"station/{station.id}"] = _unit(r)
        if rows:
            contests[contest.id] = dict(sorted(rows.items()))
    return {"format": RESULTS_FORMAT, "election": election.id, "region": region.id,
            "contests": contests}  # fmt: skip


def results_document(election: Election, tab: Tabulation) -> dict[str, Any]:
    """Results above the stations (nation, regions, districts, abroad, countries), seats, winners.

    Station results are published by region (`station_results_document`): at 100,000 stations one
    file of everything would be over 100 MB.
    """
    contests: dict[str, Any] = {}
    aggregates = tab.aggregates()
    for contest in election.contests:
        units = sorted(
            (r for (_, _, cid), r in aggregates.items() if cid == contest.id),
            key=lambda r: (r.unit.level.value, r.unit.id),
        )
        contests[contest.id] = {f"{r.unit.level.value}/{r.unit.id}": _unit(r) for r in units}
    seats = {s.contest_id: seats_document(s) for s in all_list_seats(election, tab)}
    districts = {}
    for contest in election.contests:
        nat = tab.national(contest.id)
        if contest.kind is ContestKind.DISTRICT and nat is not None and nat.counted.stations:
            votes = {o: n for o, n in nat.counted.votes if o != AGAINST_ALL}
            against = nat.counted.votes_for(AGAINST_ALL) if contest.against_all else None
            outcome = decide_district(votes, contest.seats, against_all=against)
            districts[contest.id] = {"elected": list(outcome.elected), "summary": outcome.summary}
    doc: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "election": election.id,
        "contests": contests,
        "seats": seats,
        "districts": districts,
    }
    if tab.annulled:
        doc["annulled"] = {sid: a.as_dict() for sid, a in sorted(tab.annulled.items())}
    return doc


def differences(published: Any, computed: Any, path: str = "") -> Iterator[str]:
    """Every path at which two JSON values differ, with both values."""
    if isinstance(published, dict) and isinstance(computed, dict):
        for key in sorted(set(published) | set(computed), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in computed:
                yield f"{where}: published but not recomputed"
            elif key not in published:
                yield f"{where}: recomputed ({_short(computed[key])}) but not published"
            else:
                yield from differences(published[key], computed[key], where)
    elif published != computed:
        yield f"{path}: published {_short(published)}, recomputed {_short(computed)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
