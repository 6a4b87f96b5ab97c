"""The forensics pages: every language, the demo's stuffed stations flagged with evidence links,
figures served as SVG and PNG, and the "imported, not signed" status on an imported election."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.import_results import import_results
from achyk.services.simulation import run_simulation
from achyk.sim.cec_export import export_csv, mapping_yaml
from achyk.sim.generator import SimElection, generate
from achyk.sim.manipulations import honest
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

EID = SMALL.election_id
FLAG_WORDS = {"ru": "Что означает отметка", "ky": "Белги эмнени билдирет",
              "kk": "Белгі нені білдіреді", "en": "What a flag means"}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, SimElection]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('fweb') / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    s = honest(150, seed=9)
    import_results(db, export_csv(s, regions=3, broken={s.ids[2]}).encode(), mapping_yaml(),
                   "export.csv")  # fmt: skip
    with TestClient(create_app(db=db)) as client:
        yield client, sim
    db.close()


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_forensics_page_in_every_language(site: tuple[TestClient, SimElection], lang: str) -> None:
    client, sim = site
    r = client.get(f"/e/{EID}/forensics/?lang={lang}")
    assert r.status_code == 200
    assert FLAG_WORDS[lang] in r.text
    for station in sim.anomalies["stuffing"]:  # the demo's planted stuffing is flagged ...
        row = re.search(rf'<tr class="strong">\s*<th scope="row"><a href="[^"]*/station/{station}/"',
                        r.text)  # fmt: skip
        assert row, station
    # ... with a link to its protocol's log entry
    assert f"/api/elections/{EID}/log/entries/" in r.text
    assert f"/e/{EID}/forensics/figure/{lang}/all/fingerprint.svg" in r.text
    assert "Imported, not signed" not in r.text


def test_figures_are_served(site: tuple[TestClient, SimElection]) -> None:
    client, _ = site
    svg = client.get(f"/e/{EID}/forensics/figure/ru/all/turnout.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "Явка, %" in svg.text  # the axis is labelled in the page's language
    png = client.get(f"/e/{EID}/forensics/figure/en/all/comet.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get(f"/e/{EID}/forensics/figure/en/all/pie.svg").status_code == 404
    assert client.get(f"/e/{EID}/forensics/figure/xx/all/comet.svg").status_code == 404
    assert client.get(f"/e/{EID}/forensics/figure/en/nowhere/comet.svg").status_code == 404


def test_region_page_and_unknown_region(site: tuple[TestClient, SimElection]) -> None:
    client, _ = site
    r = client.get(f"/e/{EID}/forensics/region/north/?lang=en")
    assert r.status_code == 200 and "North" in r.text
    assert "/forensics/figure/en/north/comet.svg" in r.text
    assert client.get(f"/e/{EID}/forensics/region/atlantis/").status_code == 404


def test_imported_election_says_so_on_every_page(site: tuple[TestClient, SimElection]) -> None:
    client, _ = site
    for path in ("", "forensics/", "verify/"):
        r = client.get(f"/e/imported-2025/{path}?lang=en")
        assert r.status_code == 200, path
        assert "Imported, not signed" in r.text, path
    r = client.get("/e/imported-2025/forensics/?lang=en")
    assert "the protocol breaks a control relation" in r.text
