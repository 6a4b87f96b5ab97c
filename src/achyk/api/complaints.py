"""Complaints API: file (with evidence), a body's signed step, and the register as open data.

Filing needs no login — anyone may complain, and the complaint is public at once; a filer with a
key (an observer, a party agent) signs it. A step is signed by the authority key of the body that
takes it. Whatever is refused is kept as evidence and answered 422 with its reasons.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from achyk.api.answers import LoggedOut, database, logged
from achyk.disputes.labels import label
from achyk.errors import NotFoundError
from achyk.services.disputes.docket import read_docket
from achyk.services.disputes.filing import Filed, file_complaint, record_step
from achyk.services.elections import get_election

router = APIRouter()
LABELLED = ("category", "filer", "status", "before", "decision")
PREFIX = "/api/elections/{election_id}/complaints"


class EvidenceIn(BaseModel):
    name: str = Field(max_length=255)
    media_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str = Field(max_length=28_000_000)


class ComplaintIn(BaseModel):
    filer: str = Field(description="voter, candidate, party, observer or mission")
    subject: str = Field(description="station, act or election")
    station: str | None = None
    category: str
    facts: str = Field(max_length=20_000)
    body: str = Field(default="territorial", description="the commission it is filed with")
    filer_key: str | None = None
    signature: str | None = Field(default=None, description="achyk/complaint/v1 (record-format.md)")
    evidence: list[EvidenceIn] = Field(default=[], max_length=50)


def _answer(filed: Filed) -> JSONResponse:
    out = logged(filed)
    return JSONResponse(out.model_dump(), status_code=200 if filed.index is not None else 422)


@router.post(PREFIX, response_model=LoggedOut, responses={422: {"model": LoggedOut}})
def file(request: Request, election_id: str, body: ComplaintIn) -> JSONResponse:
    files = []
    for item in body.evidence:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPException(
                422, f"evidence {item.name!r}: content_base64 is not base64"
            ) from None
        files.append((item.name, item.media_type, content))
    doc: dict[str, Any] = body.model_dump(exclude={"evidence"}, exclude_none=True)
    doc.setdefault("station", None)
    try:
        return _answer(file_complaint(database(request), election_id, doc, files))
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


@router.post(PREFIX + "/steps", response_model=LoggedOut, responses={422: {"model": LoggedOut}})
def step(request: Request, election_id: str, envelope: dict[str, Any]) -> JSONResponse:
    """A step signed for `achyk/complaint-step/v1` (record-format.md, *Complaints and decisions*)."""
    try:
        return _answer(record_step(database(request), election_id, envelope))
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


def _rows(request: Request, election_id: str) -> list[dict[str, Any]]:
    db = database(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    rows = [
        {"complaint": c.complaint.index, "station": c.complaint.station,
         "category": c.complaint.category.value, "filer": c.complaint.filer.value,
         "filed_at": c.complaint.filed_at, "status": c.status.value, "before": c.body.value,
         "decision": c.decision.value if c.decision else None,
         "decided_by": c.decided_by, "steps": len(c.steps)}
        for c in sorted(read_docket(db, election).cases.values(), key=lambda c: c.complaint.index)
    ]  # fmt: skip
    # The identifiers stay for machines; each gets its label in words beside it.
    return [
        {**r, **{f"{k}_label": label(r[k]) if r[k] is not None else None for k in LABELLED}}
        for r in rows
    ]


@router.get(PREFIX)
def register(request: Request, election_id: str) -> list[dict[str, Any]]:
    """The register: every complaint with its status, body and decision (open data)."""
    return _rows(request, election_id)


@router.get(PREFIX + ".csv", response_class=Response)
def register_csv(request: Request, election_id: str) -> Response:
    rows = _rows(request, election_id)
    out = io.StringIO()
    fields = ["complaint", "station", "category", "filer", "filed_at", "status", "before",
              "decision", "decided_by", "steps", *(f"{k}_label" for k in LABELLED)]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
