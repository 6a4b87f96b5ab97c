"""The anomalies of an election's accepted protocols (achyk.domain.anomalies), from the store."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from achyk.domain.anomalies import anomalies_document
from achyk.domain.protocol import protocol_from_json
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.store.models import ProtocolRow


def anomalies(db: Database, election_id: str | None = None) -> dict[str, Any]:
    """Every current protocol that breaks a relation the election's form flags."""
    election = get_election(db, election_id)
    if election.form is None:  # the standard form refuses every broken relation
        return anomalies_document(None, [])
    q = select(ProtocolRow.log_index, ProtocolRow.document_hash, ProtocolRow.document).where(
        ProtocolRow.election_id == election.id, ProtocolRow.superseded.is_(False)
    )
    current = []
    with db.read() as s:
        for index, digest, text in s.execute(q):
            p, _ = protocol_from_json(json.loads(text))
            if p is not None:
                current.append((int(index), str(digest), p))
    return anomalies_document(election.form, current)
