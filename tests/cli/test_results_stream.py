"""`achyk results --format json|csv` written a unit at a time is the text of the whole document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from achyk.cli.results import _csv, _json

DOC = {"election": "e", "contest": "list", "level": "station"}


def _unit(uid: str, votes: int) -> dict[str, Any]:
    return {
        "level": "station", "unit": uid, "name": f"Участок «{uid}», \"school\"\n2", "parent": "d",
        "contest": "list", "stations_expected": 1, "stations_reported": 1, "reported_pct": "100",
        "registered": 10, "voters_on_list": 10, "issued": 5, "turnout_pct": "50", "found": 5,
        "invalid": 0, "valid": 5, "base": "voted", "base_total": 5,
        "options": [{"option": "a", "votes": votes, "share_pct": "100", "scanner": None,
                     "hand": votes}],
    }  # fmt: skip


@pytest.mark.parametrize("count", [0, 1, 3, 20_000])
def test_streamed_json_is_the_document_s_dump(count: int) -> None:
    units = [_unit(str(i), i) for i in range(count)]
    whole = json.dumps({**DOC, "units": units}, ensure_ascii=False, indent=2) + "\n"
    assert "".join(_json(dict(DOC), iter(units))) == whole


@pytest.mark.parametrize("count", [0, 1, 20_000])
def test_streamed_csv_has_every_row_once(count: int) -> None:
    units = [_unit(str(i), i) for i in range(count)]
    chunks = list(_csv(iter(units)))
    lines = "".join(chunks).split("\n")
    assert lines[0].startswith("level,unit,name,")
    assert len([line for line in lines if line.startswith("station,")]) == count
    assert len(chunks) > 1 if count == 20_000 else len(chunks) == 1  # written in parts
