"""`achyk results` the quick way (options read without typer, the outline and totals read through
the bare driver: cli.results_view, services.outline, store.bare) prints exactly what the usual way
prints, on SQLite and on PostgreSQL, and steps aside whenever it could not."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from achyk.cli import main as cli_main
from achyk.cli import results_view
from achyk.domain.tabulation import Level
from achyk.services import outline
from achyk.services.import_results import import_results
from achyk.services.results import outline_results
from achyk.services.simulation import run_simulation
from achyk.sim.cec_export import export_csv, mapping_yaml
from achyk.sim.generator import generate
from achyk.sim.manipulations import honest
from achyk.sim.profiles import SMALL
from achyk.store import bare
from achyk.store.database import Database
from conftest import POSTGRES_URL, require_postgres

EID = SMALL.election_id


def _load(url: str) -> None:
    db = Database.open(url)
    run_simulation(db, generate(SMALL))
    # A second election, imported: the notice above its results, and `--election` to choose.
    s = honest(60, seed=5)
    import_results(db, export_csv(s, regions=3).encode(), mapping_yaml(), "export.csv")
    db.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("quick") / "achyk.db"
        _load(f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        return
    require_postgres()  # a database of its own: the quick way takes the URL as it is
    name = f"t_quick_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    own = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        _load(own)
        yield own
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["achyk", "results", *args]
    try:
        cli_main.main()
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return code, out.out, out.err


SMALL_ARGS = [
    [], ["--level", "region"], ["--level=district"], ["--level", "abroad"],
    ["--level", "country"], ["--format", "json"], ["--format=csv"],
    ["--format", "json", "--level", "region"], ["--format", "csv", "--level", "district"],
    ["--contest", "d01"], ["--contest", "d01", "--level", "region"], ["--contest", "nope"],
]  # fmt: skip
# The last loaded (the imported one) by default: its notice; and an election that is not there.
ARGS = [["--election", EID, *a] for a in SMALL_ARGS] + [
    [],
    ["--format", "json"],
    ["--level", "region", "--format", "csv"],
    ["--election", "nope"],
]


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) or "plain" for a in ARGS])
def test_the_quick_way_prints_what_the_usual_way_prints(
    url: str, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[Any] = []
    quick = outline.quick_results

    def spy(*a: Any) -> Any:
        answered.append(None)
        answered[-1] = quick(*a)
        return answered[-1]

    monkeypatch.setattr(results_view, "quick_results", spy)
    fast = _run([*args, "--database", url], capsys)
    assert answered and (answered[0] is not None or "nope" in args)  # it did answer
    monkeypatch.setattr(results_view, "quick_results", lambda *a: None)
    monkeypatch.setattr(results_view, "plain_options", lambda a: None)  # typer reads them
    usual = _run([*args, "--database", url], capsys)
    assert fast == usual
    assert fast[0] == (3 if "nope" in args else 0)


def test_its_tabulation_is_the_usual_one(url: str) -> None:
    got = outline.quick_results(url, EID)
    assert got is not None and not got.imported
    db = Database.open(url)
    try:
        election, tab = outline_results(db, EID)
        assert got.election == election
        assert got.tabulation.aggregates() == tab.aggregates()
        # A station's figures, if asked for, are read the usual way.
        station = Level.STATION, "1001", "list"
        assert got.tabulation.get(*station) == tab.get(*station) is not None
    finally:
        db.close()


def test_it_steps_aside_when_it_cannot_answer(url: str, tmp_path: Any) -> None:
    assert bare.open_bare(url + ("&" if "?" in url else "?") + "x=1") is None  # driver options
    assert bare.open_bare(f"sqlite:///{tmp_path / 'none.db'}") is None  # a file to create
    assert not (tmp_path / "none.db").exists()
    assert bare.open_bare("sqlite://") is None  # in memory
    (tmp_path / "a%20b.db").touch()
    assert bare.open_bare(f"sqlite:///{tmp_path / 'a%20b.db'}") is None  # SQLAlchemy: "a b.db"
    db = Database.open(url)
    try:
        with db.session() as s:  # behind the schema's head: to migrate, the usual way
            head = s.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            s.execute(text("UPDATE alembic_version SET version_num = '0018'"))
        assert bare.open_bare(url) is None
        with db.session() as s:
            s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        opened = bare.open_bare(url)
        assert opened is not None
        opened.close()
        with db.session() as s:  # loaded before outlines were stored: the usual way makes one
            kept = s.execute(text("SELECT outline FROM elections WHERE id = :e"), {"e": EID})
            outline_text = kept.scalar_one()
            s.execute(text("UPDATE elections SET outline = NULL WHERE id = :e"), {"e": EID})
        assert outline.quick_results(url, EID) is None
        with db.session() as s:
            s.execute(text("UPDATE elections SET outline = :o WHERE id = :e"),
                      {"o": outline_text, "e": EID})  # fmt: skip
        assert outline.quick_results(url, EID) is not None
        complaint = {"e": EID, "i": 10**9, "t": datetime.now(UTC)}
        with db.session() as s:  # complaints on the log: annulments need the stations' places
            s.execute(text("INSERT INTO log_entries (election_id, idx, kind, entry, appended_at)"
                           " VALUES (:e, :i, 'complaint', '{}', :t)"), complaint)  # fmt: skip
        assert outline.quick_results(url, EID) is None
        with db.session() as s:
            s.execute(text("DELETE FROM log_entries WHERE election_id = :e AND idx = :i"),
                      complaint)  # fmt: skip
        assert outline.quick_results(url, EID) is not None
    finally:
        db.close()
