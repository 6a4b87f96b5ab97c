"""`achyk publish` of a large definition moves what is alive before the writers fork out of the
cyclic collector's reach (gc.freeze); a small one is left alone; the files are the same."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app as cli
from achyk.services import elections
from factories import simulated_small


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return simulated_small(tmp_path_factory.mktemp("freeze"))


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # what a test froze goes back to the collector


def _publish(db_url: str, out: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["publish", "--out", str(out), "--database", db_url])
    assert result.exit_code == 0, result.output
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_small_definition_is_not_frozen(db_url: str, tmp_path: Path, unfrozen: None) -> None:
    _publish(db_url, tmp_path / "a")
    assert gc.get_freeze_count() == 0


def test_a_large_one_is_frozen_and_writes_the_same_files(
    db_url: str, tmp_path: Path, unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _publish(db_url, tmp_path / "a")
    assert gc.get_freeze_count() == 0
    monkeypatch.setattr(elections, "FREEZE_STATIONS", 1)
    after = _publish(db_url, tmp_path / "b")
    assert gc.get_freeze_count() > 0
    assert before.keys() == after.keys() and "record.json" in after
    # The NIST report carries the time it was generated (GeneratedDate), and the manifest its hash.
    moving = {"site/e/small-2025/data/nist.json", "manifest.json"}
    assert moving <= before.keys()
    assert {k: v for k, v in before.items() if k not in moving} == {
        k: v for k, v in after.items() if k not in moving
    }
