"""Evidence published after the decision, redacted — on SQLite and PostgreSQL.

The photos are made and read back with Pillow (an implementation outside the project): the
published copy has no EXIF (a phone's GPS position and serial number) or PNG text, and decodes to
exactly the original's pixels. A video is withheld with its reason. `achyk verify` and the Go
verifier check that every decided complaint's evidence is published or withheld with a reason, and
that each published file is in the record under its hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.disputes.redaction import JPEG_NOTE, PNG_NOTE, WITHHELD, redact, released_path
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.publish import publish_record
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, body_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.disputes import check_released
from achyk.verify.record import verify_record
from achyk.verify.replay import replay
from replayed import definition, evidence, log_entries

Image = pytest.importorskip("PIL.Image")
PngInfo = pytest.importorskip("PIL.PngImagePlugin").PngInfo

GPS_IFD, GPS_LATITUDE = 0x8825, 2


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (16, 8), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    exif.get_ifd(GPS_IFD)[GPS_LATITUDE] = (42.0, 52.0, 30.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"taken by Aibek, +996 555 000 111")
    return out.getvalue()


def png_with_author() -> bytes:
    img = Image.new("RGB", (4, 4), (0, 90, 200))
    info = PngInfo()
    info.add_text("Author", "Aibek Asanov, +996 555 000 111")
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return bytes(img.convert("RGB").tobytes())


def test_photos_lose_their_metadata_and_keep_their_pixels() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as img:  # the phone's metadata is really there
        assert img.getexif()[0xA431] == "SERIAL-0042" and "comment" in img.info
    done = redact(original)
    assert done.note == JPEG_NOTE and done.content is not None
    with Image.open(io.BytesIO(done.content)) as img:
        assert dict(img.getexif()) == {} and "comment" not in img.info and "exif" not in img.info
    assert pixels(done.content) == pixels(original)
    assert b"SERIAL-0042" not in done.content and b"Aibek" not in done.content
    assert redact(done.content).content == done.content  # nothing left to take out

    png = png_with_author()
    done = redact(png)
    assert done.note == PNG_NOTE and done.content is not None and b"Aibek" not in done.content
    with Image.open(io.BytesIO(done.content)) as img:
        assert "Author" not in img.info
    assert pixels(done.content) == pixels(png)


def test_what_cannot_be_redacted_by_rule_is_withheld_with_its_reason() -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    assert redact(video).content is None and redact(video).note == WITHHELD
    truncated = jpeg_with_gps()[:40]
    cut = redact(truncated)
    assert cut.content is None and "malformed photo is withheld" in cut.note
    broken_png = bytearray(png_with_author())
    broken_png[40] ^= 0xFF  # a bit flipped inside a chunk: its CRC fails
    assert redact(bytes(broken_png)).content is None


@pytest.fixture
def decided(db: Database, tmp_path: Path) -> tuple[Database, SimElection, int, Path]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    station = next(iter(sim.election.stations())).station.id
    place = sim.election.place(station)
    assert place is not None
    photo, video = jpeg_with_gps(), b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    filed = file_complaint(db, eid, {
        "filer": "observer", "subject": "station", "station": station, "category": "pressure",
        "facts": "Voters were told whom to vote for.", "body": "territorial",
    }, [("entrance.jpg", "image/jpeg", photo), ("entrance.mp4", "video/mp4", video)]).index  # fmt: skip
    assert filed is not None
    tec = f"tec-{place.region_id}"
    for status, extra in (
        (Status.REGISTERED, {}),
        (Status.DECIDED, {"decision": Decision.DISMISS}),
    ):
        env = signed_step(body_key(SMALL, tec), eid, tec, filed, status, "heard",
                          **extra)  # type: ignore[arg-type]  # fmt: skip
        assert record_step(db, eid, env).index is not None
    record = tmp_path / "record"
    publish_record(db, eid, record)
    return db, sim, filed, record


def test_a_decided_complaint_s_evidence_is_released_and_verified(
    decided: tuple[Database, SimElection, int, Path],
) -> None:
    db, sim, filed, record = decided
    entries = [json.loads(e) for e in log_entries(db, sim.election.id)]
    [release] = [e for e in entries if e["kind"] == "evidence-release"]
    photo_hash, video_hash = entries[filed]["evidence"]
    assert release["complaint"] == filed
    first, second = release["files"]
    assert first["original_sha256"] == photo_hash and first["note"] == JPEG_NOTE
    assert second == {"original_sha256": video_hash, "published_sha256": None, "note": WITHHELD}
    published = (record / released_path(first["published_sha256"])).read_bytes()
    assert hashlib.sha256(published).hexdigest() == first["published_sha256"] != photo_hash
    assert b"SERIAL-0042" not in published
    report = verify_record(str(record))
    assert report.ok, [c for c in report.checks if not c[1]]
    assert ("complaints: decided evidence published (redacted) or withheld with a reason", True,
            "1 complaints released, 1 files published") in report.checks  # fmt: skip


def test_verify_catches_a_missing_file_and_an_unreleased_decision(
    decided: tuple[Database, SimElection, int, Path], tmp_path: Path
) -> None:
    db, sim, filed, record = decided
    missing = tmp_path / "missing"
    shutil.copytree(record, missing)
    for f in (missing / "complaints" / "evidence").iterdir():
        f.unlink()
    failed = [c for c in verify_record(str(missing)).checks if not c[1]]
    assert any("complaints/evidence/" in d and "missing" in d for _, _, d in failed), failed

    # an operator's log where the decision is taken but the evidence never released
    entries = [e for e in log_entries(db, sim.election.id) if b'"evidence-release"' not in e]
    state = replay(entries, definition(db, sim.election.id), evidence(db, sim.election.id))
    problems, _ = check_released(state.disputes, lambda p: (record / p).read_bytes())
    assert problems == [f"complaint {filed} is decided but its evidence is neither published nor "
                        "withheld with a reason (no evidence-release entry)"]  # fmt: skip
    # and a release moved before the decision is refused by the fold
    before = log_entries(db, sim.election.id)
    release = next(e for e in before if b'"evidence-release"' in e)
    moved = before[: filed + 1] + [release] + [e for e in before[filed + 1 :] if e != release]
    state = replay(moved, definition(db, sim.election.id), evidence(db, sim.election.id))
    assert any(f"complaint {filed} is released before it is decided" in p
               for p in state.problems), state.problems  # fmt: skip
