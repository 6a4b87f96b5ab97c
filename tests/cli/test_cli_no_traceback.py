"""The command line never answers with a traceback, and never echoes a personal number
(issue 18, defect 7).

Before: non-UTF-8 files, deep nesting, oversized values, missing files and an unreachable
database gave tracebacks; `register import` put personal numbers — and the real voter's birth
date the number holds — in its error messages.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achyk.cli.main import main
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.formats.definition import election_to_document
from achyk.services.elections import load_election
from achyk.store.database import Database
from factories import election
from live_server import free_port

PINS = [make_kg_pin(Sex.FEMALE, date(1960 + i, 1 + i % 12, 1 + i % 28), i) for i in range(20)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = sys.argv
    sys.argv = ["achyk", *args]
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.delenv("ACHYK_DEBUG", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.open(url)
    load_election(db, election())
    db.close()
    secret = tmp_path / "secret"
    secret.write_bytes(b"cli-register-secret-0000000001")
    secret.chmod(0o600)
    return tmp_path, url


def test_bad_files_and_an_unreachable_database_are_one_clear_line(
    base: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, url = base
    (tmp / "latin1.yaml").write_bytes("election: {id: \xe9}".encode("latin-1"))
    (tmp / "deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (tmp / "nan.json").write_bytes(b'{"protocol": NaN}')
    gone = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
    cases = {
        ("election", "load", str(tmp / "latin1.yaml"), "--database", url): "not UTF-8",
        ("election", "load", str(tmp / "missing.yaml"), "--database", url): "no such file",
        ("election", "load", str(tmp), "--database", url): "is a directory",
        ("election", "load", str(tmp / "deep.json"), "--database", url): "error:",
        ("protocol", "correct", str(tmp / "nan.json"), "--reason", "r", "--key",
         str(tmp / "secret"), "--database", url): "error:",
        ("protocol", "correct", str(tmp / "latin1.yaml"), "--reason", "r", "--key",
         str(tmp / "secret"), "--database", url): "error:",
        ("register", "import", str(tmp / "latin1.yaml"), "--secret-file", str(tmp / "secret"),
         "--database", url): "not UTF-8",
        ("results", "--database", gone): "could not be reached",
        ("protocol", "submit", str(tmp / "nan.json"), "--database", gone): "could not be reached",
    }  # fmt: skip
    for args, expected in cases.items():
        code, output = run(list(args), capsys)
        assert code in (1, 2, 3), (args, code, output)  # refused, usage, unusable input
        assert "Traceback" not in output and expected.lower() in output.lower(), (args, output)


@st.composite
def register_files(draw: st.DrawFn) -> bytes:
    lines = ["personal_number,name,birth_date,station,country"]
    for pin in draw(st.lists(st.sampled_from(PINS), min_size=1, max_size=6)):
        mangle = draw(st.sampled_from(["none", "digit", "date", "cut", "station", "junk"]))
        born = f"{1900 + int(pin[5:9]) % 100 + 60}-01-01" if mangle == "date" else "1970-01-01"
        number = {"digit": pin[:-1] + str((int(pin[-1]) + 1) % 10), "cut": pin[:-2]}.get(
            mangle, pin
        )
        station = "7777" if mangle == "station" else "1001"
        line = f"{number},Name,{born},{station},"
        if mangle == "junk":
            line += draw(st.text(max_size=20))
        lines.append(line)
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=8))
    return raw


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=register_files())
def test_register_import_never_echoes_a_personal_number(
    base: tuple[Path, str], capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    tmp, url = base
    path = tmp / "register.csv"
    path.write_bytes(raw)
    code, output = run(["register", "import", str(path), "--secret-file", str(tmp / "secret"),
                        "--database", url], capsys)  # fmt: skip
    assert "Traceback" not in output
    if code != 0:
        flat = "".join(output.split())
        for pin in PINS:
            assert pin[:-1] not in flat, (pin, output)  # not the number, nor most of it
    capsys.readouterr()


def test_a_definition_with_hostile_values_is_named(
    base: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, url = base
    doc = election_to_document(election())
    doc["contests"][0]["seats"] = 2**70
    doc["regions"][0]["districts"][0]["stations"][0]["registered_voters"] = float("nan")
    (tmp / "hostile.yaml").write_text(yaml.safe_dump(doc))
    code, output = run(["election", "load", str(tmp / "hostile.yaml"), "--database", url], capsys)
    assert code == 3 and "Traceback" not in output and "problem(s)" in output, output


def test_results_leaves_the_cyclic_collector_as_it_found_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`achyk results` holds the collector off for its short run; called in-process (as here),
    main() gives it back, whether the command succeeds or fails."""
    import gc

    assert gc.isenabled()
    gone = f"sqlite:///{tmp_path}/nowhere/none.db"
    code, _ = run(["results", "--database", gone], capsys)
    assert code != 0
    assert gc.isenabled()
