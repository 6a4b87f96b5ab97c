"""A mission's statements: drafted from the simulated missions' data in the ODIHR structure with
their coverage figures, edited, issued through the CLI with the mission's key file, rendered as a
PDF with pages and text; `achyk verify` checks the statement is signed by the accredited mission
and names one signed by another key. And the missions' places as witness and trustee."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.ledger.note import format_signer_key, format_vkey, raw_public_key
from achyk.observers import signing as sig
from achyk.observers.model import Mission, MissionKind
from achyk.observers.statement import edit
from achyk.observers.trust_roles import trust_roles
from achyk.services.ledger import append_entries
from achyk.services.observers.findings import mission_coverage
from achyk.services.observers.simulation import _key, simulate_observers
from achyk.services.observers.statements import draft_statement, issued_statements
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.replay import replay
from replayed import definition, evidence, log_entries

runner = CliRunner()


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, SimElection]:
    url = f"sqlite:///{tmp_path_factory.mktemp('st') / 'db.sqlite'}"
    db = Database.open(url)
    sim = generate(SMALL)
    run_simulation(db, sim)
    simulate_observers(db, sim)
    return url, sim


def test_a_draft_carries_the_missions_coverage(observed: tuple[str, SimElection]) -> None:
    url, sim = observed
    db = Database.open(url)
    c = next(c for c in mission_coverage(db, sim.election.id) if c.mission == "odihr")
    doc = draft_statement(db, sim.election.id, "odihr", "preliminary", ["en", "ru", "ky", "kk"])
    assert [s["id"] for s in doc["sections"]] == [
        "conclusions", "findings/election-administration", "findings/incidents", "election-day",
    ]  # fmt: skip
    assert doc["figures"]["visited"] == c.visited and doc["figures"]["regions"] == c.regions
    first = doc["sections"][0]["paragraphs"][0]
    assert first["en"] == (f"The mission observed {c.visited} polling stations in "
                           f"{c.regions_visited} of {c.regions} regions, {c.abroad_visited} "
                           f"of them abroad.")  # fmt: skip
    assert str(c.visited) in first["ru"] and first["ru"] != first["en"]  # translated
    day = next(s for s in doc["sections"] if s["id"] == "election-day")["sections"]
    assert [s["id"] for s in day] == ["election-day/opening", "election-day/voting",
                                      "election-day/counting"]  # fmt: skip
    # Every form with an assessment is counted in one stage: the stages add up to the whole.
    assert sum(s["figures"]["assessed"] for s in day) == c.assessments
    assert sum(s["figures"]["negative"] for s in day) == c.negative
    final = draft_statement(db, sim.election.id, "odihr", "final", ["en"])
    assert final["sections"][-1]["id"] == "recommendations"


def test_issue_through_the_cli_render_pdf_and_verify(
    observed: tuple[str, SimElection], tmp_path: Path
) -> None:
    url, sim = observed
    db = Database.open(url)
    eid = sim.election.id
    draft = tmp_path / "draft.json"
    out = runner.invoke(app, ["mission", "statement", "draft", "--mission", "cis", "--languages",
                              "en,ru", "--out", str(draft), "--database", url])  # fmt: skip
    assert out.exit_code == 0, out.output
    text = tmp_path / "recommendations.txt"
    text.write_text("Publish the voter lists by station.\n\nTrain commissions on the count.\n")
    out = runner.invoke(app, ["mission", "statement", "edit", str(draft), "--section",
                              "recommendations", "--lang", "en", "--text", str(text)])  # fmt: skip
    assert out.exit_code == 0, out.output
    key = tmp_path / "cis.key"  # the mission's key file, on its own machine
    key.write_text(format_signer_key("cis", _key(sim, "cis")))
    out = runner.invoke(app, ["mission", "statement", "issue", str(draft), "--key", str(key),
                              "--database", url])  # fmt: skip
    assert out.exit_code == 0, out.output
    [issued] = issued_statements(db, eid, "cis")
    assert f"log entry {issued.index}" in out.output
    pdf = tmp_path / "cis.pdf"
    out = runner.invoke(app, ["mission", "statement", "render", "--mission", "cis", "--format",
                              "pdf", "--lang", "en", "--out", str(pdf), "--database", url])  # fmt: skip
    assert out.exit_code == 0, out.output
    reader = PdfReader(pdf)
    words = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) >= 1
    assert "Statement of preliminary findings and conclusions" in words
    assert "Train commissions on the count." in words
    # The same statement signed with the CIS mission's key file by the wrong hand: refused.
    other = tmp_path / "odihr.key"
    other.write_text(format_signer_key("odihr", _key(sim, "odihr")))
    out = runner.invoke(app, ["mission", "statement", "issue", str(draft), "--key", str(other),
                              "--database", url])  # fmt: skip
    assert out.exit_code == 1 and "not signed by the accredited key of mission cis" in out.output

    # verify: the statement signed by the accredited key passes; one an operator appends,
    # signed by another key, is named.
    state = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid))
    assert state.problems == [] and [s.index for s in state.observers.state.statements] == [
        issued.index
    ]
    forged = sig.mission_statement(private_key_from_seed(b"operator"), issued.document)
    copy = tmp_path / "operator.sqlite"  # the operator's own copy: the fixture's stays honest
    with sqlite3.connect(url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    db = Database.open(f"sqlite:///{copy}")
    with db.session() as s:
        [index] = append_entries(s, eid, [{**forged, "kind": "mission-statement", "election": eid}])
    state = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid))
    assert state.problems == [
        f"log entry {index}: mission-statement: the statement is not signed by the accredited key "
        f"of mission cis"
    ]


def test_edit_keeps_other_languages_and_refuses_an_unknown_one() -> None:
    doc = {"mission": "m", "kind": "final", "languages": ["en", "ru"],
           "title": {"en": "Final report", "ru": "Итоговый отчёт"},
           "sections": [{"id": "recommendations", "heading": {"en": "R", "ru": "Р"},
                         "paragraphs": [{"en": "old", "ru": "старый"}]}]}  # fmt: skip
    new = edit(doc, "recommendations", "en", ["new", "second"])
    assert new["sections"][0]["paragraphs"] == [{"en": "new", "ru": "старый"},
                                                {"en": "second", "ru": "second"}]  # fmt: skip
    assert doc["sections"][0]["paragraphs"] == [{"en": "old", "ru": "старый"}]  # not mutated
    with pytest.raises(Exception, match="not a language"):
        edit(doc, "recommendations", "ky", ["x"])


def test_a_mission_as_witness_and_trustee() -> None:
    key = private_key_from_seed(b"mission key")
    own = format_vkey("odihr.example", 1, raw_public_key(key.public_key()))
    other = format_vkey(
        "other.example", 1, raw_public_key(private_key_from_seed(b"x").public_key())
    )
    plain = Mission("odihr", MissionKind.INTERNATIONAL, "ODIHR", public_key_b64(key), 1)
    # Matched by key: the definition's witness has the mission's accredited key.
    roles = trust_roles(plain, [("other", other), ("odihr-witness", own)], {"CEC"})
    assert (roles.witness, roles.witness_by, roles.trustee, roles.problems) == (
        "odihr-witness",
        "key",
        None,
        (),
    )
    # Declared: a witness and a trustee by name, cross-checked.
    declared = Mission("odihr", MissionKind.INTERNATIONAL, "ODIHR", public_key_b64(key), 1,
                       witness="other", trustee="ODIHR trustee")  # fmt: skip
    roles = trust_roles(declared, [("other", other)], {"ODIHR trustee", "CEC"})
    assert (roles.witness, roles.witness_by, roles.trustee) == (
        "other",
        "declared",
        "ODIHR trustee",
    )
    wrong = Mission("odihr", MissionKind.INTERNATIONAL, "ODIHR", public_key_b64(key), 1,
                    witness="nobody", trustee="ghost")  # fmt: skip
    roles = trust_roles(wrong, [("other", other)], {"CEC"})
    assert roles.witness is None and roles.trustee is None
    assert roles.problems == (
        "mission odihr is declared witness 'nobody', which the definition does not name",
        "mission odihr is declared trustee 'ghost', which the key ceremony on the log does not have",
    )


def test_the_simulated_missions_are_trustees_on_their_page(
    observed: tuple[str, SimElection],
) -> None:
    from achyk.services.observers.effect import mission_trust

    url, sim = observed
    roles = mission_trust(Database.open(url), sim.election.id)
    # SMALL without remote voting: declared, not yet cross-checked against a ceremony.
    assert roles["odihr"].trustee == "OSCE/ODIHR election observation mission"
    assert roles["taza"].trustee is None and not roles["odihr"].problems
    assert json.dumps(roles["cis"].__dict__)  # plain data for the page and the API
