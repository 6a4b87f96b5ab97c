"""What the missions page shows beyond coverage and the PVT: observed versus unobserved stations,
the coverage map, each mission's roles as witness or trustee, and its issued statements."""

from __future__ import annotations

from typing import Any

from achyk.domain.definition import Election
from achyk.services.observers.effect import mission_effects, mission_regions, mission_trust
from achyk.services.observers.statements import issued_statements
from achyk.store.database import Database
from achyk.web.mission_map import coverage_map


def mission_extras(db: Database, election: Election) -> dict[str, Any]:
    regions = mission_regions(db, election.id)
    statements: dict[str, list[Any]] = {}
    for s in issued_statements(db, election.id):
        statements.setdefault(s.mission, []).append(s)
    return {
        "effects": mission_effects(db, election.id),
        "maps": {m: coverage_map(election, rows) for m, rows in regions.items()},
        "trust": mission_trust(db, election.id),
        "statements": statements,
    }
