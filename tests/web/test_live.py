"""What pages update live: the unit's figures and its table of child units, equal to the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.domain.tabulation import Level
from achyk.errors import NotFoundError
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.web.live import live_summary

EID = SMALL.election_id


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('live') / 'achyk.db'}")
    run_simulation(db, generate(SMALL))
    yield TestClient(create_app(db=db))
    db.close()


def _api(client: TestClient, level: str, parent: str) -> dict[str, dict[str, object]]:
    rows = client.get(f"/api/elections/{EID}/results?level={level}&contest=list").json()
    return {r["unit"]: r for r in rows if r["parent"] == parent}


def _leader(row: dict[str, object]) -> tuple[str, str] | None:
    options = [o for o in row["options"] if o["votes"] > 0]  # type: ignore[attr-defined]
    if not options:
        return None
    best = max(options, key=lambda o: o["votes"])
    return best["option"], best["share_pct"]


@pytest.mark.parametrize(
    ("level", "unit", "child_level"),
    [("national", "national", "region"), ("region", "north", "district")],
)
def test_children_rows_equal_the_api(
    client: TestClient, level: str, unit: str, child_level: str
) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    election, tab = results(db, EID)
    summary = live_summary(election, tab, 7, Level(level), unit)
    assert summary["stamp"] == 7 and summary["children"]["contest"] == "list"
    api = _api(client, child_level, unit)
    units = summary["children"]["units"]
    assert set(units) == set(api) and units
    for uid, row in units.items():
        a = api[uid]
        assert (row["stations_reported"], row["stations_expected"], row["turnout_pct"]) == (
            a["stations_reported"], a["stations_expected"], a["turnout_pct"])  # fmt: skip
        leader = row["leader"]
        assert (None if leader is None else (leader["id"], leader["share_pct"])) == _leader(a)
    own = client.get(f"/api/elections/{EID}/results?level={level}&contest=list&unit={unit}").json()
    assert summary["contests"]["list"]["valid"] == own[0]["valid"]


def test_an_unknown_unit_has_no_live_figures(client: TestClient) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    election, tab = results(db, EID)
    with pytest.raises(NotFoundError):
        live_summary(election, tab, 1, Level.REGION, "atlantis")
    for query in ("level=region&unit=atlantis", "level=station&unit=1001", "level=moon&unit=x"):
        r = client.get(f"/e/{EID}/live?{query}")
        assert r.status_code == 404, query


def test_region_page_follows_its_own_stream(client: TestClient) -> None:
    html = client.get(f"/e/{EID}/region/north/?lang=en").text
    assert f'data-live="/e/{EID}/live?level=region&amp;unit=north"' in html
    assert 'data-children="list"' in html and 'id="live-status"' in html
    station = client.get(f"/e/{EID}/station/1001/?lang=en").text
    assert "data-live=" not in station
