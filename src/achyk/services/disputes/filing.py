"""Filing a complaint and taking a step on it: each a log entry at once, or a kept refusal.

A complaint names its filer (a voter, candidate, party, observer or mission), subject, category
and facts; its evidence files are stored whole and their SHA-256 goes onto the log with it, so no
one can later swap a photo. A filer with a key (an observer, a party agent) signs it. A step is
signed by the authority key of the body that takes it; the server checks the signature and the
fold (order, competence, orders) before logging it, and keeps anything refused as evidence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from achyk.disputes.effects import annulments
from achyk.disputes.lifecycle import (
    COMPLAINT_PURPOSE,
    STEP_PURPOSE,
    Case,
    DisputeError,
    complaint_statement,
    parse_complaint,
    parse_step,
    step_statement,
)
from achyk.disputes.model import Decision, Status
from achyk.domain.definition import Election
from achyk.errors import AchykError, SignatureError
from achyk.services.disputes.docket import body_keys, fold_docket, station_places
from achyk.services.disputes.evidence import release_if_decided
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries
from achyk.services.tally import annul_station
from achyk.signing import verify
from achyk.store.database import Database
from achyk.store.models import DisputeEvidenceRow, LogEntryRow
from achyk.store.repositories import Rejections
from achyk.store.timestamps import now

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Filed:
    index: int | None  # the complaint's (or step's) log entry; None when refused
    refused: tuple[str, ...] = ()
    case: Case | None = None


def _raw(doc: Any) -> bytes:
    """The request as evidence: JSON as received (not canonical: it may hold what RFC 8785 cannot)."""
    try:
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str).encode()
    except (TypeError, ValueError):
        return repr(doc).encode()


def _refuse(s: Session, election: Election, source: str, station: Any, raw: bytes,
            reasons: Sequence[str]) -> Filed:  # fmt: skip
    digest = hashlib.sha256(raw).hexdigest()
    station_id = station if isinstance(station, str) else None
    [index] = append_entries(s, election.id, [
        {"kind": "rejection", "election": election.id, "source": source, "station": station_id,
         "submission_sha256": digest, "reasons": list(reasons)}
    ])  # fmt: skip
    Rejections(s).add(election.id, station_id, source, raw, digest, reasons, index)
    return Filed(None, tuple(reasons))


def file_complaint(
    db: Database,
    election_id: str | None,
    complaint: Mapping[str, Any],
    evidence: Sequence[tuple[str, str, bytes]] = (),
) -> Filed:
    """`complaint`: the entry's fields (filer, subject, station, category, facts, body, and
    `filer_key`/`signature` when signed); `evidence`: (name, media type, bytes) of each file."""
    election = get_election(db, election_id)
    entry: dict[str, Any] = {
        **{k: v for k, v in complaint.items() if k not in ("kind", "election", "evidence")},
        "kind": "complaint", "election": election.id, "filed_at": now().isoformat(),
        "evidence": [hashlib.sha256(content).hexdigest() for _, _, content in evidence],
    }  # fmt: skip
    raw = _raw(complaint)
    with db.session() as s:
        try:
            parsed = parse_complaint(-1, entry)
            if parsed.station is not None and election.place(parsed.station) is None:
                raise DisputeError(f"no station {parsed.station!r} in election {election.id}")
            if sum(len(c) for _, _, c in evidence) > MAX_EVIDENCE_BYTES:
                raise DisputeError(f"evidence over {MAX_EVIDENCE_BYTES:,} bytes in all")
            _check_filer_signature(entry)
        except (AchykError, ValueError) as err:
            return _refuse(s, election, "complaint", entry.get("station"), raw, [str(err)])
        [index] = append_entries(s, election.id, [entry])
        for (name, media, content), digest in zip(evidence, entry["evidence"], strict=True):
            if s.get(DisputeEvidenceRow, (election.id, digest)) is None:
                s.add(DisputeEvidenceRow(election_id=election.id, sha256=digest, name=name[:255],
                                         media_type=media[:100], content=content,
                                         complaint_index=index, received_at=now()))  # fmt: skip
        return Filed(index)


def _check_filer_signature(entry: Mapping[str, Any]) -> None:
    key, signature = entry.get("filer_key"), entry.get("signature")
    if key is None and signature is None:
        return
    if not isinstance(key, str) or not isinstance(signature, str):
        raise DisputeError("a signed complaint carries both filer_key and signature")
    # The filer signs the complaint without the server's fields (filed_at, evidence hashes are
    # computed here), so the statement is the filer's own fields.
    own = {k: v for k, v in complaint_statement(entry).items() if k not in ("filed_at",)}
    verify(key, COMPLAINT_PURPOSE, own, signature)


def record_step(db: Database, election_id: str | None, envelope: Mapping[str, Any]) -> Filed:
    """A body's signed step on a complaint (see `achyk.disputes.lifecycle` for what is allowed)."""
    election = get_election(db, election_id)
    raw = _raw(envelope)
    entry = {**envelope, "kind": "complaint-step", "election": election.id}
    with db.session() as s:
        try:
            step = parse_step(-1, entry)
            keys = body_keys(election)
            authority = next((a for a in election.authorities if a.id == step.authority), None)
            if authority is None:
                raise DisputeError(f"{step.authority!r} is not an authority of the election")
            signature = entry.get("signature")
            if not isinstance(signature, str):
                raise SignatureError("the step is not signed")
            verify(authority.public_key, STEP_PURPOSE, step_statement(entry), signature)
            docket = fold_docket(s, election)
            case = docket.step(step, keys.get(step.authority), station_places(election))
            if step.correction is not None:
                _check_correction(s, election, step.correction, case)
        except (AchykError, ValueError) as err:
            return _refuse(s, election, "complaint-step", None, raw, [str(err)])
        [index] = append_entries(s, election.id, [entry])
        release_if_decided(s, election, case)  # the evidence, redacted, once it is decided
        if case.status is Status.EXECUTED and case.decision is Decision.ANNUL:
            # The annulment takes the station out of the count in the step's own transaction.
            executed = replace(case, steps=(*case.steps[:-1], replace(step, index=index)))
            docket.cases[case.complaint.index] = executed
            annulment = annulments(docket).get(str(case.complaint.station))
            if annulment is not None:
                annul_station(s, election, annulment)
        return Filed(index, (), case)


def _check_correction(s: Session, election: Election, index: int, case: Case) -> None:
    row = s.get(LogEntryRow, (election.id, index))
    if row is None or row.kind != "correction":
        raise DisputeError(f"log entry {index} is not a correction")
    protocol = json.loads(row.entry).get("protocol") or {}
    if protocol.get("station") != case.complaint.station:
        raise DisputeError(
            f"correction {index} is for station {protocol.get('station')}, "
            f"not {case.complaint.station}"
        )
    if case.decision_index is not None and index < case.decision_index:
        raise DisputeError(f"correction {index} precedes the decision {case.decision_index}")
