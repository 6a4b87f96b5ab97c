"""The static export of a large election is written by several forked writers (issue 16): the
files are exactly those one writer gives — every page, every district file, no page twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.web import opendata, static_site

FRESH = re.compile(rb'<p class="fresh[^\n]*')  # when it was written: differs run to run


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): FRESH.sub(b"", p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_three_writers_write_what_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_simulation(db, generate(SMALL))
    monkeypatch.setattr(opendata, "LONG_STATION_FILES_UP_TO", 0)  # "large": written in parallel
    monkeypatch.setattr(static_site.os, "cpu_count", lambda: 1)
    static_site.write_site(db, SMALL.election_id, tmp_path / "one")
    monkeypatch.setattr(static_site.os, "cpu_count", lambda: 3)
    static_site.write_site(db, SMALL.election_id, tmp_path / "three")
    one, three = tree(tmp_path / "one"), tree(tmp_path / "three")
    assert sorted(one) == sorted(three)
    assert any(p.endswith("/data/protocols/d01.json") for p in one)
    assert any(p.endswith("/paper/district/d01/index.html") for p in one)
    assert [p for p in one if one[p] != three[p]] == []
