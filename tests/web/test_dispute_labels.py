"""Complaint statuses, categories, bodies, decisions and filers are shown in words of the page's
language, never as bare identifiers; the open data keeps the identifiers with a label beside them."""

from __future__ import annotations

import csv
import io

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.disputes.labels import LABELS, label
from achyk.disputes.model import Body, Category, Decision, Filer, Status
from achyk.services.disputes.filing import file_complaint
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.web.i18n import LOCALE_DIR


def test_every_identifier_has_a_label() -> None:
    for enum in (Status, Category, Body, Decision, Filer):
        for member in enum:
            assert label(member) != "" and member.value in LABELS, member


@pytest.mark.parametrize("lang", ["ru", "ky", "kk"])
def test_every_label_is_translated(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    missing = sorted(t for t in set(LABELS.values()) if t not in catalog or not catalog[t].string)
    assert not missing, missing


def test_the_register_speaks_words_and_the_open_data_keeps_identifiers(db: Database) -> None:
    sim = generate(SMALL)
    run_simulation(db, sim)
    station = next(iter(sim.election.stations())).station.id
    file_complaint(db, sim.election.id, {
        "filer": "observer", "subject": "station", "station": station,
        "category": "ballot-stuffing", "facts": "A bundle of ballots.", "body": "territorial",
    })  # fmt: skip
    client = TestClient(create_app(db=db))
    page = client.get(f"/e/{SMALL.election_id}/complaints?lang=ru").text
    assert "вброс бюллетеней" in page  # the category, in Russian
    assert "территориальная комиссия" in page and ">territorial<" not in page
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/api/elections/{SMALL.election_id}/complaints.csv").text)))  # fmt: skip
    assert rows[-1]["category"] == "ballot-stuffing"
    assert rows[-1]["category_label"] == "ballot stuffing"
    assert rows[-1]["before_label"] == "territorial commission"
