"""Election night from 0 % to 100 % of stations reporting: every page, endpoint and command answers.

The first hours of election night used to break: with some regions still silent, `/seats` and
`results.json` answered a plain-text 500 and `achyk results` exited 2 ("base 0 is less than the 0
votes given for parties"). Partial reporting is a state: seats are *undetermined* (with the reason)
while nothing — or, under a regional threshold, some region — has been counted, *provisional* while
stations are still reporting, and *final* once every expected station has reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.cli.main import app as cli
from achyk.domain.seat_results import SeatStatus, all_list_seats
from achyk.services.elections import load_election
from achyk.services.protocols import submit_protocols
from achyk.services.results import results
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

STEPS = (0.0, 0.02, 0.25, 0.6, 1.0)


@pytest.mark.slow
def test_every_face_answers_at_every_stage_of_reporting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'night.db'}"
    db = Database.open(url)
    sim = generate(SMALL)
    election = sim.election
    load_election(db, election)
    client = TestClient(create_app(db=db))
    eid = election.id
    subs = sim.submissions
    first_station = next(iter(election.stations())).station.id
    done = 0
    statuses: list[SeatStatus] = []
    for step in STEPS:
        upto = round(len(subs) * step)
        if upto > done:
            submit_protocols(db, eid, subs[done:upto])
            done = upto
        _, tab = results(db, eid)
        seats = all_list_seats(election, tab)
        assert seats, "the party list has a (possibly undetermined) seat result at every stage"
        statuses.append(seats[0].status)
        if seats[0].status is SeatStatus.UNDETERMINED:
            assert seats[0].reason and seats[0].allocation is None

        api = f"/api/elections/{eid}"
        for path in (
            api + "/results",
            api + "/results?level=region",
            api + "/results?level=station&limit=5",
            api + "/seats",
            api + "/results.json",
            api + "/record.json",
            api + "/log/checkpoint",
            f"{api}/stations/{first_station}",
        ):
            answer = client.get(path)
            assert answer.status_code == 200, (step, path, answer.text[:300])
        assert client.get(api + "/seats").json()[0]["status"] == seats[0].status.value
        published = client.get(api + "/results.json").json()["seats"]["list"]
        assert published["status"] == seats[0].status.value

        site = f"/e/{eid}/"
        pages = [site, site + "verify", site + "abroad"]
        pages += [f"{site}region/{r.id}" for r in election.regions if not r.abroad]
        pages += [f"{site}station/{p.station.id}" for p in list(election.stations())[:3]]
        for lang in ("ru", "ky", "kk", "en"):
            for path in pages:
                answer = client.get(path, params={"lang": lang})
                assert answer.status_code == 200, (step, lang, path)
        overview = client.get(site, params={"lang": "ky"}).text
        if seats[0].status is SeatStatus.FINAL:
            assert "seat-status" not in overview
        else:  # the overview says, in the reader's language, why the seats may still change
            assert f'data-status="{seats[0].status.value}"' in overview
        for name in ("national.csv", "national.json", "region.csv", "nist.json", "summary.json"):
            assert client.get(f"{site}data/{name}").status_code == 200, (step, name)

        run = CliRunner().invoke(cli, ["results", "--database", url])
        assert run.exit_code == 0, (step, run.output)
        if seats[0].status is not SeatStatus.FINAL:
            assert seats[0].status.value in run.output

    assert statuses[0] is SeatStatus.UNDETERMINED  # nothing counted
    assert SeatStatus.PROVISIONAL in statuses[1:-1]
    # the small profile's stations all report by the end (the refused protocol is resent fixed)
    expected = SeatStatus.FINAL if _all_reported(db, eid) else SeatStatus.PROVISIONAL
    assert statuses[-1] is expected
    db.close()


def _all_reported(db: Database, eid: str) -> bool:
    _, tab = results(db, eid)
    nat = tab.national("list")
    assert nat is not None
    return nat.counted.stations >= nat.stations_expected
