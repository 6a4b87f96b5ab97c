"""Finding a polling station by number, name, address, city or host country, in every language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.elections import load_election
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.web.search import search_stations


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('search') / 'achyk.db'}")
    load_election(db, generate(SMALL).election)  # search needs no protocols: election morning too
    yield TestClient(create_app(db=db))
    db.close()


def _ids(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]*station/([^"]+)">', page)


def test_by_number_address_and_country_name(client: TestClient) -> None:
    url = f"/e/{SMALL.election_id}/search"
    assert _ids(client.get(url, params={"q": "1001", "lang": "en"}).text) == ["1001"]
    # host countries by the reader's own name for them (CLDR): Turkey is Турция, Түркия, Türkiye
    for lang, name in (("ru", "Турция"), ("ky", "Түркия"), ("kk", "Түркия"), ("en", "türkiye")):
        found = _ids(client.get(url, params={"q": name, "lang": lang}).text)
        assert len(found) == 1, (lang, found)
    # every word must match: the region's name and a school number
    north = client.get(url, params={"q": "North school", "lang": "en"}).text
    assert _ids(north) and "stations found" in north
    nothing = client.get(url, params={"q": "no-such-place", "lang": "en"}).text
    assert _ids(nothing) == [] and "0 stations found" in nothing


def test_long_queries_and_the_cap() -> None:
    election = generate(SMALL).election
    everything = search_stations(election, "school", "en", "e/x/")
    assert everything.total >= len(everything.hits)
    assert search_stations(election, "   ", "en", "e/x/").total == 0
    assert search_stations(election, "x" * 10_000, "en", "e/x/").total == 0
