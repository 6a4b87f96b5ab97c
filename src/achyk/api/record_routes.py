"""The log and the public record over HTTP, in the same layout as a published record directory.

`/api/elections/{id}/…` serves one election; `/log/…` serves the most recently loaded one. So
`achyk verify http://host/api/elections/ID` and `achyk monitor` work against the live server.
"""

from __future__ import annotations

import gzip
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, Response
from pydantic import BaseModel

from achyk.canonical import canonical_json
from achyk.domain.published import results_document, station_results_document
from achyk.errors import (
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    VerificationError,
)
from achyk.formats.definition import election_to_document
from achyk.ledger import leaf_hash
from achyk.services import ledger
from achyk.services.disputes.evidence import released
from achyk.services.elections import get_election
from achyk.services.publish import record_document
from achyk.services.results import cached_results
from achyk.services.witnessing import accept_cosignature, head_checkpoint
from achyk.store.database import Database

TEXT = "text/plain; charset=utf-8"
SHORT = "public, max-age=5"  # the checkpoint, partial tiles: they move as the log grows
LONG = "public, max-age=31536000, immutable"  # full tiles and signed checkpoints never change


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyOut(BaseModel):
    old: int
    new: int
    proof: list[str]


class CosignatureIn(BaseModel):
    vkey: str  # the witness's verifier key (C2SP vkey, type 0x04)
    line: str  # the cosignature line, as `achyk witness` prints it


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _eid(db: Database, election_id: str | None) -> str:
    try:
        return get_election(db, election_id).id
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


def build_router() -> APIRouter:
    router = APIRouter(tags=["log and record"])

    for prefix in ("/api/elections/{election_id}", ""):
        _add_routes(router, prefix)
    return router


def _add_routes(router: APIRouter, prefix: str) -> None:
    def eid_of(request: Request, election_id: str | None) -> tuple[Database, str]:
        db = _db(request)
        return db, _eid(db, election_id)

    @router.get(prefix + "/log/checkpoint", response_class=Response, summary="latest checkpoint")
    def checkpoint(request: Request, election_id: str | None = None) -> Response:
        db, eid = eid_of(request, election_id)
        head = head_checkpoint(db, eid)
        if head is None:
            raise HTTPException(404, "no checkpoint yet")
        # Short: the head moves with every append, and clients must see a new one soon.
        return Response(head[1], media_type=TEXT, headers={"Cache-Control": SHORT})

    @router.get(prefix + "/log/checkpoints/", response_class=Response,
                summary="the sizes of every checkpoint signed, one per line")  # fmt: skip
    def checkpoint_list(request: Request, election_id: str | None = None) -> Response:
        db, eid = eid_of(request, election_id)
        sizes = sorted({n for n, _ in ledger.checkpoint_history(db, eid)})
        return Response("".join(f"{n}\n" for n in sizes), media_type=TEXT,
                        headers={"Cache-Control": SHORT})  # fmt: skip

    @router.get(prefix + "/log/checkpoints/{size}", response_class=Response)
    def old_checkpoint(request: Request, size: int, election_id: str | None = None) -> Response:
        db, eid = eid_of(request, election_id)
        for n, note in ledger.checkpoint_history(db, eid):
            if n == size:
                return Response(note, media_type=TEXT, headers={"Cache-Control": LONG})
        raise HTTPException(404, f"no checkpoint of size {size}")

    @router.get(prefix + "/log/tile/{path:path}", response_class=Response)
    def tile(request: Request, path: str, election_id: str | None = None) -> Response:
        db, eid = eid_of(request, election_id)
        try:
            data = ledger.tile(db, eid, "tile/" + path)
        except (KeyError, ValueError, VerificationError) as err:  # malformed or absent: 404
            raise HTTPException(404, f"no tile {path[:200]}: {str(err)[:200]}") from None
        # A full tile never changes (tlog-tiles); a partial one is replaced as the log grows.
        cache = SHORT if ".p/" in path else LONG
        headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
        if path.startswith("entries/") and "gzip" in request.headers.get("accept-encoding", ""):
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return Response(data, media_type="application/octet-stream", headers=headers)

    @router.get(prefix + "/evidence/{name}", response_class=Response)
    def evidence(request: Request, name: str, election_id: str | None = None) -> Response:
        """A rejected submission's raw bytes, as the record's `evidence/I.bin`: what was refused
        must be checkable over HTTP as in a published directory (docs/record-format.md)."""
        db, eid = eid_of(request, election_id)
        index = name.removesuffix(".bin")
        raw = None
        if name.endswith(".bin") and index.isascii() and index.isdigit():
            raw = ledger.rejection_evidence(db, eid, int(index))
        if raw is None:
            raise HTTPException(404, f"no evidence {name[:100]}")
        return Response(raw, media_type="application/octet-stream",
                        headers={"Cache-Control": LONG})  # fmt: skip

    @router.get(prefix + "/complaints/evidence/{digest}", response_class=Response)
    def released_evidence(
        request: Request, digest: str, election_id: str | None = None
    ) -> Response:
        """A decided complaint's evidence file, redacted, as the record's
        `complaints/evidence/<sha256>` (achyk.disputes.redaction)."""
        db, eid = eid_of(request, election_id)
        found = released(db, eid, digest[:64]) if len(digest) == 64 else None
        if found is None:
            raise HTTPException(404, f"no released evidence {digest[:100]}")
        return Response(found[0], media_type=found[1], headers={"Cache-Control": LONG})

    @router.get(prefix + "/log/entries/{index}")
    def entry(request: Request, index: int, election_id: str | None = None) -> Any:
        db, eid = eid_of(request, election_id)
        # Bounded before the database sees it: 2^63 and beyond overflow its integer column.
        text = ledger.entry(db, eid, index) if 0 <= index < ledger.log_size(db, eid) else None
        if text is None:
            raise HTTPException(404, f"no entry {index}")
        return json.loads(text)

    @router.get(prefix + "/log/proof/inclusion", response_model=InclusionOut)
    def inclusion(
        request: Request, index: int, size: int, election_id: str | None = None
    ) -> InclusionOut:
        db, eid = eid_of(request, election_id)
        if not 0 <= index < size <= ledger.log_size(db, eid):
            raise HTTPException(400, "need 0 ≤ index < size ≤ the log's size")
        proof = ledger.inclusion(db, eid, index, size)
        text = ledger.entry(db, eid, index) or ""
        return InclusionOut(index=index, size=size, leaf_hash=leaf_hash(text.encode()).hex(),
                            proof=[p.hex() for p in proof])  # fmt: skip

    @router.get(prefix + "/log/proof/consistency", response_model=ConsistencyOut)
    def consistency(
        request: Request, old: int, new: int, election_id: str | None = None
    ) -> ConsistencyOut:
        db, eid = eid_of(request, election_id)
        if not 0 < old <= new <= ledger.log_size(db, eid):
            raise HTTPException(400, "need 0 < old ≤ new ≤ the log's size")
        proof = ledger.consistency(db, eid, old, new)
        return ConsistencyOut(old=old, new=new, proof=[p.hex() for p in proof])

    @router.post(prefix + "/log/cosignatures", status_code=201,
                 responses={403: {"description": "not a witness named in the definition"},
                            409: {"description": "this witness already cosigned this checkpoint"}})  # fmt: skip
    def add_cosignature(
        request: Request, body: Annotated[CosignatureIn, Body()], election_id: str | None = None
    ) -> dict[str, Any]:
        db, eid = eid_of(request, election_id)
        try:
            cosig = accept_cosignature(db, eid, body.vkey, body.line)
        except ForbiddenError as err:
            raise HTTPException(403, str(err)) from None
        except ConflictError as err:
            raise HTTPException(409, str(err)) from None
        except (VerificationError, InputError) as err:
            raise HTTPException(
                400, f"cosignature does not verify on the latest checkpoint: {err}"
            ) from None
        return {
            "witness": cosig.witness,
            "size": cosig.checkpoint.size,
            "timestamp": cosig.timestamp,
        }

    @router.get(prefix + "/record.json")
    def record(request: Request, election_id: str | None = None) -> Any:
        db, eid = eid_of(request, election_id)
        return record_document(db, eid)

    @router.get(prefix + "/definition.json", response_class=Response)
    def definition(request: Request, election_id: str | None = None) -> Response:
        db, eid = eid_of(request, election_id)
        body = canonical_json(election_to_document(get_election(db, eid)))
        return Response(body, media_type="application/json")

    @router.get(prefix + "/results.json")
    def results(request: Request, election_id: str | None = None) -> Any:
        db, eid = eid_of(request, election_id)
        election, tab = cached_results(db, eid)
        return results_document(election, tab)

    @router.get(prefix + "/results/stations/{region}.json")
    def station_results(request: Request, region: str, election_id: str | None = None) -> Any:
        db, eid = eid_of(request, election_id)
        election, tab = cached_results(db, eid)
        found = next((r for r in election.regions if r.id == region), None)
        if found is None:
            raise HTTPException(404, f"no region {region!r}")
        return station_results_document(election, tab, found)
