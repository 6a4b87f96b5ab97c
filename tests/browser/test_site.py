"""The results site in a real browser: Debian's Chromium, headless, driven by Playwright.

A uvicorn server on a free loopback port serves an app over SQLite loaded with the SMALL simulation,
minus its last protocols, which a test submits while the overview is open to watch them arrive by
server-sent events. Screenshots go to test-artifacts/ (phone width 375 px and desktop).
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Locator, Page, expect

from achyk.api.app import create_app
from achyk.services.protocols import submit_protocols
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EID = SMALL.election_id
HELD_BACK = ("1002", "1003", "9002")  # stations whose protocols arrive while the page is open
REGION_HELD = ("1020", "1021")  # south: arrive while the overview is open
DISTRICT_HELD = ("1031",)  # capital, district d03: arrive while the region page is open


@dataclasses.dataclass
class Live:
    url: str
    db: Database
    held_back: tuple[tuple[str, bytes], ...]
    held: dict[str, tuple[tuple[str, bytes], ...]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'achyk.db'}")
    sim = generate(SMALL)
    held = {
        name: tuple(s for s in sim.submissions if s[0].split("-")[0] in stations)
        for name, stations in (("national", HELD_BACK), ("region", REGION_HELD),
                               ("district", DISTRICT_HELD))
    }  # fmt: skip
    later = {s for group in held.values() for s in group}
    first = tuple(s for s in sim.submissions if s not in later)
    run_simulation(db, dataclasses.replace(sim, submissions=first))
    port = _free_port()
    config = uvicorn.Config(
        create_app(db=db), host="127.0.0.1", port=port, log_level="warning",
        timeout_graceful_shutdown=2,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", db, held["national"], held)
    server.should_exit = True
    thread.join(timeout=10)
    db.close()


def _api_national(page: Page, live: Live) -> dict[str, object]:
    r = page.request.get(f"{live.url}/api/elections/{EID}/results?contest=list")
    assert r.ok
    data: dict[str, object] = r.json()[0]
    return data


def _shown(page: Page) -> dict[str, str]:
    table = page.locator('table.results[data-contest="list"]')
    out = {}
    for row in table.locator("tbody tr").all():
        option = row.get_attribute("data-option") or ""
        out[option] = row.locator('[data-field="votes"]').get_attribute("data-value") or ""
    return out


def test_overview_drill_down_to_a_station(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/e/{EID}/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    api = _api_national(page, live)
    assert _shown(page) == {o["option"]: str(o["votes"]) for o in api["options"]}  # type: ignore[attr-defined]
    figures = page.locator('dl.figures[data-contest="list"]')
    assert (
        figures.locator('[data-field="turnout_pct"]').get_attribute("data-value")
        == api["turnout_pct"]
    )
    # the visible text is the same number, formatted
    votes_text = page.locator('tr[data-option="p01"] [data-field="votes"]').inner_text()
    assert int(votes_text.replace(",", "")) == next(
        o["votes"] for o in api["options"] if o["option"] == "p01"
    )  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "overview-desktop.png"), full_page=True)

    page.locator("table.units").get_by_role("link", name="North").click()
    expect(page.locator("h1")).to_have_text("North")
    page.locator("table.units a").first.click()
    expect(page.locator("h1")).to_contain_text("District")
    district_url = page.url
    page.locator("table.units a").first.click()
    expect(page.locator("h1")).to_contain_text("Station")
    assert "/station/" in page.url and district_url != page.url
    expect(page.locator("table.protocol-lines").first).to_be_visible()
    expect(page.get_by_text("Log entry").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "station-desktop.png"), full_page=True)


def test_phone_width_and_keyboard(browser: Browser, live: Live) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live.url}/e/{EID}/?lang=ru")
    # nothing but the scrollable tables may be wider than the screen
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375, f"page is {overflow}px wide at 375px"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"  # the skip link comes first
    page.screenshot(path=str(ARTIFACTS / "overview-375.png"), full_page=True)
    context.close()


def test_language_switch_is_remembered(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/e/{EID}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator('nav.langs a[data-lang="ky"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    expect(page.locator("#h-summary")).to_have_text("Кыскача")
    page.locator("table.units a").first.click()  # a plain link: no ?lang= in it
    assert "lang=" not in page.url
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    page.goto(f"{live.url}/e/{EID}/abroad/")
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    page.screenshot(path=str(ARTIFACTS / "abroad-ky.png"), full_page=True)


def test_live_update_arrives_without_reload(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/e/{EID}/?lang=kk")
    reported = page.locator('dl.figures[data-contest="list"] [data-field="stations_reported"]')
    before = _api_national(page, live)
    expect(reported).to_have_attribute("data-value", str(before["stations_reported"]))
    page.evaluate("window.__marker = 'same page'")
    receipts = submit_protocols(live.db, EID, list(live.held_back))
    assert any(r.outcome.value == "accepted" for r in receipts)
    after = _api_national(page, live)
    assert (
        after["stations_reported"] != before["stations_reported"]
        or after["valid"] != before["valid"]
    )
    expect(reported).to_have_attribute("data-value", str(after["stations_reported"]))
    valid = page.locator('dl.figures[data-contest="list"] [data-field="valid"]')
    expect(valid).to_have_attribute("data-value", str(after["valid"]))
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
    assert _shown(page) == {o["option"]: str(o["votes"]) for o in after["options"]}  # type: ignore[attr-defined]
    expect(page.locator("#live-status")).to_have_class("live updated")
    page.screenshot(path=str(ARTIFACTS / "overview-live-kk.png"), full_page=True)


def _api_unit(page: Page, live: Live, level: str, unit: str) -> dict[str, Any]:
    r = page.request.get(
        f"{live.url}/api/elections/{EID}/results?level={level}&contest=list&unit={unit}"
    )
    assert r.ok
    data: dict[str, Any] = r.json()[0]
    return data


def _leader_value(row: dict[str, Any]) -> str:
    counted = [o for o in row["options"] if o["votes"] > 0]
    best = max(counted, key=lambda o: o["votes"]) if counted else None
    return f"{best['option']} {best['share_pct']}" if best else ""


def _expect_row(table: Locator, unit: str, api: dict[str, Any]) -> None:
    row = table.locator(f'tr[data-unit="{unit}"]')
    expect(row.locator('[data-field="stations_reported"]')).to_have_attribute(
        "data-value", str(api["stations_reported"])
    )
    expect(row.locator('[data-field="turnout_pct"]')).to_have_attribute(
        "data-value", api["turnout_pct"]
    )
    expect(row.locator('[data-field="leader"]')).to_have_attribute("data-value", _leader_value(api))


def _row_values(table: Locator, unit: str) -> tuple[str | None, ...]:
    row = table.locator(f'tr[data-unit="{unit}"]')
    return tuple(
        row.locator(f'[data-field="{f}"]').get_attribute("data-value")
        for f in ("stations_reported", "turnout_pct", "leader")
    )


def test_region_rows_update_live(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/e/{EID}/?lang=en")
    table = page.locator('table.units[data-children="list"]')
    before = _api_unit(page, live, "region", "south")
    _expect_row(table, "south", before)
    north = _row_values(table, "north")
    # the table is not a live region: the one status line announces an update, not every cell
    assert page.evaluate("document.querySelector('table.units').closest('[aria-live]')") is None
    page.evaluate("window.__marker = 'same page'")
    receipts = submit_protocols(live.db, EID, list(live.held["region"]))
    assert all(r.outcome.value == "accepted" for r in receipts)
    after = _api_unit(page, live, "region", "south")
    assert after["stations_reported"] == before["stations_reported"] + len(REGION_HELD)
    _expect_row(table, "south", after)
    expect(table.locator('tr[data-unit="south"]')).to_have_class("changed")
    assert _row_values(table, "north") == north
    expect(table.locator('tr[data-unit="north"]')).not_to_have_class("changed")
    # the text follows the data: "12 / 13", the turnout as the page formats it
    cell = table.locator('tr[data-unit="south"] td.n').first
    expect(cell).to_have_text(f"{after['stations_reported']} / {after['stations_expected']}")
    tile = page.locator('.cartogram a[data-unit="south"] title')
    assert (tile.text_content() or "").startswith("South: ")
    assert page.evaluate("window.__marker") == "same page"
    expect(page.locator("#live-status")).to_have_class("live updated")
    page.screenshot(path=str(ARTIFACTS / "overview-regions-live-en.png"), full_page=True)


def test_district_rows_update_live_on_a_region_page(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/e/{EID}/region/capital/?lang=ru")
    table = page.locator('table.units[data-children="list"]')
    figures = page.locator('dl.figures[data-contest="list"]')
    before = _api_unit(page, live, "district", "d03")
    _expect_row(table, "d03", before)
    submit_protocols(live.db, EID, list(live.held["district"]))
    after = _api_unit(page, live, "district", "d03")
    assert after["stations_reported"] == before["stations_reported"] + 1
    _expect_row(table, "d03", after)
    region = _api_unit(page, live, "region", "capital")
    expect(figures.locator('[data-field="stations_reported"]')).to_have_attribute(
        "data-value", str(region["stations_reported"])
    )
    expect(figures.locator('[data-field="valid"]')).to_have_attribute(
        "data-value", str(region["valid"])
    )
    page.screenshot(path=str(ARTIFACTS / "region-live-ru.png"), full_page=True)
