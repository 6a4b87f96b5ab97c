"""The first overview after start-up is served from the outline, before the whole definition is
read, and is byte for byte the page the whole definition gives; the cases that need the stations
(an outline stored before it kept them, complaints) are read the usual way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from achyk.api import app as api_app
from achyk.api.app import create_app
from achyk.services import elections
from achyk.services.results import cold_results, outline_of
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database, migrate
from achyk.store.models import ElectionRow
from achyk.web import routes

EID = SMALL.election_id
SMALL_REGION = generate(SMALL).election.regions[0].id


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SimElection]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cold') / 'achyk.db'}"
    db = Database.open(url)
    sim = generate(SMALL)
    run_simulation(db, sim)
    db.close()
    yield url, sim


def _overview(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, bool]:
    """The overview and the regions' results (API) from a new server, and whether they were
    served before the definition was read (then it is read in the background, for what
    follows)."""
    db = Database.open(url)
    asked: list[str] = []
    monkeypatch.setattr(routes, "parse_in_background", lambda db, eid: asked.append(eid))
    monkeypatch.setattr(api_app, "parse_in_background", lambda db, eid: None)
    try:
        with TestClient(create_app(db=db)) as client:
            response = client.get(f"/e/{EID}/?lang=ru")
            assert response.status_code == 200
            cold = not elections.is_parsed(db, EID)
            assert asked == ([EID] if cold else [])
            api = client.get(f"/api/elections/{EID}/results?level=region").text
            assert elections.is_parsed(db, EID) is not cold  # the API answers cold too
            assert client.get(f"/e/{EID}/region/{SMALL_REGION}/").status_code == 200
            assert elections.is_parsed(db, EID)  # any other page reads it
            return response.text + api, cold
    finally:
        db.close()


def test_the_cold_overview_is_the_warm_one(
    loaded: tuple[str, SimElection], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, sim = loaded
    db = Database.open(url)
    cold = cold_results(db, EID)
    assert cold is not None
    head, tab = cold
    assert head.station_count() < sim.election.station_count()
    assert (head.has_abroad, head.has_remote) == (sim.election.has_abroad, sim.election.has_remote)
    assert tab.aggregates() == elections_results(db)
    db.close()
    cold_page, cold = _overview(url, monkeypatch)
    assert cold  # served from the outline
    with Database.open(url).session() as s:  # an outline stored before it kept any station
        row = s.get(ElectionRow, EID)
        assert row is not None and row.outline is not None
        old = row.outline
        row.outline = row.outline.replace(',"kept":["abroad","remote"]', "")
    warm_page, cold = _overview(url, monkeypatch)
    assert not cold  # read the usual way
    assert cold_page == warm_page
    # Migration 0019 fills in an outline stored before, as a new load writes it.
    db = Database.open(url)
    with db.session() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    migrate(db.engine)
    with db.read() as s:
        row = s.get(ElectionRow, EID)
        assert row is not None and row.outline is not None
        assert json.loads(row.outline) == json.loads(old)
    db.close()


def elections_results(db: Database) -> object:
    from achyk.services.results import results

    return results(db, EID)[1].aggregates()


def test_the_outline_keeps_what_the_site_asks_of_the_stations(tmp_path: Path) -> None:
    sim = generate(SMALL)
    from achyk.formats.definition import election_to_document

    outline = outline_of(election_to_document(sim.election))
    kept = [s for r in outline["definition"]["regions"] for d in r["districts"]
            for s in d["stations"]]  # fmt: skip
    abroad = [s for s in kept if s.get("country")]
    remote = [s for s in kept if s.get("channel") == "remote"]
    assert len(abroad) == (1 if any(p.station.abroad for p in sim.election.stations()) else 0)
    assert len(remote) == sum(1 for p in sim.election.stations() if p.station.remote)
    assert len(kept) == len(abroad) + len(remote)
    assert outline["kept"] == ["abroad", "remote"]
