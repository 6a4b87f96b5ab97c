"""A mission's own forms on the log (`mission-forms`): validated strictly, signed by the mission's
accredited key, replaced by a later entry; observations on them checked with their quality checks;
the CLI signs them on the mission's machine; `achyk verify` re-judges what an operator appended."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from achyk.api.app import create_app
from achyk.cli.main import app
from achyk.ledger.note import format_signer_key
from achyk.observers import signing as sig
from achyk.observers.mission_forms import parse_mission_forms
from achyk.observers.model import ObserverError
from achyk.services.ledger import append_entries
from achyk.services.observers.record import election_strata, read_observers, record
from achyk.services.observers.simulation import QUEUE_FORM
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.repositories import Rejections
from achyk.verify.replay import replay
from live_server import serving
from replayed import definition, evidence, log_entries


def _bad(change: Any) -> dict[str, Any]:
    form = copy.deepcopy(QUEUE_FORM)
    change(form)
    return form


@pytest.mark.parametrize(("form", "says"), [
    (_bad(lambda f: f.update(id="counting")), "is a standard form's id"),
    (_bad(lambda f: f.update(id="Queue!")), "forms[0].id: an id"),
    (_bad(lambda f: f["title"].pop("kk")), "forms[0].title: an object with exactly"),
    (_bad(lambda f: f["questions"][0].update(kind="photo")), "questions[0].kind: one of"),
    (_bad(lambda f: f["questions"].append(dict(f["questions"][0]))), "each question's id once"),
    (_bad(lambda f: f["questions"][0].update(kind="text")), "two number questions of the form"),
    (_bad(lambda f: f["checks"][0].update(right="nowhere")), "two number questions of the form"),
    (_bad(lambda f: f["questions"][1].update(kind="choice", choices=["a"])), "2 to 20 distinct"),
    (_bad(lambda f: f["questions"][1]["label"].update(en="x" * 301)), "label.en: text of 1 to 300"),
    (_bad(lambda f: f.update(questions=[])), "questions: a list of 1 to 50"),
])  # fmt: skip
def test_a_form_that_breaks_a_rule_is_refused_and_says_which(form: Any, says: str) -> None:
    with pytest.raises(ObserverError) as err:
        parse_mission_forms({"forms": [form]})
    assert says in str(err.value)


def test_the_demo_form_is_valid_and_two_forms_cannot_share_an_id() -> None:
    forms = parse_mission_forms({"forms": [QUEUE_FORM]})
    assert [q.id for q in forms["queue"].form.questions] == ["queue_at_close", "queue_voted"]
    with pytest.raises(ObserverError, match="queue twice"):
        parse_mission_forms({"forms": [QUEUE_FORM, QUEUE_FORM]})


@pytest.fixture
def election(db: Database) -> tuple[Database, SimElection]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    return db, sim


def _mission(db: Database, sim: SimElection) -> tuple[Any, Any]:
    cec = private_key_from_seed(sim.authority_seed)
    mkey = private_key_from_seed(b"mission/dom")
    okey = private_key_from_seed(b"dom/o1")
    eid = sim.election.id
    assert record(db, eid, "mission-accreditation", sig.accreditation(
        cec, "cec", "dom", "domestic", "Domestic", public_key_b64(mkey))).index is not None  # fmt: skip
    assert record(db, eid, "observer-registration",
                  sig.registration(mkey, "dom", "o1", "domestic", None, okey)).index is not None  # fmt: skip
    return mkey, okey


def test_an_observation_on_the_missions_own_form_is_checked_and_flagged(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, okey = _mission(db, sim)
    station = next(iter(election_strata(sim.election).values()))[0]
    content = {"answers": {"queue_at_close": 5, "queue_voted": 9}, "evidence": []}
    early = record(db, eid, "observation", sig.observation(okey, "dom", "o1", station, "queue",
                                                            content))  # fmt: skip
    assert early.index is None and "no form 'queue'" in early.refused[0]
    other = private_key_from_seed(b"not the mission")
    forged = record(db, eid, "mission-forms", sig.mission_forms(other, "dom", [QUEUE_FORM]))
    assert forged.index is None and "not signed by the accredited key" in forged.refused[0]
    assert record(db, eid, "mission-forms", sig.mission_forms(mkey, "dom", [QUEUE_FORM])).index
    obs = record(db, eid, "observation",
                 sig.observation(okey, "dom", "o1", station, "queue", content))  # fmt: skip
    assert obs.index is not None, obs.refused
    assert record(db, eid, "observation-content",
                  sig.publication(mkey, "dom", obs.index, content)).index is not None  # fmt: skip
    state = read_observers(db, eid)
    assert state.observations[obs.index].flags == ("more voted than were in line",)
    # A later entry replaces the earlier: the queue form withdrawn, a new observation on it fails.
    renamed = {**QUEUE_FORM, "id": "queue2"}
    assert record(db, eid, "mission-forms", sig.mission_forms(mkey, "dom", [renamed])).index
    again = record(db, eid, "observation", sig.observation(
        okey, "dom", "o1", station, "queue", {**content, "evidence": ["x"]}))  # fmt: skip
    assert again.index is None and "no form 'queue'" in again.refused[0]
    problems = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid)).problems
    assert problems == []
    # The operator appends, with the log key alone, forms clashing with a standard form.
    clash = sig.mission_forms(mkey, "dom", [{**QUEUE_FORM, "id": "voting"}])
    with db.session() as s:
        [bad] = append_entries(s, eid, [{**clash, "kind": "mission-forms", "election": eid}])
    problems = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid)).problems
    assert any(p.startswith(f"log entry {bad}: mission-forms") and "standard form" in p
               for p in problems), problems  # fmt: skip


def test_the_cli_signs_a_yaml_file_and_the_log_takes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.open(url)
    sim = generate(SMALL)
    run_simulation(db, sim)
    mkey, _ = _mission(db, sim)
    keyfile = tmp_path / "mission.key"
    keyfile.write_text(format_signer_key("dom", mkey), encoding="utf-8")
    src = tmp_path / "forms.yaml"
    src.write_text(yaml.safe_dump({"forms": [QUEUE_FORM]}, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(app, ["mission", "forms", "--key", str(keyfile), "--mission", "dom",
                              str(src)])  # fmt: skip
    assert out.exit_code == 0, out.output
    envelope = json.loads(out.stdout)
    assert envelope["forms"][0]["id"] == "queue"
    signed = tmp_path / "signed.json"
    signed.write_text(out.stdout, encoding="utf-8")
    logged = runner.invoke(app, ["mission", "record", "mission-forms", str(signed),
                                 "--database", url, "--election", sim.election.id])  # fmt: skip
    assert logged.exit_code == 0, logged.output
    assert "mission-forms: 1 logged, 0 refused" in logged.output
    assert "queue" in read_observers(db, sim.election.id).forms["dom"]
    # The observer signs on the mission's form offline, its quality check shown before sending.
    okey = tmp_path / "observer.key"
    okey.write_text(format_signer_key("o1", private_key_from_seed(b"dom/o1")), encoding="utf-8")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"queue_at_close": 2, "queue_voted": 5}), encoding="utf-8")
    station = next(iter(election_strata(sim.election).values()))[0]
    filled = runner.invoke(app, ["observe", "sign", "--key", str(okey), "--mission", "dom",
                                 "--observer", "o1", "--station", station, "--form", "queue",
                                 "--answers", str(answers), "--forms", str(signed)])  # fmt: skip
    assert filled.exit_code == 0, filled.output
    assert "more voted than were in line" in filled.stderr
    sent = json.loads(filled.stdout)
    assert sent["observation"]["form"] == "queue"
    assert record(db, sim.election.id, "observation", sent["observation"]).index is not None
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"forms": [{**QUEUE_FORM, "id": "opening"}]}), encoding="utf-8")
    refused = runner.invoke(app, ["mission", "forms", "--key", str(keyfile), "--mission", "dom",
                                  str(bad)])  # fmt: skip
    assert refused.exit_code != 0 and "standard form" in str(refused.exception)


def test_the_api_logs_a_missions_forms_and_refuses_a_clash_keeping_it(
    election: tuple[Database, SimElection],
) -> None:
    """Over real HTTP, as the phone page and a mission's tools reach the server: the forms logged;
    a clash with a standard form answered 422 with its reason and kept as evidence; the
    observation on the mission's form read back with its quality flag."""
    db, sim = election
    eid = sim.election.id
    mkey, okey = _mission(db, sim)
    station = next(iter(election_strata(sim.election).values()))[0]
    content = {"answers": {"queue_at_close": 3, "queue_voted": 4}, "evidence": []}
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        api = f"/api/elections/{eid}/observers"
        ok = http.post(f"{api}/mission-forms", json=sig.mission_forms(mkey, "dom", [QUEUE_FORM]))
        assert ok.status_code == 200 and ok.json()[0]["accepted"], ok.text
        clash = sig.mission_forms(mkey, "dom", [{**QUEUE_FORM, "id": "incident"}])
        refused = http.post(f"{api}/mission-forms", json=clash)
        assert refused.status_code == 422
        assert "incident is a standard form's id" in refused.json()[0]["reasons"][0]
        obs = http.post(f"{api}/observation",
                        json=sig.observation(okey, "dom", "o1", station, "queue", content))  # fmt: skip
        index = obs.json()[0]["log_entry"]
        assert http.post(f"{api}/observation-content",
                         json=sig.publication(mkey, "dom", index, content)).status_code == 200  # fmt: skip
        [row] = http.get(f"/api/elections/{eid}/missions/dom/observations").json()
        assert row["form"] == "queue" and row["quality_flags"] == ["more voted than were in line"]
    with db.read() as s:
        kept = [r.source for r in Rejections(s).for_election(eid) if r.source == "mission-forms"]
    assert kept == ["mission-forms"]
    # The latest forms stand after the refusal: the clash replaced nothing.
    assert list(read_observers(db, eid).forms["dom"]) == ["queue"]
