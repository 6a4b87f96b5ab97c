"""The static site's district files (issue 16): each station's protocols as the log gives them.

A generated election, with its complaints through to an annulment, is published (record and site);
its district files verify, and an edit of a vote, a document hash, a station's refusals, device
switches or annulment in one of them — with the manifest fixed to match, as an operator who edits
the site would — fails `achyk verify`, naming the file, the station and the field.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app as cli
from achyk.services.disputes.simulation import simulate_disputes
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record

CHECK = "every published file recomputed or in manifest.json; site figures from the log"
ANNULLED = generate(SMALL).anomalies["stuffing"][1]  # the station the simulated decision annuls


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stations")
    url = f"sqlite:///{base / 'db.sqlite'}"
    sim = generate(SMALL)
    db = Database.open(url)
    run_simulation(db, sim)
    assert simulate_disputes(db, sim).annulled == ANNULLED
    db.close()
    result = CliRunner().invoke(cli, ["publish", "--out", str(base / "record"), "--database", url])
    assert result.exit_code == 0, result.output
    return base / "record"


def district_path(record: Path, district: str) -> Path:
    return record / "site" / "e" / SMALL.election_id / "data" / "protocols" / f"{district}.json"


def edit(published: Path, tmp_path: Path, district: str, change: Any) -> str:
    """Copy the record, change one district file and fix its manifest hash; the check's text."""
    record = tmp_path / "r"
    shutil.copytree(published, record)
    path = district_path(record, district)
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    manifest = json.loads((record / "manifest.json").read_text())
    manifest["files"][path.relative_to(record).as_posix()] = hashlib.sha256(
        path.read_bytes()
    ).hexdigest()
    (record / "manifest.json").write_text(json.dumps(manifest))
    report = verify_record(str(record))
    return {name: detail for name, ok, detail in report.checks if not ok}.get(CHECK, "")


def test_district_files_verify_and_hold_every_station(published: Path) -> None:
    report = verify_record(str(published))
    assert report.ok, [c for c in report.checks if not c[1]]
    detail = dict((n, d) for n, _, d in report.checks)[CHECK]
    election = generate(SMALL).election
    districts = [d for r in election.regions for d in r.districts]
    assert f"{len(districts) + 1} station files recomputed" in detail  # and the station index
    for district in districts:
        doc = json.loads(district_path(published, district.id).read_text("utf-8"))
        assert [s["id"] for s in doc["stations"]] == [st.id for st in district.stations]
    doc = json.loads(district_path(published, "d01").read_text("utf-8"))
    first = doc["stations"][0]
    assert set(first["protocols"]["list"]) == {"preliminary", "official"}
    # the protocol's own bytes, as logged: its hash is the log entry's
    official = first["protocols"]["list"]["official"]
    bundle_entry = _log_entry(published, official["log_index"])
    assert hashlib.sha256(
        json.dumps(bundle_entry["protocol"], separators=(",", ":"), sort_keys=True,
                   ensure_ascii=False).encode()
    ).hexdigest() == official["document_hash"]  # fmt: skip
    assert official["signature"] == bundle_entry["signature"]  # the device's, as logged


def _log_entry(record: Path, index: int) -> dict[str, Any]:
    from achyk.ledger.tiles import TILE_WIDTH, decode_entry_bundle, tile_for

    size = json.loads((record / "record.json").read_text())["size"]
    tile = tile_for(0, index, size)
    data = (record / "log" / tile.entries_path).read_bytes()
    entry: dict[str, Any] = json.loads(decode_entry_bundle(data)[index % TILE_WIDTH])
    return entry


def test_an_edited_vote_fails_named(published: Path, tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["stations"][1]["protocols"]["list"]["official"]["votes"][0] += 100

    problems = edit(published, tmp_path, "d01", change)
    sid = json.loads(district_path(published, "d01").read_text())["stations"][1]["id"]
    assert f"data/protocols/d01.json: stations.station/{sid}.protocols.list.official.votes" in (
        problems
    )


def test_an_edited_hash_and_a_hidden_refusal_fail_named(published: Path, tmp_path: Path) -> None:
    refused = {
        d: [s["id"] for s in json.loads(district_path(published, d).read_text())["stations"]
            if s["rejections"]]
        for d in ("d01", "d02", "d03", "abroad")
    }  # fmt: skip
    district, stations = next((d, s) for d, s in refused.items() if s)

    def change(doc: dict[str, Any]) -> None:
        for s in doc["stations"]:
            s["rejections"] = []
        doc["stations"][0]["protocols"]["list"]["preliminary"]["document_hash"] = "0" * 64
        doc["stations"][0]["protocols"]["list"]["official"]["signature"] = "A" * 88

    problems = edit(published, tmp_path, district, change)
    assert f"stations.station/{stations[0]}.rejections: published []" in problems
    assert ".protocols.list.preliminary.document_hash: published '000" in problems
    assert ".protocols.list.official.signature: published 'AAA" in problems


def _station(record: Path, station: str) -> tuple[str, dict[str, Any]]:
    election = generate(SMALL).election
    place = election.place(station)
    assert place is not None
    doc = json.loads(district_path(record, place.district_id).read_text("utf-8"))
    return place.district_id, next(s for s in doc["stations"] if s["id"] == station)


def test_switches_and_the_annulment_are_the_logs(published: Path, tmp_path: Path) -> None:
    sim = generate(SMALL)
    for switch in sim.switches:  # as the simulation recorded them, each at its log entry
        _, st = _station(published, switch.station_id)
        (index, old, new, reason), *_ = st["switches"]
        assert (old, new, reason) == (switch.from_device, switch.to_device, switch.reason)
        assert _log_entry(published, index)["kind"] == "device-switch"
    district, annulled = _station(published, ANNULLED)
    annulment = annulled["annulment"]
    assert _log_entry(published, annulment["decision"])["decision"] == "annul"
    assert _log_entry(published, annulment["executed"])["status"] == "executed"
    assert annulment["body"] == next(
        a.name for a in sim.election.authorities if a.id == annulment["authority"]
    )
    _, untouched = _station(published, "1001")
    assert "switches" not in untouched and "annulment" not in untouched

    def hide(doc: dict[str, Any]) -> None:
        for s in doc["stations"]:
            s.pop("annulment", None)

    problems = edit(published, tmp_path / "annulment", district, hide)
    assert f"stations.station/{ANNULLED}.annulment" in problems
    switched = sim.switches[0].station_id
    place = sim.election.place(switched)
    assert place is not None

    def rename(doc: dict[str, Any]) -> None:
        for s in doc["stations"]:
            if s["id"] == switched:
                s["switches"][0][2] = "asu-forged"

    problems = edit(published, tmp_path / "switch", place.district_id, rename)
    assert f"stations.station/{switched}.switches" in problems


@pytest.mark.slow
def test_on_a_dask_cluster_the_station_files_fail_as_in_one_process(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a Dask cluster the district files, the stations' results and the fold of every station
    are checked a region per task on the workers (achyk.verify.regions): the report on an honest
    record, and on one with an edited vote, a hidden annulment and refusal in district files, an
    edited station figure in a region's results and an unreadable district file, is the one
    process's, check for check."""
    from achyk.verify import results_checks as verifying

    used: list[int] = []
    real = verifying.check_regions

    def counted(*args: Any) -> Any:
        used.append(1)
        return real(*args)

    monkeypatch.setattr(verifying, "check_regions", counted)
    honest = verify_record(str(published), scheduler="local:2")
    assert honest.ok and honest.checks == verify_record(str(published)).checks
    assert used == [1]  # (the workers' path, not the forked children's)
    record = tmp_path / "r"
    shutil.copytree(published, record)
    district, _ = _station(record, ANNULLED)
    path = district_path(record, district)
    doc = json.loads(path.read_text("utf-8"))
    for s in doc["stations"]:
        s.pop("annulment", None)
        s["rejections"] = []
    doc["stations"][1]["protocols"]["list"]["official"]["votes"][0] += 100
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    broken = district_path(record, "d02" if district != "d02" else "d03")
    broken.write_text(broken.read_text("utf-8")[:-10], "utf-8")
    stations = sorted((record / "results" / "stations").glob("*.json"))[1]
    figures = json.loads(stations.read_text())
    contest = next(iter(figures["contests"].values()))
    contest[next(iter(contest))]["counted"]["issued"] += 7
    stations.write_text(json.dumps(figures))
    manifest = json.loads((record / "manifest.json").read_text())
    for edited in (path, broken, stations):
        name = edited.relative_to(record).as_posix()
        manifest["files"][name] = hashlib.sha256(edited.read_bytes()).hexdigest()
    (record / "manifest.json").write_text(json.dumps(manifest))
    serial = verify_record(str(record))
    failed = {n: d for n, ok, d in serial.checks if not ok}
    assert f"stations.station/{ANNULLED}.annulment" in failed[CHECK]
    if any(
        s["rejections"]
        for s in json.loads(district_path(published, district).read_text())["stations"]
    ):
        assert ".rejections: published []" in failed[CHECK]
    assert ".protocols.list.official.votes" in failed[CHECK]
    assert f"{broken.name}: unreadable: JSONDecodeError" in failed[CHECK]
    assert (
        f"results/stations/{stations.stem}.json: contests."
        in failed["published results and seats recomputed from the log"]
    )
    assert verify_record(str(record), scheduler="local:2").checks == serial.checks
    assert used == [1, 1]
