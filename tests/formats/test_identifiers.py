"""Ids are safe by construction (issue 18, defect 6).

Before: ids accepted any characters, so ``1001`` and ``1001`` + U+200B ZERO WIDTH SPACE were two
stations, a NUL or a 65-character station id failed only in PostgreSQL, and a station id holding
``../`` made `achyk publish` write outside ``--out``.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from achyk.domain.identifiers import id_problem
from achyk.errors import DefinitionError
from achyk.files import OutsideOutput, write_inside
from achyk.formats.definition import definition_hash, election_from_document, election_to_document
from achyk.sim.generator import build_election
from achyk.sim.profiles import PROFILES
from factories import election

STATION = "regions[0].districts[0].stations[0].id"

HOSTILE = {
    "../../escape": "character 3 is U+002F SOLIDUS",
    "a\\b": "U+005C REVERSE SOLIDUS",
    "1001\u200b": "character 5 is U+200B ZERO WIDTH SPACE",
    "1001\x00": "character 5 is U+0000",
    "\u04101001": "U+0410 CYRILLIC CAPITAL LETTER A",  # looks like a Latin A
    "e\u0301": "U+0301 COMBINING ACUTE ACCENT",  # NFD é
    "\u00e9": "U+00E9 LATIN SMALL LETTER E WITH ACUTE",
    "10 01": "U+0020 SPACE",
    "1001\n": "U+000A",
    "x" * 65: "at most 64 characters",
    "..": "starts with a letter or a digit",
    "a..b": "cannot hold '..'",
    ".hidden": "starts with a letter or a digit",
    "": "cannot be empty",
}


def with_station_id(value: str) -> dict[str, Any]:
    d = copy.deepcopy(election_to_document(election()))
    d["regions"][0]["districts"][0]["stations"][0]["id"] = value
    return d


@pytest.mark.parametrize("value", list(HOSTILE))
def test_a_hostile_station_id_is_refused_where_it_stands(value: str) -> None:
    with pytest.raises(DefinitionError) as err:
        election_from_document(with_station_id(value))
    [problem] = [p for p in err.value.problems if p.where == STATION]
    assert HOSTILE[value] in problem.what


def test_every_kind_of_id_is_checked() -> None:
    d = election_to_document(election())
    places = [("election", "id"), ("contests", 0, "id"), ("contests", 0, "parties", 0, "id"),
              ("regions", 0, "id"), ("regions", 0, "districts", 0, "id"),
              ("regions", 0, "districts", 0, "stations", 0, "devices", 0, "id")]  # fmt: skip
    for place in places:
        bad = copy.deepcopy(d)
        node: Any = bad
        for key in place[:-1]:
            node = node[key]
        node[place[-1]] = "a/b"
        with pytest.raises(DefinitionError, match="U\\+002F SOLIDUS"):
            election_from_document(bad)


def test_an_election_built_in_code_obeys_the_same_rule() -> None:
    e = election()
    region = e.regions[0]
    district = region.districts[0]
    station = dataclasses.replace(district.stations[0], id="../1001")
    district = dataclasses.replace(district, stations=(station, *district.stations[1:]))
    region = dataclasses.replace(region, districts=(district, *region.districts[1:]))
    with pytest.raises(DefinitionError, match=r"station '\.\./1001'"):
        dataclasses.replace(e, regions=(region, *e.regions[1:]))


@pytest.mark.parametrize(
    "name",
    [n if n == "small" else pytest.param(n, marks=pytest.mark.slow) for n in sorted(PROFILES)],
)
def test_the_profiles_ids_pass_and_their_hashes_are_kept(name: str) -> None:
    e = build_election(PROFILES[name])
    again = election_from_document(election_to_document(e))
    assert definition_hash(again) == definition_hash(e)


def test_plain_ids_pass() -> None:
    for value in ["1001", "kg-2025", "asu-1001-a", "d01-c1", "p_01", "v1.2", "A" * 64]:
        assert id_problem(value) is None, value


def test_publish_never_writes_outside_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_inside(out, out / "data" / "1001.csv", "ok")
    assert (out / "data" / "1001.csv").read_text() == "ok"
    for escape in [out / ".." / "escaped", out / "data" / ".." / ".." / "escaped", Path("/tmp/x")]:
        with pytest.raises(OutsideOutput):
            write_inside(out, escape, "no")
    (out / "link").symlink_to(tmp_path)  # a link planted in the output folder
    with pytest.raises(OutsideOutput):
        write_inside(out, out / "link" / "escaped", "no")
    assert not (tmp_path / "escaped").exists()
