"""The demo's station simulator: hand counts held back are transmitted over HTTP by their
devices once the server is up, and every one is accepted."""

from __future__ import annotations

from pathlib import Path

from achyk.api.app import create_app
from achyk.cli.demo import _hold_back
from achyk.cli.transmit import transmit_later
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import device_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import serving


def test_held_back_hand_counts_arrive_over_http(tmp_path: Path) -> None:
    sim, held = _hold_back(generate(SMALL), 3)
    assert len(held) >= 3  # a hand count per contest the station votes in
    db = Database.open(f"sqlite:///{tmp_path / 'demo.db'}")
    run_simulation(db, sim)
    _, before = results(db, sim.election.id)
    lines: list[str] = []
    with serving(create_app(db=db)) as url:
        transmit_later(url, held, lambda d: device_key(SMALL, d), pause=0,
                       report=lines.append).join(timeout=120)  # fmt: skip
    assert len(lines) == len(held)
    assert all(": 201 accepted (log entry " in line for line in lines), lines
    _, after = results(db, sim.election.id)
    hand = after.national("list")
    assert hand is not None and before.national("list") is not None
    assert hand.hand.stations == before.national("list").hand.stations + 3  # type: ignore[union-attr]
