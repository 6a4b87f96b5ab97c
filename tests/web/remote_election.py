"""A SMALL simulated election with a remote unit and a few dozen remote ballots, through the services."""

from __future__ import annotations

from achyk.services.register import import_register
from achyk.services.remote.simulation import run_remote, with_remote_unit
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.sim.voters import register_entries, register_secret, station_slices
from achyk.store.database import Database

REMOTE_BALLOTS = 30


def with_remote_ballots(db: Database, sim: SimElection | None = None) -> SimElection:
    """Load `sim` (default: SMALL), its register, then remote voting; returns the election loaded."""
    sim = with_remote_unit(sim or generate(SMALL))
    run_simulation(db, sim)
    slices = station_slices(sim)
    import_register(db, sim.election.id, register_entries(sim, slices), register_secret(sim),
                    total=sum(s.count for s in slices))  # fmt: skip
    run_remote(db, sim, REMOTE_BALLOTS)
    return sim
