"""The "scanner versus hand count" page at every level, in every language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocol
from achyk.store.database import Database
from factories import election, envelope, protocol_doc

TITLE = {"ru": "Сканер и ручной подсчёт", "ky": "Сканер жана кол менен эсептөө",
         "kk": "Сканер және қолмен санау", "en": "Scanner versus hand count"}  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('paper') / 'achyk.db'}")
    load_election(db, election())
    for station in ("1001", "1002", "2001"):
        assert (
            submit_protocol(db, None, envelope(protocol_doc(station)), station).outcome
            is Outcome.ACCEPTED
        )
    # station 1002's commission counts 150 for a and 350 for b where the scanner read 300 / 200
    hand = protocol_doc(
        "1002", kind="official", votes={"a": 150, "b": 350, "c": 80, "against-all": 10}
    )
    assert submit_protocol(db, None, envelope(hand), "hand").outcome is Outcome.ACCEPTED
    return TestClient(create_app(db=db))


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_the_page_renders_at_every_level(client: TestClient, lang: str) -> None:
    for path in [
        "paper/",
        "paper/region/north/",
        "paper/district/n1/",
        "paper/region/south/",
        "paper/abroad/",
        "paper/country/RU/",
    ]:
        r = client.get(f"/e/test-2025/{path}", params={"lang": lang})
        assert r.status_code == 200, (path, r.text[:300])
        assert TITLE[lang] in r.text
    # the unit pages link to it
    assert (
        "paper/region/north/"
        in client.get("/e/test-2025/region/north/", params={"lang": lang}).text
    )


def test_the_station_outside_tolerance_and_the_seats_by_each_count(client: TestClient) -> None:
    national = client.get("/e/test-2025/paper/", params={"lang": "en"}).text
    assert "/station/1002/" in national and "votes:a" in national
    assert "Seats by each count" in national
    north = client.get("/e/test-2025/paper/region/north/", params={"lang": "en"}).text
    assert "/station/1002/" in north
    south = client.get("/e/test-2025/paper/region/south/", params={"lang": "en"}).text
    assert "/station/1002/" not in south and "No station is outside tolerance." in south


def test_unknown_paper_pages_are_not_found(client: TestClient) -> None:
    assert client.get("/e/test-2025/paper/region/nowhere/").status_code == 404
    assert client.get("/e/test-2025/paper/planet/mars/").status_code == 404
