"""`achyk serve`: the read API (and, later, the results site)."""

from __future__ import annotations

import os

import uvicorn

from achyk.cli.common import DatabaseOption, console


def serve(host: str = "127.0.0.1", port: int = 8000, database: DatabaseOption = None) -> None:
    """Serve the public read API; its OpenAPI document is at /openapi.json."""
    from achyk.api.app import create_app

    # A stalled database must not hold requests forever: each statement gets 15 s, then the
    # request is answered 503 (override with $ACHYK_DB_STATEMENT_TIMEOUT_MS; 0 for none).
    os.environ.setdefault("ACHYK_DB_STATEMENT_TIMEOUT_MS", "15000")
    console.print(f"serving on http://{host}:{port}/ (OpenAPI: /docs) — Ctrl-C stops")
    uvicorn.run(create_app(database), host=host, port=port, log_level="warning")
