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


def test_the_batch_fold_of_fresh_totals_is_the_fold() -> None:
    """`folded_tabulation` sums by chains of units (`fold_batch`): the rows of `fold`, the same
    keys in the same order, annulled stations (their own rows only) included."""
    import json

    from achyk.domain.tally import _fresh_rows, fold, unit_index

    sim = generate(SMALL)
    protocols = [p for _, raw in sim.submissions
                 for p in [protocol_from_json(json.loads(raw)["protocol"])[0]] if p is not None]  # fmt: skip
    index = unit_index(sim.election)
    annulled = frozenset({protocols[0].station_id, protocols[-1].station_id})
    for gone in (frozenset(), annulled):
        rows = _fresh_rows(index, sim.election, protocols, gone)
        assert list(rows.items()) == list(fold(index, {}, protocols, gone).items())
