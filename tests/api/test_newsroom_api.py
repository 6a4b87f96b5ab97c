"""What a newsroom needs of the read API: CORS, HEAD, ETag/304, Cache-Control, gzip, pages, 404s.

The HTTP semantics checked here are RFC 9110's (HEAD §9.3.2, If-None-Match §13.1.2, 304 §15.4.5)
and the Fetch standard's CORS response headers.
"""

from __future__ import annotations

import gzip

import httpx
import pytest

from achyk.api.app import create_app
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import serving


@pytest.fixture
def election(sqlite_db: Database) -> tuple[Database, str]:
    sim = generate(SMALL)
    run_simulation(sqlite_db, sim)
    return sqlite_db, sim.election.id


def test_cors_head_etag_and_gzip_over_real_http(election: tuple[Database, str]) -> None:
    db, eid = election
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        url = f"/api/elections/{eid}/results"
        # identity encoding, so the length below is the document's own
        plain = http.get(
            url, headers={"Origin": "https://news.example", "Accept-Encoding": "identity"}
        )
        assert plain.status_code == 200
        assert plain.headers["access-control-allow-origin"] == "*"
        assert plain.headers["cache-control"].startswith("public")
        tag = plain.headers["etag"]

        # HEAD: the GET's headers, no body
        head = http.head(url, headers={"Accept-Encoding": "identity"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == tag
        assert head.headers["content-length"] == plain.headers["content-length"]

        # a poll with the tag costs no body while nothing changed
        again = http.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert http.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

        # gzip on request, byte-identical once decoded
        with http.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
            assert zipped.headers["content-encoding"] == "gzip"
            assert gzip.decompress(b"".join(zipped.iter_raw())) == plain.content

        # a CORS preflight for a read is allowed; writes are not offered to browsers
        pre = http.options(
            url,
            headers={"Origin": "https://news.example", "Access-Control-Request-Method": "GET"},
        )
        assert pre.status_code == 200
        assert "GET" in pre.headers["access-control-allow-methods"]
        assert "POST" not in pre.headers["access-control-allow-methods"]


def test_pages_of_a_level_and_404_for_unknown_units(election: tuple[Database, str]) -> None:
    db, eid = election
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        url = f"/api/elections/{eid}/results"
        every = http.get(url, params={"level": "station", "contest": "list"})
        total = int(every.headers["x-total-count"])
        rows = every.json()
        assert total == len(rows) > 10
        first = http.get(url, params={"level": "station", "contest": "list", "limit": 7}).json()
        rest = http.get(
            url, params={"level": "station", "contest": "list", "offset": 7, "limit": 100_000}
        ).json()
        assert first + rest == rows
        assert (
            http.get(url, params={"level": "region", "unit": "no-such-region"}).status_code == 404
        )
        assert http.get(url, params={"limit": 0}).status_code == 422


def test_swagger_ui_is_served_without_a_network(election: tuple[Database, str]) -> None:
    db, _ = election
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        page = http.get("/docs").text
        assert "cdn" not in page.lower()
        for asset in ("/_swagger/swagger-ui-bundle.js", "/_swagger/swagger-ui.css"):
            assert http.get(asset).status_code == 200
