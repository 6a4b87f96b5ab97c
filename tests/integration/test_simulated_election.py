"""A whole synthetic election through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import Level
from achyk.services.protocols import Outcome
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database


def test_small_election_end_to_end(db: Database) -> None:
    sim = generate(SMALL)
    report = run_simulation(db, sim, batch=37)
    # the one broken protocol is refused and kept; its corrected resend is accepted later
    assert report.outcomes[Outcome.REJECTED] == 1
    assert report.refused[0].station_id == sim.anomalies["broken"][0]
    assert report.outcomes[Outcome.ACCEPTED] == len(sim.submissions) - 1
    election, tab = results(db, sim.election.id)
    nat = tab.national("list")
    assert nat is not None
    assert nat.counted.stations == nat.stations_expected == election.station_count()
    regions = tab.at_level(Level.REGION, "list")
    assert sum(r.counted.valid for r in regions) == nat.counted.valid
    assert sum(r.counted.votes_for("p01") for r in regions) == nat.counted.votes_for("p01")
    # stuffed stations show the anomaly the forensics will later flag
    for sid in sim.anomalies["stuffing"]:
        st = tab.get(Level.STATION, sid, "list")
        assert st is not None and st.turnout_pct >= 97
    seats = all_list_seats(election, tab)[0].allocation
    assert seats.total == 20
    # running it again changes nothing: every submission is a duplicate or the same refusal
    again = run_simulation(db, sim)
    assert again.outcomes.get(Outcome.ACCEPTED, 0) == 0
    assert results(db, sim.election.id)[1].national("list") == nat
    hand = tab.national("list").hand  # type: ignore[union-attr]
    assert hand.stations == nat.counted.stations  # every station also sent its hand count


def test_generation_is_reproducible() -> None:
    a, b = generate(SMALL), generate(SMALL)
    assert a.submissions == b.submissions
    assert a.election == b.election
