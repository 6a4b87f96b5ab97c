"""The forensics page in Debian's Chromium at phone width: figures load and fit the screen, the
flag table scrolls inside itself, the stuffed stations are listed. Screenshots: test-artifacts/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser

from achyk.api.app import create_app
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import free_port

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EID = SMALL.election_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tuple[str, ...]]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('fbrowser') / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db=db), host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=2))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", sim.anomalies["stuffing"]
    server.should_exit = True
    thread.join(timeout=10)
    db.close()


@pytest.mark.parametrize("lang", ["kk"])  # the other languages: tests/web/test_forensics_pages.py
def test_forensics_page_on_a_phone(
    browser: Browser, served: tuple[str, tuple[str, ...]], lang: str
) -> None:
    url, stuffed = served
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/e/{EID}/forensics/?lang={lang}")
    images = page.locator("figure.plot img")
    assert images.count() == 4
    for i in range(4):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=images.nth(i).element_handle())  # fmt: skip
        box = images.nth(i).bounding_box()
        assert box is not None and box["width"] <= 375 and box["width"] > 300  # fills the phone
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375, f"page is {overflow}px wide at 375px"
    for station in stuffed:
        assert page.locator(f'tr.strong a[href$="/station/{station}/"]').count() == 1
    page.screenshot(path=str(ARTIFACTS / f"forensics-375-{lang}.png"), full_page=True)
    context.close()
