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


def test_device_switches_from_the_file_generate_writes(tmp_path: Path) -> None:
    out, url = tmp_path / "gen", f"sqlite:///{tmp_path / 'sw.db'}"
    assert run_achyk("generate", "--profile", "small", "--out", str(out)).returncode == 0
    assert (
        run_achyk("election", "load", str(out / "definition.yaml"), "--database", url).returncode
        == 0
    )
    done = run_achyk(
        "device", "switch", "--file", str(out / "device-switches.json"), "--database", url
    )
    assert done.returncode == 0, done.stderr
    assert "4 switches recorded, 0 refused" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('[{"station_id": "1001", "from_device": "asu-1001-a"}]', encoding="utf-8")
    done = run_achyk("device", "switch", "--file", str(bad), "--database", url)
    assert done.returncode == 3 and "[0]: needs text for to_device, reason" in done.stderr


def test_a_correction_from_the_wrong_file_is_named(tmp_path: Path) -> None:
    out, url = tmp_path / "gen", f"sqlite:///{tmp_path / 'c.db'}"
    run_achyk("generate", "--profile", "small", "--out", str(out))
    run_achyk("election", "load", str(out / "definition.yaml"), "--database", url)
    envelope = next((out / "protocols").glob("*.json"))
    done = run_achyk("protocol", "correct", str(envelope), "--reason", "r", "--key",
                     str(out / "cec.key"), "--database", url)  # fmt: skip
    assert done.returncode == 3
    assert "signed envelope; give the protocol object itself" in done.stderr
    assert "None" not in done.stderr


def run_achyk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ACHYK, *args], capture_output=True, text=True, timeout=300)
