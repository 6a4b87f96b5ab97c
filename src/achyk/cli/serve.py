"""`achyk serve`: the read API (and, later, the results site)."""

from __future__ import annotations

import gc
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
    app = create_app(database)
    # What start-up made (modules, templates) lives as long as the server: frozen out of the
    # cyclic collector's full passes, which would otherwise walk all of it (a fifth of a second
    # each) from inside whatever request happens to trigger one.
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning")
