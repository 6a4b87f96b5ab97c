"""What every command shares: the database option, consoles, and turning errors into exit codes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from achyk.store.database import Database

# soft_wrap: off a terminal (a log, a pipe) a long line (a hash, a path) stays one line.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="SQLAlchemy URL (default: $ACHYK_DATABASE_URL, else sqlite:///achyk.db).",
        show_default=False,
    ),
]
ElectionOption = Annotated[
    str | None, typer.Option("--election", help="Election id (default: the last loaded).")
]


def open_db(url: str | None) -> Database:
    return Database.open(url)
