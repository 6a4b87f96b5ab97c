"""Child process for the crash test: submits the small election's protocols one at a time, forever."""

from __future__ import annotations

import sys

from sqlalchemy import create_engine  # noqa: F401  (imported early so the kill can land anywhere)

from achyk.services.protocols import submit_protocols
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database, make_engine, migrate


def main(url: str, schema: str) -> None:
    if schema:
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        migrate(engine)
        db = Database(engine)
    else:
        db = Database.open(url)
    sim = generate(SMALL)
    run_simulation(db, sim.__class__(sim.profile, sim.election, (), sim.switches, sim.anomalies))
    print("ready", flush=True)
    for sub in sim.submissions:
        submit_protocols(db, sim.election.id, [sub])
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
