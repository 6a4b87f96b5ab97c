"""A C2SP tlog-witness over HTTP (`achyk witness-serve`): POST /add-checkpoint.

The judgment is :func:`achyk.ledger.witness.add_checkpoint`; this face keeps the state (per origin,
the last checkpoint cosigned) in a JSON file, and checks and updates it under one lock so that two
requests can never roll the state back (the race the specification warns about). The state is
written to a new file and renamed over the old one before the cosignature is returned.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response

from achyk.ledger import Checkpoint, cosign, ed25519_verifier
from achyk.ledger.witness import add_checkpoint


def _load(path: Path) -> dict[str, Checkpoint]:
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {o: Checkpoint(o, int(v["size"]), base64.b64decode(v["root"])) for o, v in doc.items()}


def _save(path: Path, latest: dict[str, Checkpoint]) -> None:
    doc = {
        o: {"size": c.size, "root": base64.b64encode(c.root).decode()} for o, c in latest.items()
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def create_witness_app(
    name: str, private_key: Ed25519PrivateKey, logs: dict[str, str], state: Path
) -> FastAPI:
    """``logs`` maps each origin to the log's verifier key."""
    verifiers = {origin: [ed25519_verifier(vkey)] for origin, vkey in logs.items()}
    lock = threading.Lock()
    app = FastAPI(title="achyk witness (C2SP tlog-witness)", docs_url=None, redoc_url=None)

    def sign(text: str) -> str:
        return cosign(text, name, private_key, int(time.time()))

    @app.post("/add-checkpoint")
    async def add(request: Request) -> Response:
        body = await request.body()
        with lock:
            latest = _load(state)
            answer = add_checkpoint(body, verifiers, latest, sign)
            if answer.cosigned is not None:
                latest[answer.cosigned.origin] = answer.cosigned
                _save(state, latest)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    return app
