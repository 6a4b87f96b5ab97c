"""Election night in a real browser, at phone (375 px) and desktop (1366 px) widths, in all four
languages: the site from 0 % to 100 % of stations reporting — the seats' state, who wins and why,
freshness, the turnout curve, the region map's shadings and the station search.

Screenshots of every stage, width and language go to test-artifacts/election-night/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, expect

from achyk.api.app import create_app
from achyk.services.protocols import submit_protocols
from achyk.services.register_simulation import run_register
from achyk.services.results import results
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from browser.conftest import ARTIFACTS
from live_server import serving

pytestmark = pytest.mark.browser

LANGS = ("ru", "ky", "kk", "en")
WIDTHS = (375, 1366)
# The seat rule's first words and the search button, as each language's page says them.
SEARCH = {"ru": "Найти", "ky": "Издөө", "kk": "Іздеу", "en": "Search"}


@dataclass
class Night:
    url: str
    db: Database
    submissions: list[tuple[str, bytes]]
    sent: int = 0

    def report_until(self, share: float) -> None:
        upto = round(len(self.submissions) * share)
        submit_protocols(self.db, SMALL.election_id, self.submissions[self.sent : upto])
        self.sent = max(self.sent, upto)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('night') / 'achyk.db'}")
    sim = generate(SMALL)
    run_register(db, sim)  # loads the election, the register and the day's check-ins
    with serving(create_app(db=db)) as url:
        yield Night(url, db, list(sim.submissions))
    db.close()


def _visit(browser: Browser, night: Night, stage: str, status: str) -> None:
    out = ARTIFACTS / "election-night"
    out.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        for lang in LANGS:
            page.goto(f"{night.url}/e/{SMALL.election_id}/?lang={lang}")
            fresh = page.locator("#freshness")
            expect(fresh).to_be_visible()
            assert fresh.get_attribute("data-log-size") not in (None, "0")
            if status == "final":
                expect(page.locator(".seat-status")).to_have_count(0)
            else:
                expect(page.locator(f'.seat-status[data-status="{status}"]')).to_be_visible()
            if status == "undetermined":
                expect(page.locator(".seats-why")).to_have_count(0)
            else:
                expect(page.locator(".seat-rule")).to_be_visible()
                expect(page.locator(".seatbar svg line.majority")).to_have_count(1)
            expect(page.locator("figure.curve polyline")).to_have_count(1)
            # the shadings of the region map switch without JavaScript's help
            page.locator('label[for="map-turnout"]').click()
            expect(page.locator(".map-turnout svg")).to_be_visible()
            expect(page.locator(".map-leader svg")).to_be_hidden()
            # nothing wider than the screen: tables scroll inside their own boxes
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (width, lang, overflow)
            page.screenshot(path=str(out / f"{stage}-{width}-{lang}.png"), full_page=True)
            # a station found by number, in each language's words
            page.fill("form.search input[name=q]", "1001")
            page.get_by_role("button", name=SEARCH[lang]).click()
            expect(page.locator("table.units tbody tr")).to_have_count(1)
        context.close()


def test_election_night_from_nothing_to_everything(browser: Browser, night: Night) -> None:
    night.report_until(0.02)  # a handful of stations: regions still silent
    _visit(browser, night, "early", "undetermined")
    night.report_until(0.5)
    _visit(browser, night, "half", "provisional")
    night.report_until(1.0)
    # every protocol sent; a station whose only protocol was refused still has not reported
    _, tab = results(night.db, SMALL.election_id)
    national = tab.national("list")
    assert national is not None
    complete = national.counted.stations >= national.stations_expected
    _visit(browser, night, "all", "final" if complete else "provisional")
