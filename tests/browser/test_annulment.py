"""An annulled station and a certification that waits, as a person sees them, in each language:
the station's page names the decision and the body with a link to the complaint and still shows
its protocol; its district's page counts it as annulled, not silently missing; the overview says
why the seats wait; the register links the redacted photo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, expect

from achyk.api.app import create_app
from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.domain.definition import Authority
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocols
from achyk.signing import public_key_b64
from achyk.store.database import Database
from browser.conftest import ARTIFACTS
from factories import device_key, election, envelope, protocol_doc
from live_server import serving

pytestmark = pytest.mark.browser
TEC = Authority("tec-north", "TEC North", public_key_b64(device_key("tec-north")),
                "territorial", "north")  # fmt: skip
NOTICE = {"ru": "аннулирован", "ky": "жокко чыгарылды", "kk": "жойылды", "en": "Annulled"}
ROW = {"ru": "аннулирован", "ky": "жокко чыгарылды", "kk": "күші жойылды", "en": "annulled"}
ONE_ANNULLED = {"ru": "аннулировано: 1", "ky": "жокко чыгарылды: 1", "kk": "күші жойылды: 1",
                "en": "1 annulled"}  # fmt: skip
WAITS = {"ru": "ждёт решения", "ky": "күтүүдө", "kk": "күтуде", "en": "waits on a pending"}


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Author\x00Aibek Asanov") + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
            + chunk(b"IEND", b""))  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('annulment') / 'achyk.db'}")
    e = replace(election(), authorities=(*election().authorities, TEC))
    load_election(db, e)
    subs = [(s, envelope(protocol_doc(station=s))) for s in ("1001", "1002", "2001", "9001")]
    assert all(r.outcome is Outcome.ACCEPTED for r in submit_protocols(db, e.id, subs))

    def complaint(station: str, evidence: list[tuple[str, str, bytes]]) -> int:
        filed = file_complaint(db, e.id, {
            "filer": "party", "subject": "station", "station": station,
            "category": "ballot-stuffing", "facts": "Ballots put in the box in bundles.",
            "body": "territorial",
        }, evidence).index  # fmt: skip
        assert filed is not None
        return filed

    def step(c: int, status: Status, **extra: object) -> int:
        env = signed_step(device_key("tec-north"), e.id, "tec-north", c, status,
                          "heard both sides", **extra)  # type: ignore[arg-type]  # fmt: skip
        done = record_step(db, e.id, env)
        assert done.index is not None, done.refused
        return done.index

    first = complaint("1001", [("box.png", "image/png", _png())])
    step(first, Status.REGISTERED)
    decision = step(first, Status.DECIDED, decision=Decision.ANNUL)
    step(first, Status.EXECUTED)
    step(complaint("1002", []), Status.REGISTERED)  # pending: the seats wait
    with serving(create_app(db=db)) as url:
        yield url, first, decision
    db.close()


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_the_annulled_station_is_shown_not_hidden(
    browser: Browser, site: tuple[str, int, int], lang: str
) -> None:
    url, complaint, decision = site
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/e/test-2025/station/1001/?lang={lang}")
    notice = page.locator(f'.annulled[data-annulled="{decision}"]')
    expect(notice).to_contain_text(NOTICE[lang])
    expect(notice).to_contain_text(re.compile(rf"[#№]{decision}\b"))
    expect(notice).to_contain_text("TEC North")
    link = notice.locator(f'a[href$="complaints#h-c-{complaint}"]')
    expect(link).to_have_count(1)
    shown = page.locator(
        'section.protocol:has(#h-p-list) tr[data-line="a"] [data-kind="preliminary"]'
    )
    expect(shown).to_have_text("300")  # its protocol still shown, as received
    page.screenshot(path=str(ARTIFACTS / f"annulled-station-{lang}.png"), full_page=True)
    link.click()
    expect(page.locator(f'[data-released="{complaint}"] a')).to_have_count(1)  # the photo
    photo = page.locator(f'[data-released="{complaint}"] a').get_attribute("href")
    assert photo is not None
    body = page.request.get(f"{url}{photo}").body()
    assert body.startswith(b"\x89PNG") and b"Aibek" not in body

    page.goto(f"{url}/e/test-2025/district/n1/?lang={lang}")
    row = page.locator('tr[data-unit="1001"] .annulled')
    expect(row).to_contain_text(ROW[lang])
    expect(page.locator('tr[data-unit="1002"] .annulled')).to_have_count(0)
    page.goto(f"{url}/e/test-2025/region/north/?lang={lang}")
    expect(page.locator('tr[data-unit="n1"] .annulled')).to_contain_text(ONE_ANNULLED[lang])
    page.screenshot(path=str(ARTIFACTS / f"annulled-region-{lang}.png"), full_page=True)
    page.goto(f"{url}/e/test-2025/?lang={lang}")
    expect(page.locator('.seat-status[data-status="waiting"]')).to_contain_text(WAITS[lang])
    page.screenshot(path=str(ARTIFACTS / f"certification-waits-{lang}.png"), full_page=True)
    data = json.loads(page.request.get(f"{url}/e/test-2025/data/region/north.json").text())
    assert {r["unit"]: r["stations_annulled"] for r in data} == {"north": 1}
    context.close()
