"""Complaints and decisions on the log, re-judged from the record alone.

Every `complaint` is well formed (and its filer's signature holds where it is signed); every
`complaint-step` is signed by an authority of the definition and allowed by the fold
(`achyk.disputes.lifecycle`): it names a filed complaint, follows the one before, is taken by the
body the case is before and whose unit covers the station, and an executed recount names a
correction of that station logged after the decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from achyk.disputes.effects import annulments, waiting
from achyk.disputes.lifecycle import (
    COMPLAINT_PURPOSE,
    STEP_PURPOSE,
    BodyKey,
    DisputeError,
    Docket,
    complaint_statement,
    parse_complaint,
    parse_step,
    step_statement,
)
from achyk.disputes.model import Body, Status
from achyk.disputes.redaction import RELEASE_KIND, released_path
from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.errors import AchykError
from achyk.signing import verify

KINDS = ("complaint", "complaint-step", RELEASE_KIND)
HEX = frozenset("0123456789abcdef")


@dataclass
class DisputeEntries:
    docket: Docket = field(default_factory=Docket)
    problems: list[str] = field(default_factory=list)
    corrections: dict[int, str] = field(default_factory=dict)  # log index → station corrected
    released: dict[int, list[str]] = field(default_factory=dict)  # complaint → published sha256s

    def correction(self, index: int, entry: dict[str, Any]) -> None:
        protocol = entry.get("protocol")
        if isinstance(protocol, dict) and isinstance(protocol.get("station"), str):
            self.corrections[index] = protocol["station"]

    def add(self, election: Election, index: int, entry: dict[str, Any]) -> None:
        try:
            self._add(election, index, entry)
        except (AchykError, ValueError, KeyError, TypeError) as err:
            self.problems.append(f"log entry {index}: {entry.get('kind')}: {err}")

    def _add(self, election: Election, index: int, entry: dict[str, Any]) -> None:
        if entry["kind"] == RELEASE_KIND:
            self._release(entry)
            return
        if entry["kind"] == "complaint":
            complaint = parse_complaint(index, entry)
            if complaint.station is not None and election.place(complaint.station) is None:
                raise DisputeError(f"no station {complaint.station!r}")
            if entry.get("signature") is not None:
                own = {k: v for k, v in complaint_statement(entry).items() if k != "filed_at"}
                verify(str(entry.get("filer_key")), COMPLAINT_PURPOSE, own, str(entry["signature"]))
            self.docket.file(complaint)
            return
        step = parse_step(index, entry)
        authority = next((a for a in election.authorities if a.id == step.authority), None)
        if authority is None:
            raise DisputeError(f"{step.authority!r} is not an authority of the election")
        verify(
            authority.public_key, STEP_PURPOSE, step_statement(entry), str(entry.get("signature"))
        )
        where = {p.station.id: (p.district_id, p.region_id) for p in election.stations()}
        key = BodyKey(authority.id, Body(authority.body), authority.unit)
        case = self.docket.step(step, key, where)
        if step.status is Status.EXECUTED and step.correction is not None:
            corrected = self.corrections.get(step.correction)
            if corrected is None:
                raise DisputeError(f"names log entry {step.correction}, which is not a correction")
            if corrected != case.complaint.station:
                raise DisputeError(
                    f"correction {step.correction} is for station {corrected}, "
                    f"the decision for {case.complaint.station}"
                )
            if case.decision_index is not None and step.correction < case.decision_index:
                raise DisputeError(f"correction {step.correction} precedes the decision")

    def _release(self, entry: dict[str, Any]) -> None:
        """A decided complaint's evidence: each original published (redacted) or withheld, with
        the note saying which and why (`achyk.disputes.redaction`)."""
        if set(entry) != {"kind", "election", "complaint", "files"}:
            raise DisputeError("an evidence release has kind, election, complaint and files only")
        complaint, files = entry["complaint"], entry["files"]
        case = self.docket.cases.get(complaint) if type(complaint) is int else None
        if case is None:
            raise DisputeError(f"names log entry {complaint}, which is not a filed complaint")
        if case.decision is None and not any(s.status is Status.INVALID for s in case.steps):
            raise DisputeError(f"complaint {complaint} is released before it is decided")
        if complaint in self.released:
            raise DisputeError(f"complaint {complaint}'s evidence is released twice")
        if not isinstance(files, list) or [
            f.get("original_sha256") if isinstance(f, dict) else None for f in files
        ] != list(case.complaint.evidence):
            raise DisputeError(f"the files are not complaint {complaint}'s evidence, in order")
        published = []
        for f in files:
            digest, note = f.get("published_sha256"), f.get("note")
            if set(f) != {"original_sha256", "published_sha256", "note"}:
                raise DisputeError("a released file has original_sha256, published_sha256, note")
            if not isinstance(note, str) or not note.strip() or len(note) > 2_000:
                raise DisputeError("every released or withheld file states why, in its note")
            if digest is not None:
                if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= HEX:
                    raise DisputeError("published_sha256: a SHA-256 hex digest or null")
                published.append(digest)
        self.released[complaint] = published

    def unreleased(self) -> list[str]:
        """Every decided complaint with evidence must have its release on the log."""
        return [
            f"complaint {i} is decided but its evidence is neither published nor withheld with "
            f"a reason (no evidence-release entry)"
            for i, c in sorted(self.docket.cases.items())
            if c.complaint.evidence and i not in self.released
            and (c.decision is not None or any(s.status is Status.INVALID for s in c.steps))
        ]  # fmt: skip

    def summary(self) -> str:
        cases = self.docket.cases.values()
        decided = sum(1 for c in cases if c.decision is not None)
        return f"{len(self.docket.cases)} complaints, {decided} decided"


def results_effects(
    entries: DisputeEntries, election: Election
) -> tuple[dict[str, Annulment], dict[str, str]]:
    """What the docket at the end of the log does to the results: the annulled stations (out of
    every total above them) and the contests whose certification waits on a pending challenge —
    the same two the server applies (`achyk.disputes.effects`)."""
    return annulments(entries.docket), waiting(entries.docket, election)


def check_released(entries: DisputeEntries, read: Callable[[str], bytes]) -> tuple[list[str], str]:
    """Released evidence in the record: each published file present under its hash, and every
    decided complaint's evidence released (published or withheld with its reason)."""
    problems = entries.unreleased()
    files = 0
    for complaint, digests in sorted(entries.released.items()):
        for digest in digests:
            path = released_path(digest)
            try:
                data = read(path)
            except (KeyError, OSError, ValueError) as err:
                problems.append(f"{path} (complaint {complaint}): missing: {err}")
                continue
            if hashlib.sha256(data).hexdigest() != digest:
                problems.append(f"{path} (complaint {complaint}) does not hash to its name")
            files += 1
    return problems, f"{len(entries.released)} complaints released, {files} files published"
