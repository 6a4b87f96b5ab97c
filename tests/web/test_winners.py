"""Who wins and why, and how fresh it is: the seat rule in words, a reason for every "—", the elected
of district contests, a freshness line on every page, and the turnout curve's geometry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.domain.seat_results import all_list_seats
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.web.charts import turnout_curve
from achyk.web.pages import colour, primary_contest
from achyk.web.winners import seats_view


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, SimElection]]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('win') / 'achyk.db'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    yield db, sim
    db.close()


def test_every_dash_has_its_reason(loaded: tuple[Database, SimElection]) -> None:
    db, sim = loaded
    election, tab = results(db, sim.election.id)
    contest = primary_contest(election)
    view = seats_view(
        election, tab, contest, {o.id: colour(contest, o.id) for o in contest.options}
    )
    assert view is not None
    allocation = all_list_seats(election, tab)[0].allocation
    assert allocation is not None
    assert {p.id: p.seats for p in view.parties} == allocation.as_dict()
    for p in view.parties:
        if p.seats == 0:  # a "—" is explained: no votes, the national or a regional threshold
            assert p.no_votes or p.below_national or p.short_regions, p
        else:
            assert not p.below_national and not p.short_regions, p
    # the seats bar: one segment per party with seats, widths adding up to the seats given
    assert sum(s.width_pct for s in view.segments) == pytest.approx(100.0 * allocation.total / 20)
    assert view.majority == 11  # more than half of 20


def test_the_overview_states_the_rule_in_every_language(
    loaded: tuple[Database, SimElection],
) -> None:
    db, sim = loaded
    client = TestClient(create_app(db=db))
    expected = {  # the method's name and the majority, as each language's page says them
        "en": ("Hare–Niemeyer", "A majority is 11 seats."),
        "ru": ("Хэйра–Нимейера", "Большинство — 11 мандатов."),
        "ky": ("Хэйр–Нимейер", "Көпчүлүк — 11 мандат."),
        "kk": ("Хэйр–Нимейер", "Көпшілік — 11 мандат."),
    }
    for lang, (method, majority) in expected.items():
        page = client.get(f"/e/{sim.election.id}/", params={"lang": lang}).text
        rule = re.search(r'class="seat-rule">([^<]*)<', page)
        assert rule is not None, lang
        assert method in rule.group(1) and majority in rule.group(1), (lang, rule.group(1))
        assert page.count('<tr data-party="') == 6  # every party, with its reason


def test_district_pages_mark_the_elected_of_the_record(
    loaded: tuple[Database, SimElection],
) -> None:
    db, sim = loaded
    client = TestClient(create_app(db=db))
    eid = sim.election.id
    published = client.get(f"/api/elections/{eid}/results.json").json()["districts"]
    assert published
    for contest_id, outcome in published.items():
        contest = sim.election.contest(contest_id)
        assert contest is not None and contest.districts
        page = client.get(f"/e/{eid}/district/{contest.districts[0]}", params={"lang": "en"}).text
        section = page[page.index(f'data-contest="{contest_id}"') :]
        table = section[: section.index("</table>")]
        rows = re.findall(r'<tr data-option="([^"]+)">\s*<th scope="row">(.*?)</th>', table, re.S)
        elected = [option for option, head in rows if "✓ elected" in head]
        assert elected == outcome["elected"], contest_id


def test_every_page_says_how_fresh_it_is(loaded: tuple[Database, SimElection]) -> None:
    db, sim = loaded
    client = TestClient(create_app(db=db))
    eid = sim.election.id
    size = client.get(f"/api/elections/{eid}/record.json").json()["size"]
    for path in ("", "verify", "region/north", "abroad", "station/1001"):
        page = client.get(f"/e/{eid}/{path}", params={"lang": "en"}).text
        line = re.search(r'id="freshness" data-log-size="(\d+)">([^<]*)<', page)
        assert line is not None, path
        assert int(line.group(1)) == size
        assert re.match(
            r"Updated at \d\d:\d\d \(UTC\+06\) · log size [\d,]+ · checkpoint", line.group(2)
        )


def test_turnout_curve_geometry() -> None:
    # A synthetic day (not a published series): cumulative turnout every two hours to 39.16 %.
    hours = [("10:00", "8.24"), ("12:00", "17.16"), ("14:00", "25.59"), ("16:00", "32.62"),
             ("18:00", "38.11"), ("20:00", "39.16")]  # fmt: skip
    curve = turnout_curve(hours)
    assert curve is not None
    ys = [p.y for p in curve.points]
    assert ys == sorted(ys, reverse=True)  # cumulative turnout only rises (y grows downwards)
    xs = [p.x for p in curve.points]
    assert xs[0] == curve.left and xs[-1] == curve.right
    # scaled to the next 10 % above the top: 39.16 % → a 40 % axis, the top point near the top
    assert curve.y_ticks[-1].label == "40%"
    top = curve.points[-1]
    span = curve.bottom - curve.y_ticks[-1].pos
    assert (curve.bottom - top.y) / span == pytest.approx(float(Decimal("39.16") / 40), rel=1e-6)
    assert turnout_curve([]) is None


def test_a_station_page_shows_its_device_switches(loaded: tuple[Database, SimElection]) -> None:
    db, sim = loaded
    client = TestClient(create_app(db=db))
    switched = sim.switches[0]
    page = client.get(f"/e/{sim.election.id}/station/{switched.station_id}", params={"lang": "en"})
    assert 'id="h-sw"' in page.text
    assert f"<code>{switched.from_device}</code> → <code>{switched.to_device}</code>" in page.text
    unswitched = next(
        p.station.id for p in sim.election.stations()
        if p.station.id not in {s.station_id for s in sim.switches}
    )  # fmt: skip
    assert 'id="h-sw"' not in client.get(f"/e/{sim.election.id}/station/{unswitched}").text


def test_differences_are_flagged_only_beyond_the_stated_tolerance(
    loaded: tuple[Database, SimElection],
) -> None:
    from decimal import Decimal

    from achyk.web.pages import OptionRow

    def row(scanner: int, hand: int, apart: int = 0) -> OptionRow:
        return OptionRow("p", "P", hand, Decimal(0), scanner, hand, "#000", None, apart)

    assert not row(16_000, 16_047).differs  # 0.29 %: counts of thousands differ a little
    assert row(16_000, 16_081).differs  # 81 > 0.5 % of 16,000 = 80
    assert not row(300, 305).differs and row(300, 306).differs  # at least 6 votes when small
    assert row(16_000, 16_400, apart=400).difference == 0  # the remote unit's votes kept apart
    db, sim = loaded
    client = TestClient(create_app(db=db))
    page = client.get(f"/e/{sim.election.id}/", params={"lang": "en"}).text
    table = page[page.index('<table class="results"') :]
    table = table[: table.index("</table>")]
    assert 'data-field="difference"' in table
    # the simulated hand counts differ from the scanner by a few ballots per station: no flag
    assert 'class="n differs"' not in table
