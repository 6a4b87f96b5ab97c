"""Annulled stations and certifications that wait, by both verifiers: a record whose station 1001
was annulled by an executed decision, with a challenge still pending, passes both; results that
still count the annulled station, a log whose executing step was dropped while the results still
leave the station out, and seats certified final while the challenge is pending fail both."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.disputes.rules import KZ
from achyk.domain.definition import Authority
from achyk.domain.published import results_document
from achyk.domain.tabulation import tabulate
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocols
from achyk.services.publish import publish_record
from achyk.services.results import accepted_protocols
from achyk.signing import public_key_b64
from achyk.store.database import Database
from achyk.verify.record import verify_record
from factories import device_key, election, envelope, protocol_doc
from go_verifier import entries_of, forget_history, log_secret, rebuild, run_go


def _png() -> bytes:
    """A 1 × 1 PNG with a tEXt chunk naming a person, built from the PNG specification."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Author\x00Aibek Asanov") + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
            + chunk(b"IEND", b""))  # fmt: skip


PNG = _png()
TEC = Authority("tec-north", "TEC North", public_key_b64(device_key("tec-north")),
                "territorial", "north")  # fmt: skip


@pytest.fixture(scope="module")
def annulled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, object]]:
    base = tmp_path_factory.mktemp("annulled")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    # with its own clock (`disputes:`, the KZ preset with five days to decide): Go accepts it too
    rules = replace(KZ, decide_days=5)
    e = replace(election(), authorities=(*election().authorities, TEC), dispute_rules=rules)
    load_election(db, e)
    subs = [(s, envelope(protocol_doc(station=s))) for s in ("1001", "1002", "2001", "9001")]
    assert all(r.outcome is Outcome.ACCEPTED for r in submit_protocols(db, e.id, subs))

    def complaint(station: str) -> int:
        filed = file_complaint(db, e.id, {
            "filer": "party", "subject": "station", "station": station, "category": "counting",
            "facts": "The count was not shown to observers.", "body": "territorial",
        }, [("count.png", "image/png", PNG), ("count.mp4", "video/mp4", b"ftypmp42")]).index  # fmt: skip
        assert filed is not None
        return filed

    def step(c: int, status: Status, **extra: object) -> None:
        env = signed_step(device_key("tec-north"), e.id, "tec-north", c, status, "reasons",
                          **extra)  # type: ignore[arg-type]  # fmt: skip
        assert record_step(db, e.id, env).index is not None

    first = complaint("1001")
    step(first, Status.REGISTERED)
    step(first, Status.DECIDED, decision=Decision.ANNUL)
    step(first, Status.EXECUTED)
    step(complaint("1002"), Status.REGISTERED)  # pending: the certification waits
    publish_record(db, e.id, base / "record")
    whole = results_document(e, tabulate(e, accepted_protocols(db, e.id)))
    return base / "record", log_secret(db, e.id), whole


def counts_the_annulled_station(record: Path, _: str, whole: dict[str, object]) -> None:
    (record / "results.json").write_text(json.dumps(whole))


def execution_dropped(record: Path, secret: str, _: dict[str, object]) -> None:
    """The log cut before the step executing the annulment; the results still leave 1001 out."""
    entries = entries_of(record)
    at = next(i for i, e in enumerate(entries) if b'"status":"executed"' in e)
    rebuild(record, entries[:at], secret)
    forget_history(record)


def certified_while_pending(record: Path, _: str, __: dict[str, object]) -> None:
    doc = json.loads((record / "results.json").read_text())
    doc["seats"]["list"]["status"] = "final"
    del doc["seats"]["list"]["reason"]
    (record / "results.json").write_text(json.dumps(doc))


def released_file_removed(record: Path, _: str, __: dict[str, object]) -> None:
    """The redacted photo removed, and from manifest.json too: only the release check sees it."""
    for f in (record / "complaints" / "evidence").iterdir():
        f.unlink()
    manifest = json.loads((record / "manifest.json").read_text())
    manifest["files"] = {p: h for p, h in manifest["files"].items()
                         if not p.startswith("complaints/")}  # fmt: skip
    (record / "manifest.json").write_text(json.dumps(manifest))


CASES: list[Callable[[Path, str, dict[str, object]], None]] = [
    counts_the_annulled_station, execution_dropped, certified_while_pending,
    released_file_removed,
]  # fmt: skip
CHECK = {"released_file_removed": "complaints: decided evidence published (redacted) or withheld "
                                  "with a reason"}  # fmt: skip
GO_SAYS = {
    "released_file_removed": "missing",
    "counts_the_annulled_station": "annulled: recomputed",
    "execution_dropped": "annulled: published but not recomputed",
    "certified_while_pending": "seats.list.status: published",
}


def test_both_verifiers_pass_an_annulment_and_a_waiting_certification(
    go_verifier: Path, annulled: tuple[Path, str, dict[str, object]]
) -> None:
    doc = json.loads((annulled[0] / "results.json").read_text())
    assert doc["seats"]["list"]["status"] == "waiting" and "1001" in doc["annulled"]
    assert b"Aibek" not in b"".join(
        f.read_bytes() for f in (annulled[0] / "complaints" / "evidence").iterdir()
    )
    definition = json.loads((annulled[0] / "definition.json").read_text())
    assert definition["disputes"]["preset"] == "kz" and definition["disputes"]["decide_days"] == 5
    out = run_go(go_verifier, str(annulled[0]))
    assert out.returncode == 0, out.stdout
    assert verify_record(str(annulled[0])).ok


@pytest.mark.parametrize("tamper", CASES, ids=lambda f: f.__name__)
def test_both_verifiers_fail_a_tampered_annulment(
    go_verifier: Path, annulled: tuple[Path, str, dict[str, object]], tmp_path: Path,
    tamper: Callable[[Path, str, dict[str, object]], None],
) -> None:  # fmt: skip
    record = tmp_path / "record"
    shutil.copytree(annulled[0], record)
    tamper(record, annulled[1], annulled[2])
    failed = [c for c in verify_record(str(record)).checks if not c[1]]
    check = CHECK.get(tamper.__name__, "published results and seats recomputed from the log")
    assert [n for n, _, _ in failed] == [check], failed
    assert GO_SAYS[tamper.__name__] in failed[0][2], failed[0][2]
    go = run_go(go_verifier, str(record))
    assert go.returncode == 1, go.stdout + go.stderr
    assert GO_SAYS[tamper.__name__] in go.stdout, go.stdout
