"""A synthetic election on each preset form runs end to end: every protocol accepted (bar the
planted anomalies), the record verifies, early voters count in turnout."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from achyk.services.publish import publish
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record


@pytest.mark.parametrize("form", ["ru-duma", "kg", "kz"])
def test_a_generated_election_on_a_preset_form(form: str, tmp_path: Path) -> None:
    sim = generate(replace(SMALL, form=form))
    assert sim.election.form is not None and sim.election.form.id == form
    docs = [json.loads(raw)["protocol"] for _, raw in sim.submissions]
    assert all(d["form"] == form for d in docs)
    if form in ("ru-duma", "kg"):
        assert sum(d["issued_early"] for d in docs) > 0
    db = Database.open(f"sqlite:///{tmp_path / 'f.db'}")
    run = run_simulation(db, sim)
    # Only the planted broken protocol is refused (its corrected copy comes later and counts).
    assert [r.source for r in run.refused] == [
        s for s, _ in sim.submissions if s.endswith("-broken")
    ]
    election, tab = results(db, sim.election.id)
    national = tab.national("list")
    assert national is not None and national.counted.stations == election.station_count()
    publish(db, sim.election.id, tmp_path / "record")
    report = verify_record(str(tmp_path / "record"))
    assert report.ok, [c for c in report.checks if not c[1]]
