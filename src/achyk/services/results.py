"""Results: the tabulation of accepted protocols, recomputed from what is stored."""

from __future__ import annotations

import json

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.domain.tabulation import Tabulation, tabulate
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.store.repositories import Protocols


def accepted_protocols(db: Database, election_id: str) -> list[Protocol]:
    with db.read() as s:
        documents = Protocols(s).documents(election_id)
    out = []
    for text in documents:
        protocol, problems = protocol_from_json(json.loads(text))
        # Stored protocols passed every check on the way in; a failure here is corruption.
        assert protocol is not None, problems
        out.append(protocol)
    return out


def results(db: Database, election_id: str | None = None) -> tuple[Election, Tabulation]:
    election = get_election(db, election_id)
    return election, tabulate(election, accepted_protocols(db, election.id))


_cache: dict[tuple[str, str], tuple[int, Election, Tabulation]] = {}


def cached_results(db: Database, election_id: str) -> tuple[Election, Tabulation]:
    """Results, recomputed only when a protocol has been accepted since the last call."""
    with db.read() as s:
        stamp = Protocols(s).last_id(election_id)
    key = (str(db.engine.url), election_id)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1], hit[2]
    election, tab = results(db, election_id)
    _cache[key] = (stamp, election, tab)
    return election, tab
