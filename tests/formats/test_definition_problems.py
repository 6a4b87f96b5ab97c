"""A definition's problems, each with its line in the file and a hint where one helps.

Before: a duplicate YAML key, an impossible date and a candidate of a non-existent party loaded
silently. Now every problem comes in one run: duplicate keys, shapes and references (districts,
parties, authorities' units, ids used twice) together, each with its line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from achyk.errors import DefinitionError
from achyk.formats.definition import election_to_document, load_election
from factories import election


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "election.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_election(path)
    return [str(p) for p in caught.value.problems]


def _text() -> str:
    return yaml.safe_dump(election_to_document(election()), sort_keys=False, allow_unicode=True)


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    text = _text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("seats:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}seats: 2")  # the typo YAML would keep silently
    found = _problems(_write(tmp_path, "\n".join(lines) + "\n"))
    assert any(
        f"(lines {at + 1} and {at + 2})" in p and "'seats' appears twice" in p for p in found
    ), found


def test_every_shape_problem_in_one_pass_with_lines_and_hints(tmp_path: Path) -> None:
    doc = election_to_document(election())
    doc["election"]["date"] = "2025-02-30"  # the pattern allows it; the calendar does not
    doc["contests"][0]["seets"] = 3  # a typo of a known key
    doc["regions"][0]["districts"][0]["stations"][0]["registered_voters"] = -1
    found = _problems(_write(tmp_path, yaml.safe_dump(doc, sort_keys=False)))
    text = "\n".join(found)
    assert re.search(r"election\.date \(line \d+\): .*2025-02-30 is not a date", text), text
    assert re.search(
        r"contests\[0\]\.seets \(line \d+\): unknown key \(did you mean 'seats'\?\)", text
    )
    assert re.search(r"registered_voters \(line \d+\): .*greater than or equal to 0", text)


def test_references_name_the_nearest_valid_id(tmp_path: Path) -> None:
    doc = election_to_document(election())
    district = doc["regions"][0]["districts"][0]["id"]
    doc["contests"].append(
        {"id": "d", "name": "District seat", "kind": "district", "seats": 1,
         "districts": [district + "x"],
         "candidates": [{"id": "c1", "name": "A. Candidate", "party": "no-such-party"}]}
    )  # fmt: skip
    found = "\n".join(_problems(_write(tmp_path, yaml.safe_dump(doc, sort_keys=False))))
    assert f"no district '{district}x' (did you mean '{district}'?)" in found
    assert "candidates[0].party (line" in found and "no party 'no-such-party'" in found


def test_shapes_references_and_repeated_keys_in_one_run(tmp_path: Path) -> None:
    """Before, references were checked only once every shape held: four problems took two runs."""
    doc = election_to_document(election())
    doc["election"]["date"] = "2025-13-01"  # shape
    doc["contests"][0]["seets"] = 3  # shape, with a hint
    district = doc["regions"][0]["districts"][0]["id"]
    station = doc["regions"][0]["districts"][0]["stations"][0]
    doc["regions"][0]["districts"][0]["stations"].append(dict(station))  # a station id twice
    doc["contests"].append(
        {"id": "d", "name": "District seat", "kind": "district", "seats": 1,
         "districts": [district + "x"],
         "candidates": [{"id": "c1", "name": "A. Candidate", "party": "no-such-party"}]}
    )  # fmt: skip
    doc["authorities"].append(
        {"id": "tec", "name": "TEC", "public_key": "x", "unit": district[:-1]}
    )
    text = yaml.safe_dump(doc, sort_keys=False)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("seats:"))
    lines.insert(at + 1, lines[at])  # and a key given twice
    found = "\n".join(_problems(_write(tmp_path, "\n".join(lines) + "\n")))
    assert "'seats' appears twice" in found
    assert re.search(r"election\.date \(line \d+\): .*2025-13-01 is not a date", found), found
    assert re.search(r"contests\[0\]\.seets \(line \d+\): unknown key", found)
    assert re.search(rf"contests\[\d\]\.districts\[0\] \(line \d+\): no district '{district}x' "
                     rf"\(did you mean '{district}'\?\)", found)  # fmt: skip
    assert re.search(r"candidates\[0\]\.party \(line \d+\): no party 'no-such-party'", found)
    assert re.search(rf"station id '{station['id']}' is used 2 times", found)
    assert re.search(rf"authorities\[\d\]\.unit \(line \d+\): no station, district or region "
                     rf"'{district[:-1]}' \(did you mean '{district}'\?\)", found)  # fmt: skip


def test_files_that_are_not_definitions(tmp_path: Path) -> None:
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"election:\n  name: \xff\xfe\n")
    assert _problems(binary) == ["byte 18: the file is not UTF-8 text"]
    assert "No such file" in _problems(tmp_path / "missing.yaml")[0]
    assert "Is a directory" in _problems(tmp_path)[0]
