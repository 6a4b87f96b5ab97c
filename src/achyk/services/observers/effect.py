"""Each mission's observed versus unobserved stations (`achyk.observers.effect`), from the official
protocols of the election's first contest, and its coverage by region for the map."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from achyk.observers.effect import Effect, StationFigures, observer_effect, station_figures
from achyk.observers.findings import RegionCoverage, region_coverage
from achyk.observers.trust_roles import TrustRoles, trust_roles
from achyk.services.elections import get_election
from achyk.services.observers.record import election_strata, read_observers
from achyk.store.database import Database
from achyk.store.models import LogEntryRow
from achyk.store.repositories import Protocols


def official_figures(db: Database, election_id: str) -> dict[str, StationFigures]:
    """Turnout and the overall leader's share per station, from the first contest's official
    protocols (the leader: most votes over every official protocol of that contest)."""
    election = get_election(db, election_id)
    if not election.contests:
        return {}
    contest = election.contests[0].id
    docs: list[dict[str, Any]] = []
    with db.read() as s:
        for text in Protocols(s).documents(election.id):
            doc = json.loads(text)
            if doc.get("kind") == "official" and doc.get("contest") == contest:
                docs.append(doc)
    totals: dict[str, int] = {}
    for doc in docs:
        for option, votes in doc["votes"].items():
            totals[option] = totals.get(option, 0) + int(votes)
    if not totals:
        return {}
    leader = max(totals, key=lambda o: totals[o])
    out = {}
    for doc in docs:
        figures = station_figures(doc, leader)
        if figures is not None:
            out[figures.station] = figures
    return out


def mission_effects(db: Database, election_id: str | None = None) -> dict[str, Effect]:
    """Per mission: a mission with a committed plan is compared by its random assignment (the
    stations its plan drew, observed or not: intention to treat, so a team that missed a station
    cannot bias the comparison); one without a plan by the stations it visited (not random)."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    figures = official_figures(db, election.id)
    out: dict[str, Effect] = {}
    for mid in state.missions:
        if mid in state.plans:
            observed, random = state.plans[mid][1].stations(), True
        else:
            observed = {o.station for o in state.observations.values() if o.mission == mid}
            random = False
        effect = observer_effect(mid, observed, figures, random)
        if effect is not None:
            out[mid] = effect
    return out


def mission_regions(
    db: Database, election_id: str | None = None
) -> dict[str, list[RegionCoverage]]:
    """Per mission: stations visited, assigned and in all, by region (abroad one row)."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    strata = election_strata(election)
    return {mid: region_coverage(state, mid, strata) for mid in state.missions}


def mission_trust(db: Database, election_id: str | None = None) -> dict[str, TrustRoles]:
    """Per mission: is it also a witness of the log, a trustee of remote voting (see
    `achyk.observers.trust_roles`)."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    with db.read() as s:
        q = (
            select(LogEntryRow.entry)
            .where(LogEntryRow.election_id == election.id, LogEntryRow.kind == "remote-ceremony")
            .order_by(LogEntryRow.idx.desc())
            .limit(1)
        )
        text = s.scalar(q)
    trustees = None
    if text is not None:
        listed = json.loads(text).get("trustees")
        if isinstance(listed, list):
            trustees = {str(t.get("name")) for t in listed if isinstance(t, dict)}
    witnesses = [(w.name, w.key) for w in election.witnesses]
    return {mid: trust_roles(m, witnesses, trustees) for mid, m in state.missions.items()}
