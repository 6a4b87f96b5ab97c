"""The missions page in Chromium: the ODIHR-style mission's observed-versus-unobserved table, its
coverage map, its place as a trustee of remote voting, and the preliminary statement it issued —
followed from the page to its HTML in Russian and its PDF."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from achyk.api.app import create_app
from achyk.services.observers.demo_statement import issue_preliminary
from achyk.services.observers.simulation import simulate_observers
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from browser.conftest import ARTIFACTS
from live_server import serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('ms') / 'site.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    simulate_observers(db, sim)
    issued = issue_preliminary(db, sim, ("en", "ru"))
    with serving(create_app(db=db)) as base:
        yield base, issued.index


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_missions_page_shows_effect_map_trustee_and_statement(
    browser: Browser, site: tuple[str, int], lang: str
) -> None:
    base, index = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/e/{SMALL.election_id}/missions?lang={lang}")
    odihr = page.locator('[data-mission="odihr"]')
    table = odihr.locator("[data-effect]")
    assert table.locator("tbody tr").count() == 2  # turnout and the leading party's share
    assert odihr.locator("[data-coverage-map] rect").count() == 4  # 3 regions and abroad
    trust = odihr.locator("[data-trust]").inner_text()
    assert "OSCE/ODIHR election observation mission" in trust
    link = odihr.locator(f'[data-statement="{index}"] a').first
    odihr.screenshot(path=str(ARTIFACTS / f"missions-odihr-{lang}.png"))
    href = link.get_attribute("href")
    assert href is not None and href.endswith(".html?lang=en")
    link.click()
    assert page.locator("h1").inner_text() == "Statement of preliminary findings and conclusions"
    page.goto(f"{base}{href.replace('.html?lang=en', '.html?lang=ru')}")
    assert "Миссия наблюдала на" in page.locator("section#conclusions").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"statement-odihr-{lang}.png"), full_page=True)
    pdf = httpx.get(f"{base}{href.replace('.html', '.pdf')}", timeout=120)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    page.close()
