"""The generator's optional manipulations (issue 14) go through the real services, break no
control relation, leave the default simulation unchanged, and the forensics find them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from achyk.forensics.flags import station_flags
from achyk.forensics.from_protocols import contest_table
from achyk.forensics.integers import integer_peaks, integer_values
from achyk.services.results import accepted_protocols
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import KG_2025, SMALL
from achyk.store.database import Database

# kg-2025's shape at a fifth of its stations: enough for the null, quick to sign and check.
MEDIUM = replace(KG_2025, stations_home=500, stations_abroad=10, voters_abroad=20_000, districts=10)


def test_asking_for_nothing_new_changes_nothing() -> None:
    assert generate(SMALL).submissions == generate(SMALL, share=0.2).submissions


def test_rounding_and_stealing_are_planted_and_found(tmp_path: Path) -> None:
    sim = generate(MEDIUM, anomalies=("stuffing", "rounding", "stealing"), share=0.1)
    db = Database.open(f"sqlite:///{tmp_path / 'p.db'}")
    report = run_simulation(db, sim)
    assert report.refused == ()  # every planted protocol still keeps the control relations
    table = contest_table(sim.election, accepted_protocols(db, sim.election.id))
    assert table.leader == "p01"
    s = table.stations
    rounded = set(sim.anomalies["rounding"])
    assert len(rounded) == 50 and not rounded & set(sim.anomalies["stealing"])
    t_int, v_int = integer_values(s)
    hits = {sid for sid, t, v in zip(s.ids, t_int, v_int, strict=True) if t and v}
    # Most rounded stations show both figures as whole percentages; not all can: below 1,000
    # voters the nearest count may be up to 50/voters points off the target, outside the ±0.05 bin.
    assert len(hits & rounded) > 0.6 * len(rounded)
    peaks = integer_peaks(s, replicates=200, seed=1)
    assert peaks.significant
    strong = {f.station for f in station_flags(s) if "extreme" in f.reasons}
    assert set(sim.anomalies["stuffing"]) <= strong  # the demo's stuffed stations
    db.close()
