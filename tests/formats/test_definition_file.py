"""The definition file: errors name their path; a valid file round-trips to the same canonical hash."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from achyk.errors import DefinitionError
from achyk.formats.definition import (
    definition_hash,
    election_from_document,
    election_to_document,
    load_election,
)
from factories import election


def doc() -> dict[str, Any]:
    return election_to_document(election())


def problems(d: Any) -> list[str]:
    with pytest.raises(DefinitionError) as err:
        election_from_document(d)
    return [str(p) for p in err.value.problems]


def test_round_trip_keeps_the_hash(tmp_path: Path) -> None:
    e = election()
    path = tmp_path / "election.yaml"
    path.write_text(yaml.safe_dump(election_to_document(e), allow_unicode=True), encoding="utf-8")
    loaded = load_election(path)
    assert loaded == e
    assert definition_hash(loaded) == definition_hash(e)


def test_a_missing_party_name_is_named_by_its_path() -> None:
    d = doc()
    del d["contests"][0]["parties"][2]["name"]
    assert problems(d) == ["contests[0].parties[2].name: required"]


def test_every_problem_is_reported() -> None:
    d = doc()
    d["contests"][0]["seats"] = 0
    d["contests"][0]["threshold_pct"] = "150"
    d["regions"][0]["districts"][0]["stations"][0]["registered_voters"] = -5
    d["election"]["date"] = "30.11.2025"
    found = problems(d)
    assert len(found) == 4, found
    assert any(p.startswith("contests[0].seats:") for p in found)
    assert any(p.startswith("contests[0].threshold_pct:") for p in found)
    assert any(
        p.startswith("regions[0].districts[0].stations[0].registered_voters:") for p in found
    )
    assert any(p.startswith("election.date:") for p in found)


def test_cross_references_are_checked() -> None:
    d = doc()
    d["contests"][1]["districts"] = ["nowhere"]
    d["regions"][1]["districts"][0]["stations"][0]["id"] = "1001"  # duplicate station id
    d["regions"][0]["districts"][0]["stations"][1]["devices"][0]["public_key"] = "AAAA"
    d["regions"][2]["districts"][0]["stations"][0].pop("country")
    found = problems(d)
    assert "contests[1].districts[0]: no district 'nowhere'" in found
    assert any("station id '1001' is used 2 times" in p for p in found)
    assert (
        "regions[0].districts[0].stations[1].devices[0].public_key: an Ed25519 public key is "
        "32 bytes, got 3" in found
    )
    assert "regions[2].districts[0].stations[0].country: required for a station abroad" in found


def test_unknown_keys_and_wrong_kinds_are_refused() -> None:
    d = copy.deepcopy(doc())
    d["contests"][0]["colour"] = "red"
    d["contests"][0]["kind"] = "lottery"
    found = problems(d)
    assert any(p.startswith("contests[0].colour:") for p in found)
    assert any(p.startswith("contests[0].kind:") for p in found)


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("election:\n  id: x\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_election(path)
    assert "line" in str(err.value.problems[0].where)
