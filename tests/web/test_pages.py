"""The results site over a simulated election: every page in every language, clean 404s, and open
data (CSV, JSON, NIST SP 1500-100) that matches the tabulation and the stored protocols.

The NIST export is validated against an excerpt of the published JSON schema (NIST SP 1500-100 V2,
usnistgov/ElectionResultsReporting, NIST_V2_election_results_reporting.json; see
nist_v2_schema_excerpt.json). Inclusion proofs on station pages are checked with RFC 9162 §2.1.3.2
against the root in the signed checkpoint.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.repositories import Protocols
from achyk.web.static_site import write_site
from web.jsonschema_lite import errors

EID = SMALL.election_id
# "Turnout" as each language's election vocabulary has it (CEC usage: явка / катышуу / келуі).
TURNOUT = {"ru": "Явка", "ky": "катышуу", "kk": "келуі", "en": "Turnout"}
SCHEMA = json.loads((Path(__file__).parent / "nist_v2_schema_excerpt.json").read_text())


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, SimElection]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    yield db, sim
    db.close()


@pytest.fixture(scope="module")
def client(loaded: tuple[Database, SimElection]) -> TestClient:
    return TestClient(create_app(db=loaded[0]))


def _pages(sim: SimElection) -> list[str]:
    e = sim.election
    paths = [f"/e/{EID}/", f"/e/{EID}/verify/", f"/e/{EID}/abroad/"]
    paths += [f"/e/{EID}/region/{r.id}/" for r in e.regions]
    paths += [f"/e/{EID}/district/{d.id}/" for r in e.regions for d in r.districts]
    paths += [f"/e/{EID}/country/{c}/" for c, _ in SMALL.countries]
    paths += [f"/e/{EID}/station/{sid}/" for sid in ("1001", "9001", sim.anomalies["broken"][0])]
    return paths


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_every_page_renders_in_every_language(
    client: TestClient, loaded: tuple[Database, SimElection], lang: str
) -> None:
    for path in _pages(loaded[1]):
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200, (path, r.text[:500])
        assert f'<html lang="{lang}">' in r.text, path
        assert '<main id="main"' in r.text and "<nav" in r.text
    overview = client.get(f"/e/{EID}/", params={"lang": lang}).text
    assert TURNOUT[lang] in overview


def test_language_choice_is_remembered_in_a_cookie(loaded: tuple[Database, SimElection]) -> None:
    c = TestClient(create_app(db=loaded[0]))
    assert '<html lang="ru">' in c.get(f"/e/{EID}/").text  # the default
    c.get(f"/e/{EID}/", params={"lang": "kk"})
    assert '<html lang="kk">' in c.get(f"/e/{EID}/region/north/").text
    fresh = TestClient(create_app(db=loaded[0]))
    assert '<html lang="en">' in fresh.get(f"/e/{EID}/", headers={"accept-language": "en-GB"}).text


@pytest.mark.parametrize(
    "path",
    [
        f"/e/{EID}/station/nope/",
        f"/e/{EID}/region/nope/",
        f"/e/{EID}/bogus/a/b/",
        "/e/no-such-election/",
        f"/e/{EID}/data/region/nope.csv",
        f"/e/{EID}/data/national.xml",
        "/static/../../etc/passwd",
    ],
)
def test_not_found_is_clean(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "Traceback" not in r.text
    if path.startswith("/e/") and "/data/" not in path:
        assert "<h1>" in r.text and "<html lang=" in r.text


def _values(html: str, field: str) -> list[str]:
    return re.findall(rf'data-field="{field}" data-value="([^"]*)"', html)


def test_overview_figures_equal_the_api(client: TestClient) -> None:
    html = client.get(f"/e/{EID}/", params={"lang": "en"}).text
    api = client.get(f"/api/elections/{EID}/results", params={"contest": "list"}).json()[0]
    table = html[html.index('<table class="results" data-contest="list"') :]
    table = table[: table.index("</table>")]
    shown = dict(
        re.findall(
            r'<tr data-option="([^"]+)">.*?data-field="votes" data-value="(\d+)"', table, re.S
        )
    )
    assert shown == {o["option"]: str(o["votes"]) for o in api["options"]}
    shares = _values(table, "share_pct")
    assert shares == [o["share_pct"] for o in api["options"]]
    summary = html[html.index('<dl class="figures" data-contest="list"') :]
    assert _values(summary, "turnout_pct")[0] == api["turnout_pct"]
    assert _values(summary, "stations_reported")[0] == str(api["stations_reported"])
    seats = client.get(f"/api/elections/{EID}/seats").json()[0]["seats"]
    assert {
        k: int(v)
        for k, v in re.findall(
            r'data-option="([^"]+)">.*?data-field="seats" data-value="(\d+)"', table, re.S
        )
    } == {k: v for k, v in seats.items()}


def _stored_counted(db: Database) -> dict[tuple[str, str], dict[str, object]]:
    """(station, contest) → the counted protocol document, read straight from the store."""
    out: dict[tuple[str, str], dict[str, object]] = {}
    with db.session() as s:
        docs = [json.loads(d) for d in Protocols(s).documents(EID)]
    for d in sorted(docs, key=lambda d: d["kind"] != "official"):  # official wins
        out.setdefault((d["station"], d["contest"]), d)
    return out


def test_csv_and_json_match_the_stored_protocols(
    client: TestClient, loaded: tuple[Database, SimElection]
) -> None:
    db, _ = loaded
    counted = _stored_counted(db)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/e/{EID}/data/station.csv").text)))
    assert rows and rows[0]["level"] == "station"
    for row in rows:
        doc = counted[(row["unit"], row["contest"])]
        assert int(row["votes"]) == doc["votes"][row["option"]]  # type: ignore[index]
        assert int(row["valid"]) == doc["valid"]
    # every level adds up to the same national votes, recomputed here from the documents
    national: dict[tuple[str, str], int] = defaultdict(int)
    for (_, contest), doc in counted.items():
        for option, n in doc["votes"].items():  # type: ignore[attr-defined]
            national[(contest, option)] += n
    for level in ("national", "region", "district", "station"):
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for row in csv.DictReader(io.StringIO(client.get(f"/e/{EID}/data/{level}.csv").text)):
            sums[(row["contest"], row["option"])] += int(row["votes"])
        assert sums == national, level
    # JSON at every level is the API's document for that level and unit
    for level, unit in (
        ("national", "national"),
        ("region", "south"),
        ("district", "d02"),
        ("station", "1001"),
        ("country", "TR"),
    ):
        data = client.get(f"/e/{EID}/data/{level}/{unit}.json").json()
        api = client.get(
            f"/api/elections/{EID}/results", params={"level": level, "unit": unit}
        ).json()
        assert data == api and data


def test_nist_report_is_valid_and_adds_up(
    client: TestClient, loaded: tuple[Database, SimElection]
) -> None:
    db, _ = loaded
    report = client.get(f"/e/{EID}/data/nist.json").json()
    assert errors(SCHEMA, report) == []
    units = {u["@id"] for u in report["GpUnit"]}
    parties = {p["@id"] for p in report["Party"]}
    election, tab = results(db, EID)
    [e] = report["Election"]
    candidates = {c["@id"] for c in e["Candidate"]}
    assert len(e["Contest"]) == len(election.contests)
    for contest_doc, contest in zip(e["Contest"], election.contests, strict=True):
        assert contest_doc["ElectoralDistrictId"] in units
        national = tab.national(contest.id)
        assert national is not None
        for sel in contest_doc["BallotSelection"]:
            refs = sel.get("PartyIds", []) + sel.get("CandidateIds", [])
            assert set(refs) <= parties | candidates
            option = sel["@id"].removeprefix(f"sel-{contest.id}-")
            assert all(vc["GpUnitId"] in units for vc in sel["VoteCounts"])
            assert sum(vc["Count"] for vc in sel["VoteCounts"]) == national.counted.votes_for(
                option
            )
        assert (
            sum(s["BallotsRejected"] for s in contest_doc["SummaryCounts"])
            == national.counted.invalid
        )
    # a broken document is caught: the validator is not a rubber stamp
    broken = json.loads(json.dumps(report))
    del broken["Election"][0]["Contest"][0]["BallotSelection"][0]["VoteCounts"][0]["Count"]
    broken["Status"] = "final"
    assert len(errors(SCHEMA, broken)) >= 2


def _find_differing_station(db: Database) -> tuple[str, str]:
    with db.session() as s:
        docs = [json.loads(d) for d in Protocols(s).documents(EID)]
    by_slot: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(dict)
    for d in docs:
        by_slot[(d["station"], d["contest"])][d["kind"]] = d["votes"]
    for (station, contest), kinds in sorted(by_slot.items()):
        if len(kinds) == 2 and kinds["official"] != kinds["preliminary"]:
            return station, contest
    raise AssertionError("the simulation has no hand count that differs")


def test_station_page_shows_differences_and_a_proof_that_verifies(
    client: TestClient, loaded: tuple[Database, SimElection]
) -> None:
    from achyk.ledger import leaf_hash, verify_inclusion
    from achyk.services import ledger

    db, _ = loaded
    station, contest = _find_differing_station(db)
    html = client.get(f"/e/{EID}/station/{station}/", params={"lang": "en"}).text
    section = html[html.index(f'id="h-p-{contest}"') :]
    assert 'class="differs"' in section[: section.index("</table>")]
    assert "≠" in section
    entry_index = int(
        re.search(r"Log entry</dt><dd>#(\d+) — <code class=\"hash\">([0-9a-f]{64})", section).group(
            1
        )
    )  # type: ignore[union-attr]
    entry_hash = re.search(
        r"Log entry</dt><dd>#\d+ — <code class=\"hash\">([0-9a-f]{64})", section
    ).group(1)  # type: ignore[union-attr]
    size = int(re.search(r"tree size (\d+)", section).group(1))  # type: ignore[union-attr]
    proof_html = section[section.index('<ol class="proof">') :]
    proof = re.findall(
        r"<li><code class=\"hash\">([0-9a-f]{64})</code></li>",
        proof_html[: proof_html.index("</ol>")],
    )
    text = ledger.entry(db, EID, entry_index)
    assert text is not None
    assert hashlib.sha256(text.encode()).hexdigest() == entry_hash
    checkpoint = ledger.latest_checkpoint(db, EID)
    assert checkpoint is not None
    _, cp_size, cp_root = checkpoint.split("\n")[:3]
    assert int(cp_size) == size
    verify_inclusion(
        leaf_hash(text.encode()),
        entry_index,
        size,
        [bytes.fromhex(h) for h in proof],
        base64.b64decode(cp_root),
    )
    verify_page = client.get(f"/e/{EID}/verify/").text
    assert cp_root in verify_page and "achyk verify" in verify_page


def test_the_wide_station_table_has_one_row_per_station_matching_its_protocols(
    client: TestClient, loaded: tuple[Database, SimElection]
) -> None:
    db, sim = loaded
    counted = _stored_counted(db)
    contest = sim.election.contests[0]
    answer = client.get(f"/e/{EID}/data/stations/{contest.id}.csv.gz")
    assert answer.headers["content-type"] == "application/gzip"
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(answer.content).decode())))
    expected = [p.station.id for p in sim.election.stations_in(contest)]
    assert [r["station"] for r in rows] == expected  # one row per station, none twice
    for row in rows:
        doc = counted.get((row["station"], contest.id))
        if doc is None:
            assert row["reported"] == "0" and row["counted_from"] == ""
            continue
        assert row["counted_from"] == doc["kind"]
        assert int(row["valid"]) == doc["valid"]
        for option, n in doc["votes"].items():  # type: ignore[attr-defined]
            assert int(row[option]) == n


def test_static_export_writes_every_page_and_the_same_data(
    client: TestClient, loaded: tuple[Database, SimElection], tmp_path: Path
) -> None:
    db, sim = loaded
    write_site(db, EID, tmp_path)
    for lang in ("ru", "ky", "kk", "en"):
        for path in _pages(sim):
            if "/station/" in path:  # one page per language, drawn from the district files
                path = f"/e/{EID}/station/"
            page = tmp_path / lang / path.lstrip("/") / "index.html"
            assert f'<html lang="{lang}">' in page.read_text("utf-8"), page
            assert "data-live=" not in page.read_text("utf-8")  # live updates need the server
    assert not (tmp_path / "en" / "e" / EID / "station" / "1001").exists()
    district = json.loads((tmp_path / "e" / EID / "data" / "protocols" / "d01.json").read_text())
    assert [s["id"] for s in district["stations"]] == [
        st.id for st in sim.election.regions[0].districts[0].stations
    ]
    html = (tmp_path / "ru" / "e" / EID / "district" / "d01" / "index.html").read_text("utf-8")
    assert f'href="/ru/e/{EID}/station/?s=1001&amp;d=d01"' in html
    for name in ("national.csv", "station.json", "region/north.csv", "station/1001.json"):
        assert (tmp_path / "e" / EID / "data" / name).read_text("utf-8") == client.get(
            f"/e/{EID}/data/{name}"
        ).text
    wide = tmp_path / "e" / EID / "data" / "stations" / "list.csv.gz"
    assert wide.read_bytes() == client.get(f"/e/{EID}/data/stations/list.csv.gz").content
    assert (tmp_path / "static" / "site.css").exists() and (tmp_path / "index.html").exists()
    html = (tmp_path / "ky" / "e" / EID / "index.html").read_text("utf-8")
    assert f'href="/ky/e/{EID}/region/north/"' in html and f'href="/en/e/{EID}/"' in html
