"""The published copy's station pages in Chromium (issue 16): drawn from the district files.

A SMALL election is published with `write_site` and served by Python's http.server, as any static
web server would. In each of the four languages a person goes from a district page to a station
and reads its protocol: every line of the hand count as stored, in that language's words; the
language links keep the station; a link without the district finds it through the index; an
unknown station says so. The election's complaints run to an annulment: the annulled station's page
says so first, naming the decision and the body, and a station whose scanner failed lists the
switch to its backup.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from achyk.services.disputes.simulation import simulate_disputes
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.repositories import Protocols
from achyk.web.i18n import number, translations
from achyk.web.static_site import write_site

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EID = SMALL.election_id


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("static-stations")
    db = Database.open(f"sqlite:///{root / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    simulate_disputes(db, sim)
    write_site(db, EID, root / "www" / "site", base="/site/")
    with db.read() as s:
        stored = {(p.kind, p.contest_id): json.loads(p.document)
                  for p in Protocols(s).for_station(EID, "1001")}  # fmt: skip
        for p in Protocols(s).for_station(EID, "1001"):  # and each one's signature, as stored
            stored[("signature", p.kind, p.contest_id)] = p.signature
    db.close()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root / "www")))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/site/", stored
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def _digits(text: str | None) -> int:
    return int("".join(c for c in text or "" if c.isdigit()))


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_a_station_page_shows_its_protocol(
    page: Page, served: tuple[str, dict[str, Any]], lang: str
) -> None:
    site, stored = served
    t = translations(lang)
    official_signature = stored[("signature", "official", "list")]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site}{lang}/e/{EID}/district/d01/")
    page.locator("a[href*='station/?s=1001&']").first.click()
    expect(page.locator("h1")).to_have_text("Station 1001")
    section = page.locator("section.protocol").first
    expect(section.locator("h2")).to_contain_text(t.gettext("Protocol"))
    expect(section.locator("thead")).to_contain_text(t.gettext("Hand count (official)"))
    official = stored[("official", "list")]
    for line in ("voters_on_list", "issued_in_station", "found_stationary", "invalid", "valid"):
        cell = section.locator(f'tr[data-line="{line}"] td[data-kind="official"]')
        assert cell.text_content() == number(official[line], lang), line  # as the server writes
    for option, votes in official["votes"].items():
        cell = section.locator(f'tr[data-line="{option}"] td[data-kind="official"]')
        assert _digits(cell.text_content()) == votes, option
    evidence = section.locator(".evidence").nth(1)  # the hand count's
    expect(evidence).to_contain_text(t.gettext("Signature (Ed25519)"))
    assert official_signature in (evidence.text_content() or "")
    # the breadcrumb leads back to the district, the language links keep the station
    expect(page.locator("nav.crumbs")).to_contain_text("District No. 1")
    other = "en" if lang != "en" else "ru"
    assert "?s=1001" in (page.locator(f'a[data-lang="{other}"]').get_attribute("href") or "")
    page.screenshot(path=str(ARTIFACTS / f"station-static-{lang}.png"), full_page=True)
    assert errors == []


def test_a_link_without_its_district_and_an_unknown_station(
    page: Page, served: tuple[str, dict[str, Any]]
) -> None:
    site, _ = served
    page.goto(f"{site}en/e/{EID}/station/?s=1002")
    expect(page.locator("h1")).to_have_text("Station 1002")
    page.goto(f"{site}en/e/{EID}/station/?s=no-such-station")
    expect(page.locator("#station")).to_contain_text("Station not found.")


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_an_annulled_station_and_a_device_switch(
    page: Page, served: tuple[str, dict[str, Any]], lang: str
) -> None:
    site, _ = served
    sim = generate(SMALL)
    t = translations(lang)
    annulled = sim.anomalies["stuffing"][1]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site}{lang}/e/{EID}/station/?s={annulled}")
    notice = page.locator(".notice.annulled")
    expect(notice).to_have_count(1)
    decision = notice.get_attribute("data-annulled")
    assert decision is not None and decision.isdigit()
    place = sim.election.place(annulled)
    assert place is not None
    body = next(a.name for a in sim.election.authorities if a.id == f"tec-{place.region_id}")
    head = t.gettext("Annulled by decision #%(decision)s of %(body)s")
    expect(notice.locator("strong")).to_have_text(head % {"decision": decision, "body": body})
    executed = t.gettext("executed at log entry #%(n)s") % {"n": int(decision) + 1}
    expect(notice).to_contain_text(executed)
    expect(page.locator("section.protocol").first).to_be_visible()  # still shown, as received
    page.screenshot(path=str(ARTIFACTS / f"station-static-annulled-{lang}.png"), full_page=True)
    switch = sim.switches[0]
    page.goto(f"{site}{lang}/e/{EID}/station/?s={switch.station_id}")
    section = page.locator("section[aria-labelledby='h-sw']")
    expect(section.locator("h2")).to_have_text(t.gettext("Device switches"))
    item = section.locator("li").first
    expect(item).to_contain_text(f"{switch.from_device} → {switch.to_device}")
    expect(item).to_contain_text(switch.reason)
    expect(page.locator(".notice.annulled")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"station-static-switch-{lang}.png"), full_page=True)
    assert errors == []
