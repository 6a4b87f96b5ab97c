"""Running a synthetic election through the real services (the demo, integration tests, benchmarks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, Receipt, record_device_switch, submit_protocols
from achyk.sim.generator import SimElection
from achyk.store.database import Database
from achyk.store.repositories import DeviceSwitches

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class RunReport:
    outcomes: dict[Outcome, int]
    refused: tuple[Receipt, ...]


def run_simulation(
    db: Database, sim: SimElection, *, batch: int = 500, progress: Progress | None = None
) -> RunReport:
    """Load the election, record the backup switches, and submit every protocol in arrival order."""
    election = sim.election
    load_election(db, election)
    with db.read() as s:
        known = DeviceSwitches(s).active_backups(election.id)
    for sw in sim.switches:
        if sw.to_device not in known.get(sw.station_id, set()):
            record_device_switch(
                db, election.id, sw.station_id, sw.from_device, sw.to_device, sw.reason
            )
    counts: Counter[Outcome] = Counter()
    refused: list[Receipt] = []
    subs = sim.submissions
    for start in range(0, len(subs), batch):
        for r in submit_protocols(db, election.id, subs[start : start + batch]):
            counts[r.outcome] += 1
            if r.outcome in (Outcome.REJECTED, Outcome.CONFLICT):
                refused.append(r)
        if progress:
            progress(min(start + batch, len(subs)), len(subs))
    return RunReport(dict(counts), tuple(refused))
