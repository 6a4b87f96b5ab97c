"""`achyk serve`: the read API (and, later, the results site)."""

from __future__ import annotations

import gc
import os

import uvicorn

from achyk.cli.common import DatabaseOption, console

GC_YOUNG = 50_000  # allocations between two collections of the youngest generation


def serve(host: str = "127.0.0.1", port: int = 8000, database: DatabaseOption = None) -> None:
    """Serve the public read API; its OpenAPI document is at /openapi.json."""
    from achyk.api.app import create_app
    from achyk.api.direct_posts import DirectPostsProtocol

    # A stalled database must not hold requests forever: each statement gets 15 s, then the
    # request is answered 503 (override with $ACHYK_DB_STATEMENT_TIMEOUT_MS; 0 for none).
    os.environ.setdefault("ACHYK_DB_STATEMENT_TIMEOUT_MS", "15000")
    console.print(f"serving on http://{host}:{port}/ (OpenAPI: /docs) — Ctrl-C stops")
    app = create_app(database)
    # What start-up made (modules, templates) lives as long as the server: frozen out of the
    # cyclic collector's full passes, which would otherwise walk all of it (a fifth of a second
    # each) from inside whatever request happens to trigger one.
    gc.freeze()
    # The collector's youngest generation, collected every 700 allocations by default, holds
    # little but a few requests' short-lived objects (reference counting frees nearly all of
    # them): with devices transmitting thousands of protocols a second it ran some 80 times
    # per 1,000 requests and took a twentieth of the server's CPU. Collected every 50,000
    # allocations, what it walks is the same handful of live objects, far less often; the
    # rare reference cycle (a session's bookkeeping) is freed a little later.
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    # No access log: at "warning" its lines were never printed, but uvicorn still formatted each
    # request's client address and quoted path for it (a few microseconds of every request).
    # No proxy headers: nothing here uses the client's address, and uvicorn's middleware for
    # them wrapped every request (47 of 1,308 samples of the event loop's thread while devices
    # transmitted, py-spy, 2026-12-01).
    # Each answer's head and body in one write (achyk.api.one_write); devices' POSTs answered
    # without the ASGI request cycle (achyk.api.direct_posts).
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                proxy_headers=False, http=DirectPostsProtocol)  # fmt: skip
