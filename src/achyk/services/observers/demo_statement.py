"""The demo's ODIHR-style mission issues its preliminary statement: drafted from its data, signed
with the simulated mission's key (which stands in for the key on the mission's own machine), logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from achyk.observers import signing as sig
from achyk.observers.effect import Effect
from achyk.observers.model import ObserverError
from achyk.services.observers.effect import mission_effects
from achyk.services.observers.record import record
from achyk.services.observers.simulation import _key
from achyk.services.observers.statements import draft_statement
from achyk.sim.generator import SimElection
from achyk.store.database import Database

MISSION = "odihr"


@dataclass(frozen=True)
class Issued:
    index: int
    document: dict[str, Any]
    effect: Effect | None


def issue_preliminary(
    db: Database, sim: SimElection, languages: tuple[str, ...] = ("en", "ru")
) -> Issued:
    eid = sim.election.id
    day_after = date.fromisoformat(sim.election.date) + timedelta(days=1)  # as ODIHR presents it
    effects = mission_effects(db, eid)  # once: it reads every official protocol
    doc = draft_statement(db, eid, MISSION, "preliminary", list(languages),
                          date=day_after.isoformat(), effects=effects)  # fmt: skip
    logged = record(db, eid, "mission-statement", sig.mission_statement(_key(sim, MISSION), doc))
    if logged.index is None:
        raise ObserverError(f"the demo's statement was refused: {'; '.join(logged.refused)}")
    return Issued(logged.index, doc, effects.get(MISSION))
