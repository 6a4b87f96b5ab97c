"""A fresh process starts light: no Alembic when the schema is at its head, and `achyk results`
imports only its own command. Each shortcut must answer exactly as the long way would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from achyk.store import database
from achyk.store.database import MIGRATIONS, Database, _at_head, _head_revision, make_engine


def test_the_head_read_from_the_files_is_alembic_s() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert _head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_behind_its_head_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    assert not _at_head(engine)  # a new file: no alembic_version table yet
    Database.open(url).close()
    assert _at_head(engine)
    with engine.begin() as c:  # as before 0015 (an index) and 0019 (outlines) were applied
        c.execute(text("DROP INDEX ix_log_entries_election_kind"))
        c.execute(text("UPDATE alembic_version SET version_num = '0018'"))
    assert not _at_head(engine)
    database.migrate(engine)  # Alembic runs and applies them
    assert _at_head(engine)
    engine.dispose()


def test_results_alone_imports_no_other_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    Database.open(url).close()
    code = (
        "import sys; sys.argv = ['achyk', 'results', '--database', sys.argv[1]]\n"
        "from achyk.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('achyk.cli.', 'alembic', 'scipy'))))\n"
        "print(sorted(m for m in sys.modules if m in ('sqlalchemy', 'pydantic', 'typer')))"
    )
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                         check=True)  # fmt: skip
    loaded, frameworks = out.stdout.strip().splitlines()[-2:]
    assert "no election is loaded" in out.stderr
    # Nor SQLAlchemy, pydantic or typer: the quick way (cli.results_view, services.outline).
    assert loaded == str(["achyk.cli.consoles", "achyk.cli.main", "achyk.cli.results_view"])
    assert frameworks == "[]"
