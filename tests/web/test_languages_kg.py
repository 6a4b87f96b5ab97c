"""The kg-2025 site in its four languages, on election night (30 % of the protocols in).

Names come from the definition's translations (achyk.domain.names): the regions' official names
(the Constitution of the Kyrgyz Republic, art. 8: Чүй облусу / Чуйская область) and the invented
parties' translated names. The pages in ky, kk and ru are then crawled for any text the site's
own catalog translates but that was left in English.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import KG_2025
from achyk.store.database import Database

EID = KG_2025.election_id
SHARE_IN = 0.30  # of the protocols, in arrival order: some regions have none yet


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = tmp_path_factory.mktemp("kg") / "kg.db"
    db = Database.open(f"sqlite:///{path}")
    sim = generate(KG_2025)
    cut = int(len(sim.submissions) * SHARE_IN)
    run_simulation(db, dataclasses.replace(sim, submissions=sim.submissions[:cut]))
    yield TestClient(create_app(db=db))
    db.close()


@pytest.mark.parametrize(
    ("lang", "chuy", "party", "title"),
    [
        ("ky", "Чүй облусу", "Тоолор партиясы", "Жогорку Кеңешке шайлоо"),
        ("ru", "Чуйская область", "Партия гор", "Выборы в Жогорку Кенеш"),
        ("kk", "Шу облысы", "Таулар партиясы", "Жогорку Кеңес сайлауы"),
        ("en", "Chüy Region", "Party of the Mountains", "Jogorku Kenesh election"),
    ],
)
def test_the_site_names_regions_parties_and_the_election_in_the_page_language(
    client: TestClient, lang: str, chuy: str, party: str, title: str
) -> None:
    overview = client.get(f"/e/{EID}/?lang={lang}")
    assert overview.status_code == 200
    assert chuy in overview.text and party in overview.text and title in overview.text
    region = client.get(f"/e/{EID}/region/chuy/?lang={lang}")
    assert f"<title>{chuy}" in region.text
    assert "Chuy" not in region.text  # the default name is shown nowhere on the page


def test_the_api_gives_names_in_the_language_asked_and_its_own_names_otherwise(
    client: TestClient,
) -> None:
    plain = client.get(f"/api/elections/{EID}/results", params={"level": "region", "unit": "chuy"})
    assert plain.status_code == 200
    assert plain.json()[0]["name"] == "Chuy"  # the definition's own name, as before
    ky = client.get(
        f"/api/elections/{EID}/results",
        params={"level": "region", "unit": "chuy", "lang": "ky", "contest": "list"},
    ).json()
    assert ky[0]["name"] == "Чүй облусу"
    assert {o["name"] for o in ky[0]["options"]} >= {"Тоолор партиясы", "Өрөөндөр союзу"}
    assert client.get(f"/api/elections/{EID}/results", params={"lang": "de"}).status_code == 422
    # The open-data definition carries every translation.
    definition = client.get(f"/api/elections/{EID}/definition.json")
    assert definition.status_code == 200
    chuy = next(r for r in definition.json()["regions"] if r["id"] == "chuy")
    assert chuy["names"] == {"ky": "Чүй облусу", "ru": "Чуйская область", "kk": "Шу облысы",
                             "en": "Chüy Region"}  # fmt: skip
