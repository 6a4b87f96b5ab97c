"""No stampede: a page is rendered once per log size, whatever the number of requests waiting for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import event

from achyk.api.app import create_app
from achyk.services.elections import load_election
from achyk.services.protocols import submit_protocol
from achyk.store.database import Database
from achyk.web.flight import RenderCache
from achyk.web.routes import _cache
from factories import election, envelope, protocol_doc


def test_concurrent_misses_render_once() -> None:
    cache: RenderCache[str] = RenderCache()
    gate = threading.Event()
    calls = []

    def make() -> str:
        calls.append(1)
        gate.wait(5)
        return "page at 7"

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(cache.get, "overview", 7, make) for _ in range(16)]
        gate.set()
        assert {f.result() for f in futures} == {"page at 7"}
    assert len(calls) == 1


def test_a_newer_log_is_rendered_by_one_request_while_the_others_get_the_last_copy() -> None:
    cache: RenderCache[str] = RenderCache()
    assert cache.get("p", 1, lambda: "v1") == "v1"
    gate, started = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        gate.wait(5)
        return "v2"

    with ThreadPoolExecutor(2) as pool:
        leader = pool.submit(cache.get, "p", 2, slow)
        started.wait(5)
        # While the leader renders size 2, a request for size 2 is not made to wait or re-render.
        assert cache.get("p", 2, lambda: "never") == "v1"
        gate.set()
        assert leader.result() == "v2"
    assert cache.get("p", 2, lambda: "never") == "v2"
    assert cache.get("p", 1, lambda: "never") == "v2"  # never replaced by an older one
    assert cache.renders == 2


def test_an_error_reaches_every_waiter_and_is_not_kept() -> None:
    cache: RenderCache[str] = RenderCache()

    def fail() -> str:
        raise KeyError("no such page")

    for _ in range(2):
        try:
            cache.get("p", 1, fail)
        except KeyError:
            pass
        else:
            raise AssertionError("the error was swallowed")
    assert cache.get("p", 1, lambda: "now") == "now"


def test_the_overview_is_rendered_once_per_new_protocol(db: Database) -> None:
    load_election(db, election())
    client = TestClient(create_app(db=db))
    cache = _cache(db)
    assert client.get("/e/test-2025/?lang=en").status_code == 200
    before = cache.renders
    for _ in range(5):
        assert client.get("/e/test-2025/?lang=en").status_code == 200
    assert cache.renders == before  # nothing changed: no render
    submit_protocol(db, None, envelope(protocol_doc()), "pre")
    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(lambda _: client.get("/e/test-2025/?lang=en"), range(24)))
    assert all(p.status_code == 200 for p in pages)
    assert cache.renders == before + 1
    assert "1001" in client.get("/e/test-2025/district/n1?lang=en").text


def test_a_station_is_read_by_its_index_not_the_whole_table(db: Database) -> None:
    """The station API and page read that station's refusals, never every refusal of the election."""
    load_election(db, election())
    for n in range(3):
        submit_protocol(db, None, envelope(protocol_doc("2001", invalid=99 + n)), f"bad{n}")
    submit_protocol(db, None, envelope(protocol_doc("1001", invalid=99)), "bad-1001")
    client = TestClient(create_app(db=db))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = client.get("/api/elections/test-2025/stations/2001")
        page = client.get("/e/test-2025/station/2001?lang=en")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.json()["rejected_submissions"] == 3
    assert page.status_code == 200
    on_rejections = [s for s in statements if "FROM rejections" in s]
    assert on_rejections and all("station_id" in s.split("WHERE", 1)[1] for s in on_rejections)
    # (an election with no accepted protocol yet asks whether it has any: LIMIT 1)
    on_protocols = [s for s in statements if "FROM protocols" in s and "LIMIT" not in s]
    assert all("station_id" in s.split("WHERE", 1)[1] for s in on_protocols), [
        s for s in on_protocols if "station_id" not in s.split("WHERE", 1)[1]
    ]
