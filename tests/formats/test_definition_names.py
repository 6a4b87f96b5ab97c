"""Names in other languages (`names:` beside `name:`): read, written back, hashed only when given.

The region names are the official ones of the Kyrgyz Republic's regions (its Constitution, art. 8;
the CEC's territorial commissions): Чүй облусу (ky), Чуйская область (ru).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from achyk.domain.names import localize
from achyk.errors import DefinitionError
from achyk.formats.definition import (
    definition_hash,
    election_from_document,
    election_to_document,
    load_election,
)
from achyk.sim.generator import build_election
from achyk.sim.profiles import KG_2025, SMALL
from factories import election

CHUY = {"ky": "Чүй облусу", "ru": "Чуйская область", "en": "Chüy Region"}


def test_a_definition_without_names_keeps_its_document_and_hash() -> None:
    e = election()
    doc = election_to_document(e)
    assert "names" not in yaml.safe_dump(doc)
    assert definition_hash(election_from_document(doc)) == definition_hash(e)
    # The small profile's hash as it was before names existed (main at 5c16339).
    assert definition_hash(build_election(SMALL)) == (
        "56c447a9c572fa00ef2319f4ab700c5accb7cb8b75576cfe695b511f081f8ad5"
    )


def test_names_are_read_from_a_file_shown_by_language_and_written_back(tmp_path: Path) -> None:
    doc = election_to_document(election())
    doc["regions"][0]["names"] = CHUY
    doc["contests"][0]["parties"][0]["names"] = {"ky": "Тоолор партиясы"}
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    e = load_election(path)
    default_region = e.regions[0].name
    assert localize(e, "ky").regions[0].name == "Чүй облусу"
    assert localize(e, "ru").regions[0].name == "Чуйская область"
    assert localize(e, "kk").regions[0].name == default_region  # no Kazakh given: the default
    assert localize(e, "ky").contests[0].options[0].name == "Тоолор партиясы"
    assert localize(e, "ru").contests[0].options[0].name == e.contests[0].options[0].name
    again = election_to_document(e)
    assert again["regions"][0]["names"] == CHUY
    assert election_from_document(again) == e
    assert definition_hash(e) != definition_hash(election())  # the names are part of the record


@pytest.mark.parametrize(
    ("names", "expected"),
    [({"de": "Tschüi"}, "names.de"), ({"ky": ""}, "names.ky"), ("Чүй", "names")],
)
def test_a_bad_translation_is_named_with_its_place(names: object, expected: str) -> None:
    doc = election_to_document(election())
    doc["regions"][0]["names"] = names
    with pytest.raises(DefinitionError) as caught:
        election_from_document(doc)
    assert any(p.where.startswith(f"regions[0].{expected}") for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]


def test_kg_2025_names_its_regions_and_parties_in_each_language() -> None:
    e = build_election(KG_2025)
    chuy = {lang: next(r.name for r in localize(e, lang).regions if r.id == "chuy")
            for lang in ("ky", "ru", "kk", "en")}  # fmt: skip
    assert chuy == {"ky": "Чүй облусу", "ru": "Чуйская область", "kk": "Шу облысы",
                    "en": "Chüy Region"}  # fmt: skip
    ky = localize(e, "ky")
    assert all(o.names for o in e.contests[0].options)
    assert ky.contests[0].options[0].name == "Тоолор партиясы"
    assert ky.name.startswith("Жогорку Кеңешке шайлоо")
    assert election_from_document(election_to_document(e)) == e
