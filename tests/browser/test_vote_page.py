"""The voting page (/e/{id}/vote) in Debian's Chromium on a 375 px phone, in each language: the voter
checks the election against the signed log, encrypts in the browser, audits one ballot, casts one,
then votes again; the Python side then closes, tallies with the trustees' shares, publishes and
`achyk verify` accepts every browser-made ballot, counts only each credential's last cast ballot
and never an audited one.

Also the byte-for-byte cross-check: the page's protocol module (static/evoting.js) and the Python
client, fed the same scripted randomness (tests/evoting_scripted.py), make the same submission;
Python's checks accept it, and refuse it once tampered with.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import segno
import uvicorn
from playwright.sync_api import Browser, Page, expect
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.cli.main import app
from achyk.crypto.errors import InvalidEncoding
from achyk.errors import VerificationError
from achyk.evoting import credentials as creds
from achyk.evoting.authority import authority_public_key, new_authority_key, sign_list
from achyk.evoting.ballot import (
    Intent,
    check_sealed,
    encrypt_ballot,
    seal_audit,
    seal_cast,
    short_code,
    submission,
)
from achyk.evoting.election import ElectionParams
from achyk.services.elections import load_election
from achyk.services.remote.simulation import (
    SimulatedCeremony,
    add_remote_unit,
    simulate_ceremony,
    trustees_decrypt,
)
from achyk.services.remote.tally import tally_remote
from achyk.services.remote.voting import import_credentials, remote_info
from achyk.store.database import Database
from evoting_scripted import ScriptedRng
from factories import election
from live_server import free_port

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "vote-page"
EID = "test-2025"
LANGS = ("ru", "ky", "kk", "en")
PHONE = {"width": 375, "height": 812}
# Per language: the option audited, the one cast first, the one cast again (the one that counts).
PLAN = {"ru": ("a", "b", "c"), "ky": ("b", "c", "a"), "kk": ("c", "a", "a"),
        "en": ("against-all", "a", "b")}  # fmt: skip
HEADINGS = {"ru": "Голосование из-за рубежа", "ky": "Чет өлкөдөн добуш берүү",
            "kk": "Шетелден дауыс беру", "en": "Vote from abroad"}  # fmt: skip


@dataclass(frozen=True)
class Served:
    url: str
    db: Database
    ceremony: SimulatedCeremony
    params: ElectionParams
    seeds: tuple[bytes, ...]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('vote') / 'achyk.db'}")
    # The credential authority's key and the seeds are made here, standing in for its offline
    # machine; the server gets the signed public list only.
    ca = new_authority_key()
    load_election(db, replace(add_remote_unit(election()), credential_authority=authority_public_key(ca)))  # fmt: skip
    ceremony = simulate_ceremony(db, EID, ["CEC", "Party A", "OSCE"], 2)
    params = ceremony.setup.params
    seeds = tuple(creds.new_seed() for _ in LANGS)
    import_credentials(db, EID, sign_list(ca, EID, params.fingerprint, [creds.public_credential(s) for s in seeds]))  # fmt: skip
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db=db), host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=2))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", db, ceremony, params, seeds)
    server.should_exit = True
    thread.join(timeout=10)
    db.close()


def _phone(browser: Browser, lang: str) -> Page:
    context = browser.new_context(viewport=PHONE, locale=lang, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda m: print("console:", m.text))
    page.on("pageerror", lambda e: print("pageerror:", e))
    return page


def _letter_form(seed: bytes) -> str:
    """The seed as the letter prints it: eight groups of eight hex digits."""
    return " ".join(seed.hex()[i : i + 8] for i in range(0, 64, 8))


def _encrypt(page: Page, option: str) -> str:
    page.locator(f'input[data-option="{option}"]').check()
    page.locator("#encrypt").click()
    expect(page.locator("#step-decide")).to_be_visible()
    return page.locator('[data-field="short_code"]').inner_text()


def _sent_bodies(page: Page) -> list[str]:
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(f"{r.url} {r.post_data or ''}"))
    return bodies


def _vote_in(browser: Browser, served: Served, lang: str, seed: bytes, tmp: Path) -> dict[str, Any]:
    audited_opt, first_opt, final_opt = PLAN[lang]
    page = _phone(browser, lang)
    sent = _sent_bodies(page)
    page.goto(f"{served.url}/e/{EID}/vote?lang={lang}")
    expect(page.locator("h1")).to_have_text(HEADINGS[lang])
    if lang == "en":  # the QR code of the letter, read from a photo by the vendored jsQR
        qr = tmp / "letter-qr.png"
        payload = f"achyk-credential:1:{EID}:{served.params.fingerprint}:{seed.hex()}"
        segno.make(payload, error="m").save(str(qr), scale=8, border=4)
        page.locator("#qr").set_input_files(str(qr))
        expect(page.locator("#fingerprint")).to_have_value(served.params.fingerprint)
    else:
        page.locator("#fingerprint").fill(short_code(served.params.fingerprint))
        page.locator("#credential").fill(_letter_form(seed))
    page.screenshot(path=str(ARTIFACTS / f"{lang}-1-letter.png"), full_page=True)
    page.locator("#check").click()
    expect(page.locator("#step-choose")).to_be_visible()
    expect(page.locator('[data-field="fingerprint"]')).to_have_text(short_code(served.params.fingerprint))  # fmt: skip
    assert page.locator('[data-field="log_key"]').inner_text().startswith("achyk")
    page.screenshot(path=str(ARTIFACTS / f"{lang}-2-checked.png"), full_page=True)

    page.locator("#encrypt").click()  # nothing chosen: named, nothing encrypted
    expect(page.locator("#vote-error")).to_contain_text("Party list")
    expect(page.locator("#step-decide")).to_be_hidden()
    # Audit: the tracking code is on screen before the page is told what to do with the ballot.
    audited = _encrypt(page, audited_opt)
    page.screenshot(path=str(ARTIFACTS / f"{lang}-3-tracking-code.png"), full_page=True)
    page.locator("#audit").click()
    expect(page.locator("#opening")).to_be_visible()
    ok_text = page.locator('[data-field="opening_ok"]').inner_text()
    messages = page.evaluate("JSON.parse(document.getElementById('vote-messages').textContent)")
    assert ok_text == messages["opening_ok"], (
        f"{lang}: the audited ballot does not open to its choice"
    )
    page.screenshot(path=str(ARTIFACTS / f"{lang}-4-audited.png"), full_page=True)
    track = page.locator('[data-field="track_link"]').get_attribute("href") or ""
    assert track.endswith(f"track?code={audited}")

    page.locator("#again").click()
    first = _encrypt(page, first_opt)
    page.locator("#cast").click()
    expect(page.locator("#opening")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-5-cast.png"), full_page=True)
    page.locator("#again").click()
    final = _encrypt(page, final_opt)
    page.locator("#cast").click()
    expect(page.locator("#step-done")).to_be_visible()
    done = page.locator('[data-field="done"]').inner_text()
    expect(page.locator('[data-field="done_code"]')).to_have_text(final)  # the code to keep
    page.screenshot(path=str(ARTIFACTS / f"{lang}-6-revote.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.context.close()
    return {"codes": (audited, first, final), "sent": sent, "done": done, "width": width}


@pytest.mark.slow
def test_vote_audit_and_revote_in_each_language_then_verify(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = {lang: _vote_in(browser, served, lang, seed, tmp_path)
            for lang, seed in zip(LANGS, served.seeds, strict=True)}  # fmt: skip
    for lang, run in runs.items():
        assert run["width"] <= PHONE["width"], f"{lang}: the page scrolls sideways on a phone"
        # The credential never leaves the page: no request carries the seed, in any form.
        seed = served.seeds[LANGS.index(lang)]
        for text in run["sent"]:
            assert seed.hex() not in text.lower() and base64.b64encode(seed).decode() not in text

    # The board, as the API tells it: the audited ballot carries no credential.
    import httpx

    for lang, run in runs.items():
        audited, first, final = run["codes"]
        got = httpx.get(f"{served.url}/api/elections/{EID}/remote/track/{audited}").json()
        assert got["status"] == "challenged" and "credential" not in got["entry"], lang
        was = httpx.get(f"{served.url}/api/elections/{EID}/remote/track/{first}").json()
        now = httpx.get(f"{served.url}/api/elections/{EID}/remote/track/{final}").json()
        assert (was["standing"], was["entry"]["counter"]) == ("superseded", 1), lang
        assert (now["standing"], now["entry"]["counter"]) == ("cast", 2), lang
        assert now["entry"]["credential"] == creds.public_credential(
            served.seeds[LANGS.index(lang)]
        )

    # Close, decrypt with trustees 1 and 3 (2 of 3), tally: only the re-votes count.
    present = [k for k in served.ceremony.keys if k.index in (1, 3)]
    tally = tally_remote(served.db, EID, trustees_decrypt(served.db, EID, present))
    options = remote_info(served.db, EID).params.contests[0].options
    expected = tuple(sum(1 for lang in LANGS if PLAN[lang][2] == o) for o in options)
    assert tally.counted == len(LANGS)
    assert tally.results["list"] == expected

    # Closed: the page still checks the election for the voter, then says it is too late.
    page = _phone(browser, "ru")
    page.goto(f"{served.url}/e/{EID}/vote?lang=ru")
    page.locator("#fingerprint").fill(short_code(served.params.fingerprint))
    page.locator("#credential").fill(_letter_form(served.seeds[0]))
    page.locator("#check").click()
    expect(page.locator("#vote-error")).to_have_text("Дистанционное голосование закрыто.")
    expect(page.locator("#step-checked")).to_be_visible()
    expect(page.locator("#step-choose")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "ru-7-closed.png"), full_page=True)
    page.context.close()

    # Publish; the Python verifier checks every ballot the browser made.
    record = tmp_path / "record"
    runner = CliRunner()
    url = ["--database", str(served.db.engine.url)]
    published = runner.invoke(app, ["publish", "--out", str(record), *url])
    assert published.exit_code == 0, published.output
    verified = runner.invoke(app, ["verify", str(record), "--workers", "1"])
    said = " ".join(verified.output.split())
    assert verified.exit_code == 0 and "the record verifies" in said, said
    for lang, run in runs.items():
        assert httpx.get(f"{served.url}/api/elections/{EID}/remote/track/{run['codes'][2]}").json()["standing"] == "counted", lang  # fmt: skip
        assert httpx.get(f"{served.url}/api/elections/{EID}/remote/track/{run['codes'][0]}").json()["standing"] == "audited", lang  # fmt: skip


def test_the_browser_makes_the_python_ballot_byte_for_byte(
    browser: Browser, served: Served
) -> None:
    page = _phone(browser, "en")
    page.goto(f"{served.url}/e/{EID}/vote?lang=en")
    params = served.params
    seed = bytes(range(32))
    made: dict[str, Any] = page.evaluate(
        """async ([params, seedHex]) => {
            const E = await import("/static/evoting.js");
            const rc = params.contests[0];
            const choices = {[rc.id]: rc.options.map((_, i) => (i === 1 ? 1 : 0))};
            const prepared = E.encryptBallot(params, choices, E.scriptedRandom("cross-check"));
            const cast = E.castSubmission(params, prepared, E.unhex(seedHex), 7);
            const audit = E.auditSubmission(params, prepared);
            return {cast: new TextDecoder().decode(E.canonicalJson(cast)),
                    audit: new TextDecoder().decode(E.canonicalJson(audit)),
                    short: E.shortCode(E.trackingCode(prepared.ballot))};
        }""",
        [params.to_dict(), seed.hex()],
    )
    page.context.close()
    rc = params.contests[0]
    prepared = encrypt_ballot(
        params,
        {rc.id: tuple(int(i == 1) for i in range(len(rc.options)))},
        ScriptedRng("cross-check"),
    )
    py_cast = submission(params, prepared.ballot, seal_cast(params, prepared.ballot, seed, 7))
    py_audit = submission(params, prepared.ballot, seal_audit(params, prepared), prepared.opening)
    assert made["cast"] == canonical_json(py_cast).decode()
    assert made["audit"] == canonical_json(py_audit).decode()
    checked = check_sealed(params, json.loads(made["cast"]), Intent.CAST)
    assert made["short"] == short_code(checked.code) and checked.seal.counter == 7
    check_sealed(params, json.loads(made["audit"]), Intent.AUDIT)

    # Tampered: one response of one proof, the counter after signing, the opened choice.
    bad = json.loads(made["cast"])
    v = bad["ballot"]["contests"][0]["proofs"][0]["v"]
    v[0] = f"{(int(v[0], 16) + 1) % params.group.order:064x}"
    with pytest.raises(VerificationError, match="option"):
        check_sealed(params, bad, Intent.CAST)
    bad = json.loads(made["cast"]) | {"counter": 8}
    with pytest.raises(VerificationError, match="signature"):
        check_sealed(params, bad, Intent.CAST)
    bad = json.loads(made["audit"])
    bad["opening"]["choices"][0] = bad["opening"]["choices"][0][::-1]
    with pytest.raises((VerificationError, InvalidEncoding)):
        check_sealed(params, bad, Intent.AUDIT)


def test_a_fingerprint_other_than_the_letters_is_refused_before_anything_is_encrypted(
    browser: Browser, served: Served
) -> None:
    """Attack 5 of issue 10, in the browser: the letter's fingerprint is not the server's
    parameters' (here: a letter for other parameters). The page refuses and shows no ballot."""
    page = _phone(browser, "ky")
    page.goto(f"{served.url}/e/{EID}/vote?lang=ky")
    other = short_code("00" * 32)
    page.locator("#fingerprint").fill(other)
    page.locator("#credential").fill(_letter_form(served.seeds[0]))
    page.locator("#check").click()
    error = page.locator("#vote-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(short_code(served.params.fingerprint))  # what the server has
    expect(page.locator("#step-choose")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "ky-refused-fingerprint.png"), full_page=True)
    page.locator("#fingerprint").fill(short_code(served.params.fingerprint))
    page.locator("#credential").fill("not a credential")
    page.locator("#check").click()
    expect(error).to_contain_text("64")  # the credential's shape, in the voter's language
    page.context.close()


def test_the_page_refuses_a_checkpoint_or_proof_the_log_key_does_not_back(
    browser: Browser, served: Served
) -> None:
    """The browser's checks of the log, against the Python ledger's: the served checkpoint verifies
    under the page's log key; the same note under another key, or with its size changed, does not;
    an inclusion proof with one hash flipped does not lead to the signed root."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from achyk.ledger.checkpoint import parse_checkpoint
    from achyk.ledger.note import Ed25519Verifier
    from achyk.services import ledger

    note = ledger.latest_checkpoint(served.db, EID) or ""
    vkey, origin = ledger.log_vkey(served.db, EID), ledger.log_origin(served.db, EID)
    name = vkey.split("+")[0]
    other = Ed25519Verifier.from_private_key(name, Ed25519PrivateKey.generate()).vkey
    cp = parse_checkpoint(note)
    index = remote_info(served.db, EID).params_log_index
    proof = [p.hex() for p in ledger.inclusion(served.db, EID, index, cp.size)]
    entry = ledger.entry(served.db, EID, index) or ""
    flipped = [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1"), *proof[1:]]
    page = _phone(browser, "en")
    page.goto(f"{served.url}/e/{EID}/vote?lang=en")
    got = page.evaluate(
        """async ([note, vkey, other, origin, entry, index, size, proof, flipped]) => {
            const E = await import("/static/evoting.js");
            const attempt = (f) => { try { f(); return "ok"; } catch (e) { return e.message; } };
            const cp = E.verifyCheckpoint(note, vkey, origin);
            const leaf = E.leafHash(new TextEncoder().encode(entry));
            const lines = note.split("\\n");
            lines[1] = String(Number(lines[1]) + 1);
            return {
                size: cp.size, root: E.hex(cp.root),
                otherKey: attempt(() => E.verifyCheckpoint(note, other, origin)),
                otherOrigin: attempt(() => E.verifyCheckpoint(note, vkey, "elsewhere")),
                resized: attempt(() => E.verifyCheckpoint(lines.join("\\n"), vkey, origin)),
                included: E.verifyInclusion(leaf, index, size, proof, cp.root),
                flipped: E.verifyInclusion(leaf, index, size, flipped, cp.root),
                elsewhere: E.verifyInclusion(leaf, index + 1, size, proof, cp.root),
            };
        }""",
        [note, vkey, other, origin, entry, index, cp.size, proof, flipped],
    )
    page.context.close()
    assert (got["size"], got["root"]) == (cp.size, cp.root.hex())
    assert got["otherKey"] == "checkpoint: not signed by the log key"
    assert got["otherOrigin"] == "checkpoint: not this log's"
    assert got["resized"] == "checkpoint: the log's signature does not verify"
    assert got["included"] is True and got["flipped"] is False and got["elsewhere"] is False


def _qr_video(payload: str, path: Path) -> Path:
    """A one-frame Y4M video of the letter's QR code: Chromium's fake camera plays it in a loop."""
    from PIL import Image

    qr_png = path.with_suffix(".png")
    segno.make(payload, error="m").save(str(qr_png), scale=6, border=4)
    frame = Image.new("RGB", (640, 480), "white")
    code = Image.open(qr_png).convert("RGB")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    data = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n" + data)
    return path


def test_the_camera_reads_the_letters_qr_code(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    """The letter's QR code held up to the camera (Chromium's fake camera, fed a video of it)."""
    seed = served.seeds[0]
    video = _qr_video(f"achyk-credential:1:{EID}:{served.params.fingerprint}:{seed.hex()}",
                      tmp_path / "letter.y4m")  # fmt: skip
    camera = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        args=["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"],
    )  # fmt: skip
    try:
        context = camera.new_context(viewport=PHONE, locale="kk", device_scale_factor=2)
        context.grant_permissions(["camera"], origin=served.url)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{served.url}/e/{EID}/vote?lang=kk")
        page.locator("#scan").click()
        expect(page.locator("#fingerprint")).to_have_value(served.params.fingerprint)
        expect(page.locator("#camera")).to_be_hidden()  # closed once the code is read
        page.locator("#check").click()
        # Checked (voting may be closed by now: the tests above tallied it).
        expect(page.locator('[data-field="fingerprint"]')).to_have_text(short_code(served.params.fingerprint))  # fmt: skip
        page.screenshot(path=str(ARTIFACTS / "kk-camera-read.png"), full_page=True)
    finally:
        camera.close()
