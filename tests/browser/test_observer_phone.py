"""The observer's phone page in Chromium at 375 px: a short-term observer loads the key file, the
network goes (the browser is offline and the server is down), forms are filled, signed in the page
and queued in each of the four languages — a checklist with a failed quality check, an incident
with a photo, a protocol copy with a photo, a change of station — the page is reloaded with no
signal and opens from its service worker with the queue intact; the network returns and every
submission reaches the log exactly once, signed by the observer's key (which no request carried).
The mission then opens its inbox with its own key and publishes the content, photos stripped of
their metadata."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from achyk.api.app import create_app
from achyk.ledger.note import format_signer_key
from achyk.observers import signing as sig
from achyk.observers.deployment import draw
from achyk.services.observers.findings import mission_coverage
from achyk.services.observers.inbox import publish_inbox
from achyk.services.observers.record import election_strata, read_observers, record_many
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.models import LogEntryRow, MissionInboxRow, ObserverPhotoRow
from browser.conftest import ARTIFACTS
from live_server import free_port

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "observer-phone"
WAITING = {"ru": "Ожидает отправки", "ky": "Жөнөтүүнү күтүүдө", "kk": "Жіберуді күтуде",
           "en": "Waiting to send"}  # fmt: skip
OFFLINE = {"ru": "Нет сети", "ky": "Тармак жок", "kk": "Желі жоқ", "en": "Offline"}


def png_with_metadata() -> bytes:
    """A real 2 × 2 PNG with a tEXt chunk (as a phone writes its model and position), built from
    the PNG specification (ISO/IEC 15948)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x00\x80\xff" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"GPS\x0042.8746,74.5698 phone-model-x")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip


class Server:
    """The site on one fixed port, stopped and started again: 'no network' for real."""

    def __init__(self, db: Database) -> None:
        self.app, self.port = create_app(db=db), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("observer-phone")
    db = Database.open(f"sqlite:///{folder / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    mkey = private_key_from_seed(b"phone test mission")
    okey = private_key_from_seed(b"phone test observer sto-1")
    other = private_key_from_seed(b"phone test observer sto-2")
    ok = lambda rs: all(r.index is not None for r in rs)  # noqa: E731
    assert ok(record_many(db, eid, "mission-accreditation", [
        sig.accreditation(cec, "cec", "osce", "international", "OSCE/ODIHR EOM", public_key_b64(mkey))
    ]))  # fmt: skip
    assert ok(record_many(db, eid, "observer-registration", [
        sig.registration(mkey, "osce", "sto-1", "sto", "t1", okey, ("ru", "ky")),
        sig.registration(mkey, "osce", "sto-2", "sto", "t1", other, ("ru", "kk")),
    ]))  # fmt: skip
    plan = draw("phone-test", ["t1"], election_strata(sim.election), 3)
    assert ok(record_many(db, eid, "deployment-plan", [sig.plan_entry(mkey, "osce", plan)]))
    key_file = folder / "sto-1.key"
    key_file.write_text(format_signer_key("sto-1", okey) + "\n", encoding="utf-8")
    photo = folder / "ballot-box.png"
    photo.write_bytes(png_with_metadata())
    server = Server(db)
    server.start()
    yield {"db": db, "eid": eid, "server": server, "key_file": key_file, "photo": photo,
           "mkey": mkey, "okey": okey, "stations": plan.assignments["t1"], "sim": sim,
           "folder": folder}  # fmt: skip
    server.stop()
    db.close()


def _ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready]", state="attached")


def _submissions(db: Database, eid: str) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.query(LogEntryRow).filter(
            LogEntryRow.election_id == eid,
            LogEntryRow.kind.in_(("observation", "protocol-copy", "station-change")),
        )  # fmt: skip
        return [json.loads(r.entry) | {"_index": r.idx} for r in rows]


def _log_texts(db: Database, eid: str) -> list[str]:
    with db.read() as s:
        return [r.entry for r in s.query(LogEntryRow).filter_by(election_id=eid)]


def test_offline_forms_in_four_languages_arrive_once(
    browser: Browser, setup: dict[str, Any]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    db, eid, server = setup["db"], setup["eid"], setup["server"]
    first, second, third = setup["stations"]
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)  # fmt: skip
    sent_bodies: list[bytes] = []
    context.on("request", lambda r: sent_bodies.append(r.post_data_buffer or b""))
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{server.url}/e/{eid}/observe?lang=ru")
    _ready(page)
    page.set_input_files("#key-file", str(setup["key_file"]))
    expect(page.locator("#whoami")).to_contain_text("sto-1")
    expect(page.locator("#station")).to_have_value(first)  # the team's first drawn station
    # The service worker holds the page and its scripts before the signal goes.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.screenshot(path=str(SHOTS / "1-key-loaded-ru.png"), full_page=True)

    server.stop()
    context.set_offline(True)
    expect(page.locator("#net")).to_contain_text(OFFLINE["ru"])

    # ru: a counting checklist whose figures fail a quality check (found > issued): flagged, kept.
    page.select_option("#form-kind", "counting")
    page.fill('[name="q-arrival"]', "19:40")
    page.fill('[name="q-departure"]', "22:15")
    for q, v in (("voters_on_list", "1500"), ("ballots_received", "1500"),
                 ("ballots_issued", "800"), ("ballots_found", "845")):  # fmt: skip
        page.fill(f'[name="q-{q}"]', v)
    expect(page.locator("#checks [data-check]")).to_have_count(1)
    for q, v in (("unused_cancelled", "true"), ("control_paper_found", "true"),
                 ("protocol_public", "false"), ("copy_given", "true"), ("observers_free", "true"),
                 ("assessment", "bad")):  # fmt: skip
        page.check(f'input[name="q-{q}"][value="{v}"]')
    page.screenshot(path=str(SHOTS / "2-counting-quality-check-ru.png"), full_page=True)
    page.click("#sign")
    expect(page.locator('#items li[data-state="waiting"]')).to_have_count(1)
    expect(page.locator("#items li").first).to_contain_text(WAITING["ru"])

    # A form left half-filled is not signed: the page names the missing answer.
    page.select_option("#form-kind", "opening")
    page.click("#sign")
    expect(page.locator("#form-error")).not_to_be_empty()
    expect(page.locator("#items li")).to_have_count(1)

    # Reloaded with no signal: the page opens from the service worker, the key and queue are kept.
    page.reload()
    _ready(page)
    expect(page.locator("#whoami")).to_contain_text("sto-1")
    expect(page.locator('#items li[data-state="waiting"]')).to_have_count(1)

    # ky, still offline: an incident with a photo.
    page.goto(f"{server.url}/e/{eid}/observe?lang=ky")
    _ready(page)
    page.fill("#station", second)
    page.select_option("#form-kind", "incident")
    page.fill('[name="q-time"]', "11:05")
    page.select_option('[name="q-category"]', "carousel-voting")
    page.fill('[name="q-description"]', "[ky] Бир эле автобус шайлоочуларды үч жолу алып келди.")
    page.set_input_files("#photo", str(setup["photo"]))
    page.screenshot(path=str(SHOTS / "3-incident-photo-ky.png"), full_page=True)
    page.click("#sign")
    expect(page.locator('#items li[data-state="waiting"]')).to_have_count(2)
    expect(page.locator("#items li").first).to_contain_text(WAITING["ky"])

    # kk: a copy of the final protocol, with its photo.
    page.goto(f"{server.url}/e/{eid}/observe?lang=kk")
    _ready(page)
    page.fill("#station", second)
    page.select_option("#form-kind", "protocol-copy")
    figures: dict[str, Any] = {"voters_on_list": 1500, "ballots_received": 1500,
                               "issued_in_station": 780, "issued_outside": 20, "cancelled": 700,
                               "found_mobile": 20, "found_stationary": 778, "invalid": 8,
                               "valid": 790}  # fmt: skip
    for k, v in figures.items():
        page.fill(f'[name="q-{k}"]', str(v))
    votes = page.locator("#votes input")
    options = [n.removeprefix("q-vote-") for n in votes.evaluate_all("es => es.map(e => e.name)")]
    for n, option in enumerate(options):
        page.fill(
            f'[name="q-vote-{option}"]', str(790 // len(options) + (n == 0) * (790 % len(options)))
        )
    page.set_input_files("#photo", str(setup["photo"]))
    page.screenshot(path=str(SHOTS / "4-protocol-copy-kk.png"), full_page=True)
    page.click("#sign")
    expect(page.locator('#items li[data-state="waiting"]')).to_have_count(3)
    expect(page.locator("#items li").first).to_contain_text(WAITING["kk"])

    # en: the team moves from its third station to another one (recorded, not hidden), then fills
    # an opening checklist there.
    page.goto(f"{server.url}/e/{eid}/observe?lang=en")
    _ready(page)
    elsewhere = next(s for s in json.loads(page.locator("#observe-data").text_content() or "{}")["stations"]
                     if s not in (first, second, third))  # fmt: skip
    page.fill("#station", third)
    page.select_option("#form-kind", "station-change")
    page.fill('[name="q-to"]', elsewhere)
    page.fill('[name="q-reason"]', "The road to the village is closed by snow.")
    page.click("#sign")
    page.fill("#station", elsewhere)
    page.select_option("#form-kind", "opening")
    page.fill('[name="q-arrival"]', "07:30")
    page.fill('[name="q-departure"]', "08:20")
    page.fill('[name="q-ballots_received"]', "1200")
    for q, v in (("opened_on_time", "true"), ("boxes_empty_sealed", "true"),
                 ("control_paper", "true"), ("observers_free", "true"), ("assessment", "very-good")):  # fmt: skip
        page.check(f'input[name="q-{q}"][value="{v}"]')
    page.click("#sign")
    expect(page.locator('#items li[data-state="waiting"]')).to_have_count(5)
    expect(page.locator("#items li").first).to_contain_text(WAITING["en"])
    page.screenshot(path=str(SHOTS / "5-queue-offline-en.png"), full_page=True)
    assert _submissions(db, eid) == []  # nothing reached the server

    # The network returns: each submission is sent, and answered with its log entry.
    server.start()
    context.set_offline(False)
    expect(page.locator('#items li[data-state="sent"]')).to_have_count(5, timeout=30_000)
    page.screenshot(path=str(SHOTS / "6-sent-en.png"), full_page=True)
    logged = _submissions(db, eid)
    assert sorted(e["kind"] for e in logged) == [
        "observation", "observation", "observation", "protocol-copy", "station-change"
    ]  # fmt: skip
    assert len({e["signature"] for e in logged}) == 5

    # A reload online sends nothing again; nor does the same item posted once more by hand.
    page.reload()
    _ready(page)
    page.wait_for_timeout(3_500)  # one more round of the page's sender
    assert len(_submissions(db, eid)) == 5
    again = next(e for e in logged if e["kind"] == "observation")
    envelope = {k: v for k, v in again.items() if k not in ("kind", "election", "_index")}
    with httpx.Client(base_url=server.url) as http:
        answer = http.post(f"/api/elections/{eid}/observers/observation", json=envelope)
    assert answer.status_code == 200
    assert answer.json()[0] == {"accepted": True, "log_entry": again["_index"], "reasons": [],
                                "duplicate": True}  # fmt: skip
    assert len(_submissions(db, eid)) == 5

    # Signed by the observer's key, which no request carried.
    seed = setup["okey"].private_bytes_raw()
    for body in sent_bodies:
        assert seed not in body and base64.b64encode(seed) not in body
        assert base64.b64encode(b"\x01" + seed) not in body
    move = next(e for e in logged if e["kind"] == "station-change")
    assert (move["from"], move["to"], move["observer"]) == (third, elsewhere, "sto-1")
    copy = next(e for e in logged if e["kind"] == "protocol-copy")
    original = setup["photo"].read_bytes()
    assert copy["figures"] == figures | {"votes": copy["figures"]["votes"]}
    assert copy["photo_sha256"] == hashlib.sha256(original).hexdigest()
    context.close()

    # The mission's inbox holds the sealed items; the server cannot read them.
    with db.read() as s:
        sealed = [r.sealed for r in s.query(MissionInboxRow).filter_by(election_id=eid)]
    assert len(sealed) == 5 and all(b"carousel" not in x and original not in x for x in sealed)
    done = publish_inbox(db, eid, "osce", setup["mkey"])
    assert (done.observations, done.photos, done.waiting, done.problems) == (3, 2, 0, [])
    state = read_observers(db, eid)
    published = {o.form: state.contents[o.index] for o in state.observations.values()}
    assert published["counting"]["answers"]["ballots_found"] == 845
    assert published["incident"]["answers"]["category"] == "carousel-voting"
    assert published["incident"]["evidence"] == [hashlib.sha256(original).hexdigest()]
    flagged = [o.flags for o in state.observations.values() if o.form == "counting"]
    assert flagged == [("more ballots found than issued",)]
    with db.read() as s:
        photo = s.get(ObserverPhotoRow, (eid, hashlib.sha256(original).hexdigest()))
        assert photo is not None
        stripped = photo.content
    assert b"tEXt" not in stripped and b"GPS" not in stripped and b"IDAT" in stripped
    assert len(stripped) == len(original) - (12 + len(b"GPS\x0042.8746,74.5698 phone-model-x"))
    with httpx.Client(base_url=server.url) as http:
        served = http.get(f"/api/elections/{eid}/missions/osce/photos/{photo.sha256}")
    assert served.status_code == 200 and served.content == stripped
    # In the public record, named by the published hash the mission's entry gives.
    from achyk.services.publish import publish

    publish(db, eid, setup["folder"] / "record")
    name = hashlib.sha256(stripped).hexdigest()
    assert (
        setup["folder"] / "record" / "observers" / "photos" / f"{name}.png"
    ).read_bytes() == stripped
    [pub] = [json.loads(e) for e in _log_texts(db, eid) if '"observation-content"' in e
             and json.loads(e)["content"]["evidence"]]  # fmt: skip
    assert pub["photos"] == {hashlib.sha256(original).hexdigest(): name}
    manifest = json.loads((setup["folder"] / "record" / "manifest.json").read_text())
    assert manifest["files"][f"observers/photos/{name}.png"] == name

    # Coverage counts the plan as carried out: the station moved to replaces the one left.
    [cov] = [c for c in mission_coverage(db, eid) if c.mission == "osce"]
    assert (cov.planned, cov.visited, cov.visited_planned) == (3, 3, 3)
    assert len(cov.moves) == 1 and elsewhere in cov.moves[0] and "snow" in cov.moves[0]


def test_an_answer_lost_on_the_way_back_is_not_a_second_entry(
    browser: Browser, setup: dict[str, Any]
) -> None:
    """The server logs the form but the phone never gets the answer (the signal drops on the way
    back): the page sends the same signed submission again and is answered with the first entry."""
    db, eid, server = setup["db"], setup["eid"], setup["server"]
    context = browser.new_context(viewport={"width": 375, "height": 812}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(20_000)
    lost: list[int] = []

    def drop_the_first_answer(route: Any) -> None:
        if not lost:
            answer = route.fetch()  # it reaches the server, which logs it …
            lost.append(answer.json()[0]["log_entry"])
            route.abort("internetdisconnected")  # … and the page never hears back
        else:
            route.continue_()

    page.route("**/observers/observation", drop_the_first_answer)
    page.goto(f"{server.url}/e/{eid}/observe?lang=en")
    _ready(page)
    page.fill("#key-text", setup["key_file"].read_text().strip())
    page.click("#key-use")
    before = len(_submissions(db, eid))
    page.select_option("#form-kind", "incident")
    page.fill('[name="q-time"]', "15:40")
    page.select_option('[name="q-category"]', "pressure-on-observers")
    page.fill('[name="q-description"]', "Asked to leave during the count.")
    page.click("#sign")
    sent = page.locator('#items li[data-state="sent"]')
    expect(sent).to_have_count(1, timeout=30_000)
    assert lost and f"log entry {lost[0]}" in (sent.text_content() or "")
    assert len(_submissions(db, eid)) == before + 1  # logged once, answered twice
    context.close()
