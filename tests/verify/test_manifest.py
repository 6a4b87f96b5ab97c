"""Every published file is verified (issue 11, "Why" 5): the site's CSV, JSON and NIST 1500-100
files edited (+1,000 votes), with or without the manifest edited to match, fail, named; so do an
unlisted extra file and a missing manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app as cli
from achyk.verify.record import Report, verify_record
from factories import simulated_small

CHECK = "every published file recomputed or in manifest.json; site figures from the log"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    url = simulated_small(base)
    result = CliRunner().invoke(cli, ["publish", "--out", str(base / "record"), "--database", url])
    assert result.exit_code == 0, result.output
    return base / "record"


def problems(record: Path) -> str:
    report: Report = verify_record(str(record))
    return {n: d for n, ok, d in report.checks if not ok}.get(CHECK, "")


def copy(published: Path, tmp_path: Path) -> Path:
    shutil.copytree(published, tmp_path / "r")
    return tmp_path / "r"


def data_dir(record: Path) -> Path:
    return next((record / "site" / "e").iterdir()) / "data"


def relist(record: Path, path: Path) -> None:
    """The operator also fixes the manifest's hash of the file it edited."""
    manifest = json.loads((record / "manifest.json").read_text())
    rel = path.relative_to(record).as_posix()
    manifest["files"][rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    (record / "manifest.json").write_text(json.dumps(manifest))


def test_the_published_site_verifies(published: Path) -> None:
    report = verify_record(str(published))
    assert report.ok, [c for c in report.checks if not c[1]]
    manifest = json.loads((published / "manifest.json").read_text())
    assert any(p.endswith("/data/national.csv") for p in manifest["files"])


@pytest.mark.parametrize("relisted", [False, True])
def test_edited_csv_json_and_nist_fail(published: Path, tmp_path: Path, relisted: bool) -> None:
    record = copy(published, tmp_path)
    data = data_dir(record)
    csv_file = data / "national.csv"
    lines = csv_file.read_text().splitlines()
    cols = lines[0].split(",")
    row = lines[1].split(",")
    row[cols.index("votes")] = str(int(row[cols.index("votes")]) + 1000)
    csv_file.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    json_file = data / "region.json"
    rows = json.loads(json_file.read_text())
    rows[0]["options"][0]["votes"] += 1000
    json_file.write_text(json.dumps(rows))
    nist = data / "nist.json"
    text = nist.read_text()
    doc = json.loads(text)
    count = next(
        vc for c in doc["Election"][0]["Contest"] for s in c.get("BallotSelection", [])
        for vc in s.get("VoteCounts", [])
    )  # fmt: skip
    count["Count"] += 1000
    nist.write_text(json.dumps(doc))
    if relisted:
        for f in (csv_file, json_file, nist):
            relist(record, f)
    found = problems(record)
    for f in ("national.csv", "region.json", "nist.json"):
        assert f"/data/{f}" in found, (f, found)
    if relisted:
        assert "the log gives" in found and "NIST SP 1500-100" in found
    else:
        assert "is not the manifest's" in found


def test_unlisted_and_missing_files_fail(published: Path, tmp_path: Path) -> None:
    record = copy(published, tmp_path)
    (record / "site" / "extra.html").write_text("<p>turnout 99%</p>")
    page = next((record / "site").rglob("index.html"))
    page.unlink()
    found = problems(record)
    assert "site/extra.html: neither recomputed by verify nor listed" in found
    assert (
        f"{page.relative_to(record).as_posix()}: listed in manifest.json but not published" in found
    )
    (record / "manifest.json").unlink()
    assert "manifest.json is missing" in problems(record)


def test_checks_forked_beside_the_main_one_give_the_serial_report(
    published: Path, tmp_path: Path
) -> None:
    """With two processes the manifest is hashed, and the district files recomputed, in forked
    children (achyk.verify.forked), and the protocols let go as they are folded: the report on
    an honest record and on a tampered one (an edited CSV, an unlisted page, a missing page, an
    edited district file) is the serial one, check for check."""
    assert verify_record(str(published), workers=2).checks == verify_record(str(published)).checks
    record = copy(published, tmp_path)
    csv_file = data_dir(record) / "national.csv"
    csv_file.write_text(csv_file.read_text().replace(",", ";", 3))
    (record / "site" / "extra.html").write_text("<p>turnout 99%</p>")
    next((record / "site").rglob("index.html")).unlink()
    district = next((data_dir(record) / "protocols").glob("d*.json"))
    doc = json.loads(district.read_text())
    doc["stations"][0]["registered_voters"] += 1
    district.write_text(json.dumps(doc))
    relist(record, district)
    serial = verify_record(str(record))
    found = {n: d for n, ok, d in serial.checks if not ok}[CHECK]
    assert "extra.html" in found and "national.csv" in found and "registered_voters" in found
    assert verify_record(str(record), workers=2).checks == serial.checks
