"""`folded_tabulation` (what `achyk verify` recomputes results with, a region's stations at a time)
gives exactly `tabulate`'s results, corrections and both protocol kinds included."""

from __future__ import annotations

from achyk.domain.protocol import protocol_from_json
from achyk.domain.tabulation import Level, tabulate
from achyk.domain.tally import folded_tabulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL


def test_the_fold_equals_the_tabulation() -> None:
    sim = generate(SMALL)
    protocols = []
    for _, raw in sim.submissions:
        import json

        p, _ = protocol_from_json(json.loads(raw)["protocol"])
        if p is not None:
            protocols.append(p)
    slots = {(p.station_id, p.contest_id, p.kind): p for p in protocols}  # one per slot
    whole = tabulate(sim.election, list(slots.values()))
    folded = folded_tabulation(sim.election, list(slots.values()))
    assert folded.aggregates() == whole.aggregates()
    folded.release_stations()
    station = next(iter(sim.election.stations())).station.id
    contest = sim.election.contests[0].id
    assert folded.get(Level.STATION, station, contest) == whole.get(Level.STATION, station, contest)
    assert folded.results == whole.results
