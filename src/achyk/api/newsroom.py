"""What a newsroom expects of a public read API: CORS, HEAD, ETag, Cache-Control, gzip, local docs.

Newsrooms embed live figures in their own pages (cross-origin reads), poll them every few seconds
(conditional requests answered 304 save both sides the body) and fetch large levels (gzip turns the
4 MB results document into a few hundred kilobytes). None of this changes what a figure is: the
headers only describe the bytes the routes already produce.
"""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Live figures change whenever a protocol arrives: a short shared cache absorbs polling without
# hiding a new protocol for long. Routes that know better (a full log tile never changes) set
# their own Cache-Control and are left alone.
DEFAULT_CACHE_CONTROL = "public, max-age=5"
# A body larger than this is passed through without an ETag rather than held in memory.
ETAG_MAX_BODY = 64 * 1024 * 1024


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, a list of tags or '*'."""
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return any(t.removeprefix("W/") == etag for t in tags)


class ReadCacheMiddleware:
    """HEAD for every GET route, and ETag/If-None-Match/Cache-Control on successful reads.

    FastAPI routes declared with GET answer HEAD with 405; HTTP says HEAD is GET without the body.
    Streams (server-sent events, responses without a Content-Length) pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        if_none_match = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = ended = False

        async def send_wrapper(message: Message) -> None:
            nonlocal start, passthrough, ended
            if ended:
                return  # a HEAD answer already ended with its one empty body
            if passthrough:
                if message["type"] == "http.response.body" and head:
                    ended = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                length = headers.get("content-length")
                buffered = (
                    message["status"] == 200
                    and length is not None
                    and int(length) <= ETAG_MAX_BODY
                    and "text/event-stream" not in headers.get("content-type", "")
                )
                if not buffered:
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            tag = _etag(body)
            headers = MutableHeaders(raw=list(start["headers"]))
            headers.setdefault("etag", tag)
            # The API's figures may be shared for a few seconds; a page a person reads is always
            # revalidated (its ETag makes that a 304), so a complaint or a protocol just filed
            # shows on the next view, not five seconds later.
            api = scope["path"].startswith("/api/")
            headers.setdefault("cache-control", DEFAULT_CACHE_CONTROL if api else "no-cache")
            if if_none_match is not None and _matches(if_none_match, headers["etag"]):
                del headers["content-length"]
                if "content-type" in headers:
                    del headers["content-type"]
                await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b"" if head else body})

        await self.app(scope, receive, send_wrapper)


def install(app: FastAPI) -> None:
    """Wire the newsroom features into an app built with ``docs_url=None``.

    Order matters: ETags are computed on the uncompressed body (so a gzip and an identity answer of
    the same document share a tag, as a weak validator), then compressed, then CORS headers added.
    """
    app.add_middleware(ReadCacheMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "Accept-Encoding", "Last-Event-ID"],
        expose_headers=["ETag", "Cache-Control", "Content-Length"],
        max_age=3600,
    )
    _serve_docs_locally(app)


def _serve_docs_locally(app: FastAPI) -> None:
    """Swagger UI from the `swagger-ui-bundle-v2` wheel: `/docs` works with no internet access."""
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    app.mount("/_swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} — API",
            swagger_js_url=f"{root}/_swagger/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/_swagger/swagger-ui.css",
            swagger_favicon_url=f"{root}/_swagger/favicon-32x32.png",
        )
