"""`achyk mission lto-areas|publish` and `achyk observe move` as a mission and an observer run
them: areas drawn over the registered LTOs and logged, a change of station signed with the
observer's key file and logged, and the inbox published with the mission's key file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.ledger.note import format_signer_key
from achyk.observers import signing as sig
from achyk.observers.sealing import seal
from achyk.services.observers.inbox import keep_sealed
from achyk.services.observers.record import election_strata, read_observers, record_many
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

runner = CliRunner()


def test_areas_move_and_publish_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.open(url)
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    mkey, okey = private_key_from_seed(b"cli/m"), private_key_from_seed(b"cli/o")
    lto = private_key_from_seed(b"cli/lto")
    record_many(db, eid, "mission-accreditation",
                [sig.accreditation(cec, "cec", "m", "international", "M", public_key_b64(mkey))])  # fmt: skip
    record_many(db, eid, "observer-registration", [
        sig.registration(mkey, "m", "sto-1", "sto", "t1", okey),
        sig.registration(mkey, "m", "lto-1", "lto", None, lto),
    ])  # fmt: skip
    mfile, ofile = tmp_path / "m.key", tmp_path / "o.key"
    mfile.write_text(format_signer_key("m", mkey))
    ofile.write_text(format_signer_key("sto-1", okey))

    areas = runner.invoke(app, ["mission", "lto-areas", "--key", str(mfile), "--mission", "m",
                                "--seed", "public-beacon-42", "--database", url])  # fmt: skip
    assert areas.exit_code == 0, areas.output
    envelope = json.loads(areas.stdout)
    regions = sorted(h for h in election_strata(sim.election) if h != "abroad")
    assert sorted(envelope["areas"]["lto-1"]) == regions  # one LTO covers every home region
    (tmp_path / "areas.json").write_text(areas.stdout)
    logged = runner.invoke(app, ["mission", "record", "lto-areas", str(tmp_path / "areas.json"),
                                 "--database", url])  # fmt: skip
    assert logged.exit_code == 0 and "1 logged" in logged.output, logged.output
    neither = runner.invoke(app, ["mission", "lto-areas", "--key", str(mfile), "--mission", "m"])
    assert neither.exit_code == 2

    a, b = sorted(s for ids in election_strata(sim.election).values() for s in ids)[:2]
    moved = runner.invoke(app, ["observe", "move", "--key", str(ofile), "--mission", "m",
                                "--observer", "sto-1", "--from", a, "--to", b,
                                "--reason", "the bridge is closed"])  # fmt: skip
    assert moved.exit_code == 0, moved.output
    (tmp_path / "move.json").write_text(moved.stdout)
    sent = runner.invoke(app, ["observe", "submit", str(tmp_path / "move.json"), "--kind",
                               "station-change", "--database", url])  # fmt: skip
    assert sent.exit_code == 0 and "1 logged" in sent.output, sent.output
    assert [(m.from_station, m.to_station) for m in read_observers(db, eid).moves] == [(a, b)]

    # An observation whose content the phone sealed to the mission, then published by it.
    content = {"answers": {"time": "10:00", "category": "other", "description": "noted"},
               "evidence": []}  # fmt: skip
    obs = sig.observation(okey, "m", "sto-1", b, "incident", content)
    record_many(db, eid, "observation", [obs])
    item = json.dumps({"kind": "observation", "envelope": obs, "content": content, "photos": []})
    keep_sealed(db, eid, "m", seal(base64.b64decode(public_key_b64(mkey)), item.encode()))
    published = runner.invoke(app, ["mission", "publish", "--key", str(mfile), "--mission", "m",
                                    "--database", url])  # fmt: skip
    assert published.exit_code == 0, published.output
    assert "1 forms and 0 photos published, 0 waiting" in published.output
    state = read_observers(db, eid)
    [o] = state.observations.values()
    assert state.contents[o.index] == content
    # Run again: nothing to publish twice.
    again = runner.invoke(app, ["mission", "publish", "--key", str(mfile), "--mission", "m",
                                "--database", url])  # fmt: skip
    assert again.exit_code == 0 and "0 forms" in again.output

    # The missions page shows the areas (by region name), the change of station and the phone page.
    import httpx

    from achyk.api.app import create_app
    from live_server import serving

    names = {r.id: r.name for r in sim.election.regions}
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        html = http.get(f"/e/{eid}/missions?lang=en").text
        ky = http.get(f"/e/{eid}/missions?lang=ky").text
        phone = http.get(f"/e/{eid}/observe?lang=kk")
    assert "Long-term observers" in html and "Changes of station on the day" in html
    assert all(names[r] in html for r in regions)
    assert (
        f"sto-1: {a} → {b}" not in html
        and f"t1: {a} → {b}" in html
        and "the bridge is closed" in html
    )
    assert 'href="/e/' + eid + '/observe" data-observe' in html
    assert "Узак мөөнөттүү байкоочулардын аймактары" in ky
    assert phone.status_code == 200 and "Бақылаушының телефоны" in phone.text
