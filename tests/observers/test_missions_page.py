"""The missions page on the site, in four languages: each mission's coverage, the PVT beside the
official share, and the planted altered protocol named with both figures."""

from __future__ import annotations

import httpx
import pytest

from achyk.api.app import create_app
from achyk.services.observers.simulation import simulate_observers
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import serving

SAYS = {
    "en": ("Observer missions", "stations in"),
    "ru": ("Миссии наблюдателей", "участков в"),
    "ky": ("Байкоочу миссиялар", "участокко барды"),
    "kk": ("Бақылаушы миссиялары", "учаскеге барды"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, object]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('m') / 'site.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    return db, simulate_observers(db, sim)


@pytest.mark.parametrize("lang", sorted(SAYS))
def test_missions_page(site: tuple[Database, object], lang: str) -> None:
    db, run = site
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        page = http.get(f"/e/{SMALL.election_id}/missions", params={"lang": lang})
    assert page.status_code == 200
    title, sentence = SAYS[lang]
    html = page.text
    assert title in html and sentence in html
    assert html.count('data-mission="') == 4
    assert html.count("data-pvt") == 1  # the domestic group's PVT, from its drawn stations
    altered = run.altered  # type: ignore[attr-defined]
    assert f'data-station="{altered}"' in html and "copy" in html


def test_the_altered_stations_page_shows_the_copy(site: tuple[Database, object]) -> None:
    db, run = site
    altered = run.altered  # type: ignore[attr-defined]
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        page = http.get(f"/e/{SMALL.election_id}/station/{altered}", params={"lang": "ru"})
        other = http.get(f"/e/{SMALL.election_id}/station/1001", params={"lang": "ru"})
    assert page.status_code == 200 and "data-copy-flags" in page.text
    assert "Копии протоколов, отличающиеся" in page.text and "published" in page.text
    assert other.status_code == 200 and ("data-copy-flags" in other.text) == (altered == "1001")
