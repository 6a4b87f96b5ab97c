"""Pages show only what an election has: its sections, its figures ("—" where none exists), its
protocol form's line numbers and the anomalies the form flags."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.formats.definition import election_from_document, election_to_document
from achyk.services.elections import load_election
from achyk.services.protocols import submit_protocol
from achyk.store.database import Database
from factories import election, envelope, protocol_doc


def open_db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path / 'web.db'}")


def get(db: Database, path: str) -> str:
    client = TestClient(create_app(db=db), cookies={"achyk_lang": "en"})
    return client.get(path, headers={"Accept-Language": "en"}).text


def test_no_abroad_or_tracking_links_for_an_election_without_them(tmp_path: Path) -> None:
    home_only = replace(election(), regions=election().regions[:2])
    assert not home_only.has_abroad and not home_only.has_remote and election().has_abroad
    db = open_db(tmp_path)
    load_election(db, home_only)
    page = get(db, "/e/test-2025/")
    assert ">Overview<" in page and ">Verify<" in page
    assert ">Abroad<" not in page and "Tracking code" not in page


def test_abroad_link_where_there_are_stations_abroad(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    load_election(db, election())
    page = get(db, "/e/test-2025/")
    assert ">Abroad<" in page and "Tracking code" not in page  # no remote voting here


def test_no_scanner_count_shows_a_dash_not_zero(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    load_election(db, election())
    submit_protocol(db, None, envelope(protocol_doc(kind="official")), "hand count only")
    page = get(db, "/e/test-2025/")
    table = page[page.index('<table class="results"') :]
    row = table[table.index('data-option="a"') :].split("</tr>")[0]
    cells = re.findall(r'<td class="n[^"]*"[^>]*>([^<]*)', row)
    assert cells[0] == "300"  # votes
    assert cells[-3:] == ["—", "300", "—"]  # scanner: none; hand count: 300; no difference
    api = TestClient(create_app(db=db)).get("/api/elections/test-2025/results").json()
    a = next(o for o in api[0]["options"] if o["option"] == "a")
    assert (a["votes"], a["scanner"], a["hand"]) == (300, None, 300)  # null, not 0


def test_station_page_numbers_lines_as_the_form_and_shows_flags(tmp_path: Path) -> None:
    doc = election_to_document(election())
    doc["form"] = "ru-duma"
    db = open_db(tmp_path)
    load_election(db, election_from_document(doc))
    protocol = protocol_doc(votes={"a": 510, "b": 305, "c": 150, "against-all": 10})
    protocol.update(form="ru-duma", voters_on_list=2000, ballots_received=1500, issued_early=30,
                    issued_in_station=900, issued_outside=50, cancelled=515, lost=7,
                    unaccounted=2, found_mobile=50, found_stationary=940, invalid=15,
                    valid=975)  # fmt: skip
    receipt = submit_protocol(db, None, envelope(protocol), "flagged")
    assert receipt.outcome.value == "accepted" and receipt.flags
    page = get(db, "/e/test-2025/station/1001/")
    assert "11. ballots lost" in page and "12. ballots not accounted for on receipt" in page
    assert "13. Party A" in page  # option lines follow the form's last line
    assert "Accepted and counted, but flagged" in page
    assert "line 7 50 + line 8 940 = 990 &gt; line 3 30 + line 4 900 + line 5 50 = 980" in page
    listed = TestClient(create_app(db=db)).get("/api/elections/test-2025/anomalies").json()
    assert listed["form"] == "ru-duma"
    assert [(a["station"], a["kind"], a["log_index"]) for a in listed["protocols"]] == [
        ("1001", "preliminary", receipt.log_index)
    ]
