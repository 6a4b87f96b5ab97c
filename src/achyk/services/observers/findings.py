"""Missions' findings read from the log and the stored protocols."""

from __future__ import annotations

import json

from achyk.observers.findings import Coverage, coverage
from achyk.observers.fold import compare_copy
from achyk.services.elections import get_election
from achyk.services.observers.record import election_strata, read_observers
from achyk.store.database import Database
from achyk.store.repositories import Protocols


def mission_coverage(db: Database, election_id: str | None = None) -> list[Coverage]:
    election = get_election(db, election_id)
    return coverage(read_observers(db, election.id), election_strata(election))


def copy_flags(db: Database, election_id: str | None = None) -> list[tuple[str, str, list[str]]]:
    """(station, who: mission/observer at log entry N, differences) for each protocol copy that
    differs from the station's current published protocol (the official one where there is one)."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    published: dict[tuple[str, str], dict[str, object]] = {}
    with db.read() as s:
        for text in Protocols(s).documents(election.id):
            doc = json.loads(text)
            slot = (doc["station"], doc["contest"])
            if slot not in published or doc.get("kind") == "official":
                published[slot] = doc
    out = []
    for copy in state.copies:
        doc = published.get((copy.station, copy.contest))
        diffs = ["no protocol is published"] if doc is None else compare_copy(copy.figures, doc)
        if diffs:
            out.append((copy.station, f"{copy.mission}/{copy.observer} (log entry {copy.index})",
                        diffs))  # fmt: skip
    return out
