"""A mission's own form on the observer's phone page in Chromium: published on the log with the
mission's key, shown to that mission's observers only, in the page's language (Kyrgyz here), its
quality check live as the figures are typed; the signed observation arrives on the log, and once
the mission publishes the content the fold flags it as it flags a standard form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from achyk.ledger.note import format_signer_key
from achyk.observers import signing as sig
from achyk.services.observers.inbox import publish_inbox
from achyk.services.observers.record import election_strata, read_observers, record_many
from achyk.services.observers.simulation import QUEUE_FORM
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from browser.conftest import ARTIFACTS
from browser.test_observer_phone import Server

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "observer-own-forms"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("observer-own-forms")
    db = Database.open(f"sqlite:///{folder / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    mkey, other = private_key_from_seed(b"own forms dom"), private_key_from_seed(b"own forms cis")
    okey = private_key_from_seed(b"own forms observer")
    ok = lambda rs: all(r.index is not None for r in rs)  # noqa: E731
    assert ok(record_many(db, eid, "mission-accreditation", [
        sig.accreditation(cec, "cec", "dom", "domestic", "Domestic watch", public_key_b64(mkey)),
        sig.accreditation(cec, "cec", "cis", "cis", "CIS mission", public_key_b64(other)),
    ]))  # fmt: skip
    assert ok(record_many(db, eid, "observer-registration",
                          [sig.registration(mkey, "dom", "d-1", "domestic", None, okey)]))  # fmt: skip
    theirs = {**QUEUE_FORM, "id": "cis-only",
              "title": {k: f"{v} (CIS)" for k, v in QUEUE_FORM["title"].items()}}  # fmt: skip
    assert ok(record_many(db, eid, "mission-forms", [
        sig.mission_forms(mkey, "dom", [QUEUE_FORM]), sig.mission_forms(other, "cis", [theirs]),
    ]))  # fmt: skip
    key_file = folder / "d-1.key"
    key_file.write_text(format_signer_key("d-1", okey) + "\n", encoding="utf-8")
    server = Server(db)
    server.start()
    station = next(iter(election_strata(sim.election).values()))[0]
    yield {"db": db, "eid": eid, "server": server, "key_file": key_file, "mkey": mkey,
           "station": station}  # fmt: skip
    server.stop()
    db.close()


def test_the_missions_own_question_is_asked_checked_and_logged(
    browser: Browser, setup: dict[str, Any]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    db, eid, server = setup["db"], setup["eid"], setup["server"]
    context = browser.new_context(viewport={"width": 375, "height": 812}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{server.url}/e/{eid}/observe?lang=ky")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.set_input_files("#key-file", str(setup["key_file"]))
    expect(page.locator("#whoami")).to_contain_text("d-1")
    kinds = page.locator("#form-kind option:not([hidden])")
    labels = kinds.evaluate_all("os => os.map(o => o.value)")
    assert "queue" in labels and "cis-only" not in labels  # another mission's form is not offered
    page.fill("#station", setup["station"])
    page.select_option("#form-kind", "queue")
    expect(page.locator('[data-q="queue_at_close"]')).to_contain_text(
        QUEUE_FORM["questions"][0]["label"]["ky"]
    )
    page.fill('[name="q-queue_at_close"]', "7")
    page.fill('[name="q-queue_voted"]', "9")
    expect(page.locator("#checks [data-check]")).to_have_count(1)
    expect(page.locator("#checks")).to_contain_text(QUEUE_FORM["checks"][0]["message"]["ky"])
    page.screenshot(path=str(SHOTS / "1-own-form-quality-check-ky.png"), full_page=True)
    page.click("#sign")
    expect(page.locator('#items li[data-state="sent"]')).to_have_count(1, timeout=30_000)
    context.close()

    done = publish_inbox(db, eid, "dom", setup["mkey"])
    assert (done.observations, done.problems) == (1, [])
    state = read_observers(db, eid)
    [obs] = [o for o in state.observations.values() if o.mission == "dom"]
    assert obs.form == "queue" and obs.station == setup["station"]
    assert state.contents[obs.index]["answers"] == {"queue_at_close": 7, "queue_voted": 9}
    assert obs.flags == ("more voted than were in line",)
