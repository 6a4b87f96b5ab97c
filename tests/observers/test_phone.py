"""What the observer's phone page relies on, on SQLite and PostgreSQL: a signed submission sent
twice is logged once (the second answered with the first entry), and a copy appended past the
checks fails the replay; a change of station signed by the observer, counted in coverage; LTO
areas recorded by the mission, redrawn from their seed; the mission's inbox keeps sealed items it
cannot read; photos lose their metadata and keep their pixels."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib

import httpx
import pytest
from PIL import Image

from achyk.api.app import create_app
from achyk.observers import signing as sig
from achyk.observers.deployment import draw
from achyk.observers.model import ObserverError, Role
from achyk.observers.moves import lto_draw
from achyk.observers.photos import strip_metadata
from achyk.observers.sealing import montgomery_public, montgomery_secret, seal, unseal
from achyk.services.ledger import append_entries
from achyk.services.observers.findings import mission_coverage
from achyk.services.observers.record import election_strata, read_observers, record, record_many
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.replay import replay
from live_server import serving
from replayed import definition, evidence, log_entries


@pytest.fixture
def election(db: Database) -> tuple[Database, SimElection]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    return db, sim


def _mission(db: Database, sim: SimElection) -> tuple[object, dict[str, object]]:
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    mkey = private_key_from_seed(b"phone/mission")
    acc = sig.accreditation(cec, "cec", "m1", "international", "M", public_key_b64(mkey))
    assert record(db, eid, "mission-accreditation", acc).index is not None
    people = [("s1", Role.STO, "t1"), ("s2", Role.STO, "t1")] + [
        (f"l{i}", Role.LTO, None) for i in range(1, 4)
    ]
    keys = {p: private_key_from_seed(f"phone/{p}".encode()) for p, _, _ in people}
    regs = [sig.registration(mkey, "m1", p, r.value, t, keys[p]) for p, r, t in people]
    assert all(r.index is not None for r in record_many(db, eid, "observer-registration", regs))
    return mkey, keys


def test_the_same_signed_submission_twice_is_logged_once(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    _, keys = _mission(db, sim)
    station = sorted(s for ids in election_strata(sim.election).values() for s in ids)[0]
    obs = sig.observation(keys["s1"], "m1", "s1", station, "incident",
                          {"answers": {"time": "10:00", "category": "other", "description": "x"}})  # fmt: skip
    first = record(db, eid, "observation", obs)
    size = len(log_entries(db, eid))
    again = record(db, eid, "observation", obs)
    both = record_many(db, eid, "observation", [obs, obs])
    assert first.index is not None and not first.duplicate
    assert (again.index, again.duplicate) == (first.index, True)
    assert [(r.index, r.duplicate) for r in both] == [(first.index, True)] * 2
    assert len(log_entries(db, eid)) == size  # nothing appended, not even a rejection
    # The same signature over other fields is no resend: refused, kept as evidence.
    altered = record(db, eid, "observation", {**obs, "station": station + "0"})
    assert altered.index is None and "signature" in altered.refused[0]
    size += 1
    # Signed again (another moment): another submission, logged.
    other = sig.observation(keys["s1"], "m1", "s1", station, "incident",
                            {"answers": {"time": "10:00", "category": "other", "description": "y"}})  # fmt: skip
    assert record(db, eid, "observation", other).index == size
    # A copy an operator appends past the service: the replay names it.
    with db.session() as s:
        [dup] = append_entries(s, eid, [{**obs, "kind": "observation", "election": eid}])
    problems = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid)).problems
    assert problems == [
        f"log entry {dup}: observation: the same signed submission is already log entry "
        f"{first.index}"
    ]


def test_a_change_of_station_is_signed_recorded_and_counted(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, keys = _mission(db, sim)
    plan = draw("seed", ["t1"], election_strata(sim.election), 2)
    assert record(db, eid, "deployment-plan", sig.plan_entry(mkey, "m1", plan)).index  # type: ignore[arg-type]
    a, b = plan.assignments["t1"]
    c = next(s for ids in election_strata(sim.election).values() for s in ids if s not in (a, b))
    refusals = {
        "same": sig.station_change(keys["s1"], "m1", "s1", a, a, "no reason"),
        "unknown": sig.station_change(keys["s1"], "m1", "s1", a, "nowhere", "lost"),
        "forged": sig.station_change(keys["s2"], "m1", "s1", a, c, "forged by s2"),
        "no-reason": sig.station_change(keys["s1"], "m1", "s1", a, c, ""),
    }
    reasons = {k: record(db, eid, "station-change", v).refused for k, v in refusals.items()}
    assert "two different stations" in reasons["same"][0]
    assert "no station 'nowhere'" in reasons["unknown"][0]
    assert "signature" in reasons["forged"][0]
    assert "reason" in reasons["no-reason"][0]
    move = sig.station_change(keys["s1"], "m1", "s1", b, c, "The station moved to the school.")
    assert record(db, eid, "station-change", move).index is not None
    content = {"answers": {"time": "10:00", "category": "other", "description": "arrived"}}
    for station in (a, c):
        assert record(db, eid, "observation",
                      sig.observation(keys["s1"], "m1", "s1", station, "incident", content)).index  # fmt: skip
    [cov] = mission_coverage(db, eid)
    # The plan as carried out is {a, c}: both visited; b is not counted as missed.
    assert (cov.planned, cov.visited, cov.visited_planned) == (2, 2, 2)
    assert cov.moves == (f"t1: {b} → {c} ({move['at'][:16]}): The station moved to the school.",)
    assert replay(log_entries(db, eid), definition(db, eid), evidence(db, eid)).problems == []


def test_lto_areas_recorded_by_the_mission_and_redrawn(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, keys = _mission(db, sim)
    regions = sorted(h for h in election_strata(sim.election) if h != "abroad")
    ltos = ["l1", "l2", "l3"]
    drawn = lto_draw("lto-seed", ltos, regions)
    # Every region covered; with fewer LTOs than regions each LTO takes one or more.
    assert sorted(r for rs in drawn.values() for r in rs) == regions
    bad = {
        "sto": sig.lto_areas(mkey, "m1", {"s1": [regions[0]]}),  # type: ignore[arg-type]
        "region": sig.lto_areas(mkey, "m1", {"l1": ["atlantis"]}),  # type: ignore[arg-type]
        "not-the-draw": sig.lto_areas(mkey, "m1", {**drawn, "l1": list(drawn["l2"])}, "lto-seed"),  # type: ignore[arg-type]
        "not-the-mission": sig.lto_areas(keys["l1"], "m1", {"l1": [regions[0]]}),  # type: ignore[arg-type]
    }
    reasons = {k: record(db, eid, "lto-areas", v).refused for k, v in bad.items()}
    assert "not a long-term observer" in reasons["sto"][0]
    assert "no region atlantis" in reasons["region"][0]
    assert "not their seed's draw" in reasons["not-the-draw"][0]
    assert "signature" in reasons["not-the-mission"][0]
    assert record(db, eid, "lto-areas", sig.lto_areas(mkey, "m1", drawn, "lto-seed")).index  # type: ignore[arg-type]
    # A later assignment by hand (no seed) replaces it: the latest is the one shown.
    by_hand = sig.lto_areas(mkey, "m1", {"l1": regions[:2], "l2": regions[2:]})  # type: ignore[arg-type]
    assert record(db, eid, "lto-areas", by_hand).index is not None
    [cov] = mission_coverage(db, eid)
    assert cov.lto_areas == {"l1": regions[:2], "l2": regions[2:]}
    assert read_observers(db, eid).areas["m1"].seed is None
    assert replay(log_entries(db, eid), definition(db, eid), evidence(db, eid)).problems == []


def test_lto_draw_rules() -> None:
    """More LTOs than regions: each LTO one region, every region at least one LTO."""
    regions = [f"r{i}" for i in range(9)]
    ltos = [f"lto-{i:02}" for i in range(1, 31)]
    drawn = lto_draw("s", ltos, regions)
    assert all(len(v) == 1 for v in drawn.values())
    per_region = {r: sum(1 for v in drawn.values() if v == (r,)) for r in regions}
    assert set(per_region.values()) == {3, 4} and sum(per_region.values()) == 30
    assert lto_draw("s", ltos, regions) == drawn and lto_draw("t", ltos, regions) != drawn
    with pytest.raises(ObserverError):
        lto_draw("", ltos, regions)


def test_the_inbox_keeps_sealed_items_once_for_an_accredited_mission(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, _ = _mission(db, sim)
    sealed = seal(montgomery_public(bytes.fromhex(_raw_pub(mkey))), b'{"content": "x"}')
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        url = f"/api/elections/{eid}/missions/m1/inbox"
        first, second = http.post(url, content=sealed), http.post(url, content=sealed)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json() == {
            "stored": True, "sha256": hashlib.sha256(sealed).hexdigest()
        }  # fmt: skip
        assert (
            http.post(f"/api/elections/{eid}/missions/nobody/inbox", content=sealed).status_code
            == 404
        )
        short = http.post(url, content=b"too short")
        assert short.status_code == 422 and "60 bytes" in short.json()["reasons"][0]
        assert http.get(f"/api/elections/{eid}/missions/m1/photos/{'0' * 64}").status_code == 404
    from achyk.store.models import MissionInboxRow

    with db.read() as s:
        assert s.query(MissionInboxRow).filter_by(election_id=eid).count() == 1
        # the two refusals are kept as evidence: a rejection on the log, the bytes in the store
        from achyk.store.models import RejectionRow

        kept = s.query(RejectionRow).filter_by(election_id=eid).order_by(RejectionRow.id).all()
        inbox = [r for r in kept if r.source.startswith("inbox of mission")]
        assert [r.source for r in inbox] == ["inbox of mission nobody", "inbox of mission m1"]
        assert bytes(inbox[0].raw) == sealed and bytes(inbox[1].raw) == b"too short"
        assert "no accredited mission" in inbox[0].reasons and "60 bytes" in inbox[1].reasons


def _raw_pub(key: object) -> str:
    import base64

    return base64.b64decode(public_key_b64(key)).hex()  # type: ignore[arg-type]


def test_sealing_opens_only_with_the_missions_key() -> None:
    mission = private_key_from_seed(b"mission")
    pub = bytes.fromhex(_raw_pub(mission))
    # The birational map of RFC 7748 §4.1 agrees with the X25519 key of the Ed25519 seed.
    x_pub = montgomery_secret(mission).public_key().public_bytes_raw()
    assert montgomery_public(pub) == x_pub
    box = seal(pub, "ключ не нужен".encode())
    assert unseal(mission, box).decode() == "ключ не нужен"
    with pytest.raises(ObserverError, match="not sealed to this mission"):
        unseal(private_key_from_seed(b"another"), box)
    with pytest.raises(ObserverError, match="not sealed to this mission"):
        unseal(mission, box[:-1] + bytes([box[-1] ^ 1]))


def test_photo_metadata_is_stripped_and_the_pixels_kept() -> None:
    # A real JPEG with EXIF (the phone's model and a GPS position), written by Pillow.
    image = Image.new("RGB", (16, 8), (200, 30, 40))
    exif = Image.Exif()
    exif[0x0110] = "Phone Model X"  # Model
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 28.0)}  # GPSInfo
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes(), comment=b"taken at the station")
    original = buf.getvalue()
    assert b"Phone Model X" in original and b"Exif" in original
    stripped = strip_metadata(original)
    assert b"Phone Model X" not in stripped and b"Exif" not in stripped
    assert b"taken at the station" not in stripped
    reopened = Image.open(io.BytesIO(stripped))
    assert not reopened.getexif() and reopened.size == (16, 8)
    assert reopened.tobytes() == Image.open(io.BytesIO(original)).tobytes()  # same pixels
    # PNG: text chunks go, the image data stay byte for byte.
    raw = b"\x00" + b"\x10\x20\x30"

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat, end = chunk(b"IDAT", zlib.compress(raw)), chunk(b"IEND", b"")
    png = b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"tEXt", b"GPS\x0042.87,74.57") + idat + end
    assert strip_metadata(png) == b"\x89PNG\r\n\x1a\n" + ihdr + idat + end
    for bad in (b"GIF89a....", original[:40], png[:30]):
        with pytest.raises(ObserverError):
            strip_metadata(bad)


def test_the_api_answers_a_resent_submission_with_its_first_entry(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    _, keys = _mission(db, sim)
    station = sorted(s for ids in election_strata(sim.election).values() for s in ids)[0]
    obs = sig.observation(keys["s2"], "m1", "s2", station, "incident",
                          {"answers": {"time": "10:00", "category": "secrecy", "description": "z"}})  # fmt: skip
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        url = f"/api/elections/{eid}/observers/observation"
        first = http.post(url, json=obs).json()
        second = http.post(
            url, content=json.dumps(obs), headers={"Content-Type": "application/json"}
        ).json()
    assert first[0]["accepted"] and not first[0]["duplicate"]
    assert second == [{**first[0], "duplicate": True}]


@pytest.mark.parametrize("lang", ["ru", "ky", "kk"])
def test_every_string_of_the_phone_page_is_translated(lang: str) -> None:
    """The page's own words, its forms' questions, choices and quality checks (all from the forms
    as data) have a translation in each language."""
    from achyk.observers.forms import STANDARD
    from achyk.web.i18n import translations
    from achyk.web.observe import CHOICE_LABELS, COPY_LABELS, FORM_NAMES, UI

    words = [*UI, *CHOICE_LABELS.values(), *FORM_NAMES.values(), *COPY_LABELS.values()]
    for form in STANDARD.values():
        words += [q.label for q in form.questions if q.id != "photos"]
        words += [c.message for c in form.checks]
    t = translations(lang)
    missing = [w for w in words if t.gettext(w) == w]
    assert missing == []
