"""What every command shares: the database option, consoles, and turning errors into exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from achyk.cli.consoles import console, err_console

if TYPE_CHECKING:  # imported when a command opens it: `achyk results` may never (store.bare)
    from achyk.store.database import Database

__all__ = ["DatabaseOption", "ElectionOption", "console", "err_console", "open_db"]

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
    from achyk.store.database import Database

    return Database.open(url)
