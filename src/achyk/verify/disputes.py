"""Complaints and decisions on the log, re-judged from the record alone.

Every `complaint` is well formed (and its filer's signature holds where it is signed); every
`complaint-step` is signed by an authority of the definition and allowed by the fold
(`achyk.disputes.lifecycle`): it names a filed complaint, follows the one before, is taken by the
body the case is before and whose unit covers the station, and an executed recount names a
correction of that station logged after the decision.
"""

from __future__ import annotations

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
from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.errors import AchykError
from achyk.signing import verify

KINDS = ("complaint", "complaint-step")


@dataclass
class DisputeEntries:
    docket: Docket = field(default_factory=Docket)
    problems: list[str] = field(default_factory=list)
    corrections: dict[int, str] = field(default_factory=dict)  # log index → station corrected

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
