"""Filing a complaint with a photo in the browser, in each language, and finding it — with the
territorial commission's signed decision — on the station's page and the public register."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from achyk.api.app import create_app
from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.services.disputes.filing import record_step
from achyk.services.simulation import run_simulation
from achyk.sim.generator import body_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.models import DisputeEvidenceRow, LogEntryRow
from browser.conftest import ARTIFACTS
from live_server import serving

pytestmark = pytest.mark.browser
SUBMIT = {
    "ru": "Подать жалобу",
    "ky": "Даттанууну берүү",
    "kk": "Шағымды беру",
    "en": "File the complaint",
}
# The decision in words of the page's language (src/achyk/disputes/labels.py and the catalogs).
DISMISS = {"ru": "отклонена", "ky": "четке кагылды", "kk": "қанағаттандырусыз қалдырылды",
           "en": "dismissed"}  # fmt: skip


def _png(path: Path) -> bytes:
    """A real 2 × 2 PNG (a phone photo stand-in), built by hand from the PNG specification."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip
    path.write_bytes(png)
    return png


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('complaints') / 'achyk.db'}")
    run_simulation(db, generate(SMALL))
    with serving(create_app(db=db)) as url:
        yield url, db
    db.close()


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_file_with_a_photo_then_find_the_decision(
    browser: Browser, site: tuple[str, Database], lang: str, tmp_path: Path
) -> None:
    url, db = site
    sim = generate(SMALL)
    station = next(iter(sim.election.stations())).station.id
    place = sim.election.place(station)
    assert place is not None
    photo = tmp_path / "box.png"
    content = _png(photo)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/e/{SMALL.election_id}/station/{station}?lang={lang}")
    page.locator(f'a[href*="complaints/new?station={station}"]').click()
    expect(page.locator("#station")).to_have_value(station)
    page.select_option("#filer", "observer")
    page.select_option("#category", "pressure")
    page.fill("#facts", f"[{lang}] Voters were told at the entrance whom to vote for.")
    page.set_input_files("#evidence", str(photo))
    page.get_by_role("button", name=SUBMIT[lang]).click()
    # the register, scrolled to the new complaint: its log entry is in the address
    expect(page).to_have_url(re.compile(r"/complaints#h-c-\d+$"))
    index = int(page.url.rsplit("#h-c-", 1)[1])
    with db.read() as s:  # the photo is kept whole, under the hash the log holds
        entry = json.loads(s.get(LogEntryRow, (SMALL.election_id, index)).entry)
        kept = s.get(DisputeEvidenceRow, (SMALL.election_id, entry["evidence"][0]))
    assert kept is not None and kept.content == content and kept.media_type == "image/png"
    assert entry["evidence"] == [hashlib.sha256(content).hexdigest()]
    # the territorial commission registers and decides, each step signed with its key
    tec = f"tec-{place.region_id}"
    for status, extra in (
        (Status.REGISTERED, {}),
        (Status.DECIDED, {"decision": Decision.DISMISS}),
    ):
        envelope = signed_step(body_key(SMALL, tec), SMALL.election_id, tec, index, status,
                               "heard both sides", **extra)  # type: ignore[arg-type]  # fmt: skip
        assert record_step(db, SMALL.election_id, envelope).index is not None
    page.goto(f"{url}/e/{SMALL.election_id}/station/{station}?lang={lang}")
    found = page.locator(f'.complaint[data-complaint="{index}"]')
    expect(found).to_contain_text(f"[{lang}] Voters were told")
    expect(found).to_contain_text(DISMISS[lang])
    page.screenshot(path=str(ARTIFACTS / f"complaint-{lang}.png"), full_page=True)
    context.close()


def test_a_complaint_naming_no_real_station_is_refused_with_its_reason(
    browser: Browser, site: tuple[str, Database]
) -> None:
    url, _ = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/e/{SMALL.election_id}/complaints/new?lang=en")
    page.fill("#station", "no-such-station")
    page.fill("#facts", "Something happened.")
    page.get_by_role("button", name=SUBMIT["en"]).click()
    expect(page.locator('[role="alert"]')).to_contain_text("no station 'no-such-station'")
    expect(page.locator("#facts")).to_have_value("Something happened.")  # nothing typed is lost
    context.close()
