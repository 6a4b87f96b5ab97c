"""The fast path for plain stations (formats.definition_stations) gives what the full reader gives.

Each case is read both ways: `election_from_document` and `read_definition` (which may take the
fast path) against pydantic over the whole document (the full way, always). The election, its
canonical text and its hash must be equal; a case the fast path must not take is checked too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from achyk.canonical import canonical_json, sha256_hex
from achyk.domain.definition import Election
from achyk.errors import DefinitionError
from achyk.formats import definition as reader
from achyk.formats.definition import (
    definition_hash,
    election_from_document,
    election_from_stored,
    election_to_document,
    read_definition,
)
from achyk.formats.definition_models import _Definition
from achyk.formats.definition_stations import plain_stations
from factories import election

Edit = Callable[[dict[str, Any]], None]


def _full_way(doc: dict[str, Any]) -> Election:
    return reader._to_core(_Definition.model_validate(doc))


def _station(doc: dict[str, Any], region: int = 0, at: int = 0) -> dict[str, Any]:
    station: dict[str, Any] = doc["regions"][region]["districts"][0]["stations"][at]
    return station


def _set(region: int, key: str, value: Any) -> Edit:
    return lambda d: _station(d, region).__setitem__(key, value)


def _drop(key: str) -> Edit:
    return lambda d: _station(d).pop(key)


def _names(d: dict[str, Any]) -> None:
    d["regions"][0]["names"] = {"ru": "Север"}
    d["regions"][0]["districts"][0]["names"] = {"ky": "Түндүк 1", "en": "North 1"}


def _remote(d: dict[str, Any]) -> None:
    station = _station(d, 2)
    station["channel"] = "remote"
    station.pop("country")


def _unit(d: dict[str, Any]) -> None:
    d["authorities"].append({**d["authorities"][0], "id": "uik-1002", "body": "station",
                             "unit": "1002"})  # fmt: skip


SAME = {
    "as written": lambda d: None,
    "no address": _drop("address"),
    "no devices": _drop("devices"),
    "devices empty": _set(0, "devices", []),
    "city null": _set(0, "city", None),
    "country null": _set(0, "country", None),
    "channel station": _set(0, "channel", "station"),
    "remote abroad": _remote,
    "city at home": _set(0, "city", "Bishkek"),
    "unicode name": _set(0, "name", 'Участок № 1 «Школа» \u2028 \\ " é'),
    "translations": _names,
    "unit is a station": _unit,
    # Not plain: the fast path steps aside and the full way decides (here: pydantic's lax int).
    "voters as text": _set(0, "registered_voters", "1000"),
    "voters as float": _set(0, "registered_voters", 1000.0),
}


@pytest.mark.parametrize("edit", SAME.values(), ids=SAME.keys())
def test_the_fast_path_gives_what_the_full_way_gives(edit: Edit, tmp_path: Path) -> None:
    doc = election_to_document(election())
    edit(doc)
    full = _full_way(copy.deepcopy(doc))
    assert election_from_document(copy.deepcopy(doc)) == full
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    text = read_definition(path)
    expected = canonical_json(election_to_document(full))
    assert text.text.encode() == expected
    assert text.digest == sha256_hex(expected) == definition_hash(full)
    assert (text.election_id, text.stations, text.contests) == ("test-2025", 4, 2)
    assert election_from_stored(text.text) == full


BAD = {
    "voters as text": _set(0, "registered_voters", "1000"),
    "voters negative": _set(0, "registered_voters", -1),
    "voters beyond 2^53": _set(0, "registered_voters", 2**53),
    "unknown key": _set(0, "colour", "red"),
    "empty name": _set(0, "name", ""),
    "bad id": _set(0, "id", "a..b"),
    "country of 3": _set(0, "country", "RUS"),
    "abroad without country": lambda d: _station(d, 2).pop("country"),
    "remote at home": _set(0, "channel", "remote"),
    "no scanner": lambda d: [v.update(role="backup") for v in _station(d)["devices"]],
    "key too short": lambda d: _station(d)["devices"][0].update(public_key="AAAA"),
    "device key missing": lambda d: _station(d)["devices"][0].pop("public_key"),
    "station twice": lambda d: d["regions"][1]["districts"][0]["stations"].append(_station(d)),
    "device twice": lambda d: _station(d)["devices"].append(_station(d)["devices"][0]),
}


@pytest.mark.parametrize("edit", BAD.values(), ids=BAD.keys())
def test_a_station_that_is_not_plain_is_left_to_the_full_way(edit: Edit) -> None:
    doc = election_to_document(election())
    assert plain_stations(doc["regions"]) is not None
    edit(doc)
    assert plain_stations(doc["regions"]) is None


def test_a_bad_definition_is_refused_with_the_full_reader_s_problems(tmp_path: Path) -> None:
    doc = election_to_document(election())
    _station(doc)["registered_voters"] = -1
    doc["regions"][1]["districts"][0]["stations"].append(copy.deepcopy(_station(doc, 2)))
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        read_definition(path)
    said = [str(p) for p in err.value.problems]
    assert any("registered_voters" in p and "greater than or equal to 0" in p for p in said)
    assert any("station id '9001' is used 2 times" in p for p in said)


def test_the_collector_is_held_off_while_reading_and_restored_after() -> None:
    import gc

    from achyk.formats.definition_stations import no_cycle_collection

    assert gc.isenabled()
    with no_cycle_collection():
        assert not gc.isenabled()
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder still reads
    assert gc.isenabled()
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
