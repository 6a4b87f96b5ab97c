"""The real `achyk` executable: distinct exit statuses, one-line errors, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ACHYK = [sys.executable, "-c", "from achyk.cli.main import main; main()"]


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["--version"], 0, "achyk "),
        (["election", "check", "examples/small/definition.yaml"], 0, "valid"),
        (["election", "load", "--no-such-option"], 2, "No such option"),
        (["election", "check", "/no/such/file.yaml"], 3, "No such file or directory"),
        (["results", "--database", "sqlite:////no/such/dir/x.db"], 3, "could not be used"),
        (["results", "--database", "postgresql://postgres@127.0.0.1:1/x"], 3, "could not be used"),
    ],
)
def test_exit_statuses(args: list[str], status: int, says: str) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([*ACHYK, *args], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == status, (done.stdout, done.stderr)
    assert says in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_long_line_stays_one_line_off_a_terminal() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [*ACHYK, "election", "check", "examples/small/definition.yaml"],
        capture_output=True, text=True, timeout=120, cwd=root,
    )  # fmt: skip
    assert len(done.stdout.strip().splitlines()) == 1  # the hash is not broken at column 80
