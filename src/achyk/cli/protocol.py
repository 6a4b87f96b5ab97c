"""`achyk protocol submit FILE…`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.services.protocols import Outcome, submit_protocols

app = typer.Typer(help="Station protocols.", no_args_is_help=True)


def _submissions(path: Path) -> list[tuple[str, bytes]]:
    raw = path.read_bytes()
    # A file may hold one envelope or a JSON list of them (a batch from a district commission).
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [(path.name, raw)]
    if isinstance(doc, list):
        return [
            (f"{path.name}[{i}]", json.dumps(item, ensure_ascii=False).encode())
            for i, item in enumerate(doc)
        ]
    return [(path.name, raw)]


@app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="Signed protocol envelopes (JSON).")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Submit protocols. Rejected ones are kept as evidence; exit code 1 if any was refused."""
    subs = [s for f in files for s in _submissions(f)]
    receipts = submit_protocols(open_db(database), election, subs)
    refused = 0
    for r in receipts:
        if r.outcome in (Outcome.REJECTED, Outcome.CONFLICT):
            refused += 1
            err_console.print(f"[red]{r.describe()}[/red]", highlight=False)
        else:
            console.print(r.describe(), highlight=False)
    if refused:
        raise typer.Exit(1)
