"""The published (static) site in a real browser: the tracking-code lookup without the server.

A SMALL election with a few dozen remote ballots is published with `base="/site/"` and served by
Python's http.server from the directory above it, as any web server or CDN would; the same database
also runs the live server, whose API and /track page are what the static page must agree with.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from achyk.api.app import create_app
from achyk.ledger.checkpoint import parse_checkpoint
from achyk.ledger.merkle import leaf_hash, verify_inclusion
from achyk.services import ledger
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.evoting_repo import RemoteRepo
from achyk.web.static_site import write_site
from live_server import serving
from web.remote_election import with_remote_ballots

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EID = SMALL.election_id


@dataclass
class Published:
    static: str  # the static server's root; the site is under /site/
    live: str
    db: Database


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("static")
    db = Database.open(f"sqlite:///{root / 'achyk.db'}")
    with_remote_ballots(db)
    write_site(db, EID, root / "www" / "site", base="/site/")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root / "www")))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with serving(create_app(db=db)) as live:
            yield Published(f"http://127.0.0.1:{httpd.server_address[1]}", live, db)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        db.close()


def _ballots(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        return [json.loads(e) for e in RemoteRepo(s, EID).ballot_entries()]


def _facts(page: Page) -> dict[str, str]:
    dl = page.locator("#track-found dl, section[aria-labelledby='h-found'] dl").first
    return {
        (div.locator("dt").text_content() or ""): " ".join(
            (div.locator("dd").text_content() or "").split()
        )
        for div in dl.locator("div").all()
    }


def _proof(page: Page) -> list[str]:
    return (
        page.locator("section[aria-labelledby='h-found'] pre").first.text_content() or ""
    ).split()


def test_a_real_code_shows_what_the_live_site_shows(page: Page, published: Published) -> None:
    challenged = next(b for b in _ballots(published.db) if b["status"] == "challenged")
    code = challenged["tracking_code"]
    api = page.request.get(f"{published.live}/api/elections/{EID}/remote/track/{code}").json()

    page.goto(f"{published.live}/e/{EID}/track?code={code}&lang=kk")
    live_facts, live_proof = _facts(page), _proof(page)

    page.goto(f"{published.static}/site/kk/e/{EID}/track/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("#track-found")).to_be_hidden()
    page.locator("#code").fill(api["short_code"])  # the short form, as a voter would type it
    page.locator("#code").press("Enter")
    expect(page.locator("#track-found")).to_be_visible()
    expect(page.locator("#h-found")).to_be_focused()
    assert _facts(page) == live_facts
    assert _proof(page) == live_proof == api["inclusion_proof"]
    shown = page.locator('[data-field="entry"]').text_content() or ""
    assert json.loads(shown) == api["entry"]
    assert page.locator('[data-field="seq"]').text_content() == str(api["seq"])
    assert page.locator('[data-field="log_index"]').text_content() == str(api["log_entry"])
    assert page.locator('[data-field="tree_size"]').text_content() == str(api["tree_size"])
    # what the page shows is a proof that verifies against the signed checkpoint
    checkpoint = parse_checkpoint(ledger.latest_checkpoint(published.db, EID) or "")
    assert page.locator('[data-field="root"]').text_content() == checkpoint.root.hex()
    verify_inclusion(leaf_hash(shown.encode()), api["log_entry"], api["tree_size"],
                     [bytes.fromhex(h) for h in _proof(page)], checkpoint.root)  # fmt: skip
    assert "code=" in page.url  # the lookup can be bookmarked
    page.screenshot(path=str(ARTIFACTS / "track-static-kk.png"), full_page=True)


def test_a_full_code_in_the_address_and_a_wrong_code(page: Page, published: Published) -> None:
    cast = next(b for b in _ballots(published.db) if b["status"] == "cast")
    code = cast["tracking_code"]
    api = page.request.get(f"{published.live}/api/elections/{EID}/remote/track/{code}").json()
    page.goto(f"{published.static}/site/en/e/{EID}/track/?code={code}")
    expect(page.locator("#track-found")).to_be_visible()
    # the static page says what the live API says became of it (counted, superseded, audited)
    words = {"counted": "counted: this is the ballot that counts",
             "superseded": "superseded by a later ballot: not counted"}  # fmt: skip
    expect(page.locator('[data-field="status"]')).to_have_text(words[api["standing"]])
    expect(page.locator('[data-field="tracking_code"]')).to_have_text(code)
    expect(page.locator('[data-field="short_code"]')).to_have_text(api["short_code"])
    expect(page.locator('[data-field="log_index"]')).to_have_text(str(api["log_entry"]))

    for wrong in ("AAAA-AAAA-AAAA-AAAA", "0" * 64, "not a code"):
        live = page.request.get(f"{published.live}/e/{EID}/track?code={wrong}")
        assert live.status == 404  # the live site does not know it either
        page.locator("#code").fill(wrong)
        page.locator("#code").press("Enter")
        expect(page.locator("#track-missing")).to_be_visible()
        expect(page.locator("#track-found")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "track-static-missing-en.png"), full_page=True)


def test_every_language_and_the_navigation(page: Page, published: Published) -> None:
    page.goto(f"{published.static}/site/ru/e/{EID}/")
    page.locator("header nav").first.get_by_role("link", name="Код отслеживания").click()
    expect(page.locator("h1")).to_be_visible()
    assert page.url.endswith(f"/site/ru/e/{EID}/track/")
    labels = {
        "ru": "Код отслеживания",
        "ky": "Көзөмөл коду",
        "kk": "Бақылау коды",
        "en": "Tracking code",
    }
    code = _ballots(published.db)[0]["tracking_code"]
    for lang, label in labels.items():
        page.locator(f'nav.langs a[data-lang="{lang}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator('label[for="code"]')).to_have_text(label)
        page.locator("#code").fill(code)
        page.locator("#code").press("Enter")
        expect(page.locator('[data-field="tracking_code"]')).to_have_text(code)
