"""Evidence released when a complaint is decided: redacted by rule, bound to the original on the log.

When a step first gives a complaint its decision (or finds it invalid), the server appends, in the
same transaction, an `evidence-release` entry (`achyk.disputes.redaction`): for each evidence
file, the SHA-256 of the redacted file published in its place, or the reason it is withheld. The
redacted bytes are never stored: redaction is a pure function of the original, redone when the
record is published or the site serves the file, and checked against the hash on the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from achyk.disputes.lifecycle import Case
from achyk.disputes.model import Status
from achyk.disputes.redaction import RELEASE_KIND, redact, release_entry, released_path
from achyk.domain.definition import Election
from achyk.files import write_inside
from achyk.services.ledger import append_entries
from achyk.store.database import Database
from achyk.store.models import DisputeEvidenceRow, LogEntryRow


def decided(case: Case) -> bool:
    """Decided, for the release: a decision was taken, or the complaint was found invalid."""
    return case.decision is not None or any(s.status is Status.INVALID for s in case.steps)


def _releases(s: Session, election_id: str) -> Iterator[dict[str, object]]:
    q = select(LogEntryRow.entry).where(
        LogEntryRow.election_id == election_id, LogEntryRow.kind == RELEASE_KIND
    )
    for (text,) in s.execute(q):
        yield json.loads(text)


def release_if_decided(s: Session, election: Election, case: Case) -> int | None:
    """Append the complaint's `evidence-release` entry once it is decided (after the step's own
    entry, under the same head lock). Nothing for a complaint without evidence or released."""
    if not decided(case) or not case.complaint.evidence:
        return None
    if any(r.get("complaint") == case.complaint.index for r in _releases(s, election.id)):
        return None
    originals = []
    for digest in case.complaint.evidence:
        row = s.get(DisputeEvidenceRow, (election.id, digest))
        originals.append((digest, None if row is None else bytes(row.content)))
    [index] = append_entries(s, election.id, [release_entry(election.id, case.complaint.index,
                                                            originals)])  # fmt: skip
    return index


def releases(db: Database, election_id: str) -> dict[int, list[dict[str, object]]]:
    """Complaint → its released files (original, published hash or null, note), for the site."""
    with db.read() as s:
        return {int(r["complaint"]): list(r["files"]) for r in _releases(s, election_id)}  # type: ignore[call-overload]


def released(db: Database, election_id: str, published_sha256: str) -> tuple[bytes, str] | None:
    """A released file's bytes and media type, redone from the original the log binds it to."""
    with db.read() as s:
        for release in _releases(s, election_id):
            for f in release.get("files") or []:  # type: ignore[attr-defined]
                if f.get("published_sha256") != published_sha256:
                    continue
                row = s.get(DisputeEvidenceRow, (election_id, f.get("original_sha256")))
                if row is None:
                    return None
                done = redact(bytes(row.content))
                if done.content is None or done.sha256 != published_sha256:
                    return None  # the store no longer gives what the log promised: not served
                return done.content, row.media_type
    return None


def write_released(db: Database, election_id: str, out: Path) -> int:
    """Write every released file into the record (`complaints/evidence/<sha256>`)."""
    with db.read() as s:
        wanted = [
            str(f["published_sha256"])
            for release in _releases(s, election_id)
            for f in release.get("files") or []  # type: ignore[attr-defined]
            if f.get("published_sha256")
        ]
    n = 0
    for digest in dict.fromkeys(wanted):
        found = released(db, election_id, digest)
        if found is not None:
            target = out / released_path(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_inside(out, target, found[0])
            n += 1
    return n
