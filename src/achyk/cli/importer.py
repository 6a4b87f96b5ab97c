"""`achyk import results FILE.csv --mapping MAP.yaml` — a CEC's published station-level results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, console, open_db
from achyk.errors import InputError, Problem
from achyk.services.import_results import import_results

app = typer.Typer(help="Import results published elsewhere (imported, not signed).",
                  no_args_is_help=True)  # fmt: skip


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(str(path), [Problem("file", str(err))]) from err


@app.command("results")
def results(
    file: Annotated[Path, typer.Argument(help="The CEC's station-level export (CSV).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="YAML naming the columns.")],
    database: DatabaseOption = None,
) -> None:
    """Create an election from published results: no device signatures, marked as imported."""
    report = import_results(open_db(database), _read(file), _read(mapping).decode("utf-8"),
                            file.name, str(mapping))  # fmt: skip
    console.print(
        f"election {report.election_id} imported (imported, not signed): {report.stations} "
        f"stations; {report.flagged} protocols break a control relation (kept, flagged); "
        f"{report.refused} rows refused (kept as evidence)"
    )
