"""`achyk verify` on mutated records (issue 11, item 8): whatever is changed — a byte of any
file, a file cut short, deleted or added, a field of any JSON file set to any JSON value — it
never raises; every change the record's meaning notices is a named FAIL, and the CLI exits 1."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from achyk.cli.main import app as cli
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("mutations")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    sim = generate(SMALL)
    run_simulation(db, sim)
    publish(db, sim.election.id, base / "record")
    assert verify_record(str(base / "record")).ok
    return base / "record"


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def parsed(data: bytes) -> Any:
    try:
        return ("json", json.loads(data))
    except ValueError:
        return ("bytes", data)


def set_field(doc: Any, path: list[int], value: Any) -> Any:
    """Walk into `doc` choosing children by the numbers in `path`; replace what is reached."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        return doc | {key: set_field(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], set_field(doc[i], path[1:], value), *doc[i + 1 :]]


MUTATIONS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0), st.integers(0), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0), st.integers(0)),
    st.tuples(st.just("delete"), st.integers(0)),
    st.tuples(
        st.just("add"),
        st.sampled_from(
            [
                "x.txt",
                "site/a.html",
                "log/tile/0/001",
                "log/checkpoints/7",
                "evidence/0.bin",
                "log/tile/entries/000.p/1",
            ]
        ),
        st.binary(max_size=40),
    ),
    st.tuples(st.just("json"), st.integers(0), st.lists(st.integers(0), max_size=6), JSON_VALUES),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=MUTATIONS)
@pytest.mark.slow
def test_verify_never_raises_and_names_every_failure(
    record: Path, mutation: tuple[Any, ...]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "r"
        shutil.copytree(record, target)
        names = files(target)
        kind = mutation[0]
        name = names[mutation[1] % len(names)] if kind != "add" else mutation[1]
        path = target / name
        before = path.read_bytes() if path.is_file() else None
        if kind == "flip":
            data = bytearray(before or b"")
            if data:
                at = mutation[2] % len(data)
                data[at] ^= mutation[3]
            path.write_bytes(bytes(data))
        elif kind == "cut":
            path.write_bytes((before or b"")[: mutation[2] % max(1, len(before or b""))])
        elif kind == "delete":
            path.unlink()
        elif kind == "add":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mutation[2])
        else:
            try:
                doc = json.loads(before or b"")
            except ValueError:
                return  # not a JSON file: other mutations cover it
            path.write_text(json.dumps(set_field(doc, mutation[2], mutation[3])))
        after = path.read_bytes() if path.is_file() else None

        report = verify_record(str(target))  # must not raise
        for check, ok, detail in report.checks:
            assert check and (ok or detail), "a failure without a name or a reason"
        # A file deleted or added, or one whose content (parsed, for JSON) changed, must fail.
        if after is None or before is None or parsed(after) != parsed(before):
            assert not report.ok, (mutation, report.checks)


def test_the_cli_exits_1_with_fail_lines(record: Path, tmp_path: Path) -> None:
    target = tmp_path / "r"
    shutil.copytree(record, target)
    (target / "log" / "checkpoint").write_bytes(b"\xff\xfe garbage")
    (target / "record.json").write_text('{"format": 1, "log_key": 7}')
    result = CliRunner().invoke(cli, ["verify", str(target), "--workers", "1"])
    assert result.exit_code == 1 and "FAIL record.json" in result.output, result.output
    assert "Traceback" not in result.output
