"""`achyk device switch`: record that a failed scanner was replaced by a registered backup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.errors import AchykError, InputError, Problem
from achyk.services.protocols import record_device_switch

app = typer.Typer(help="Station counting devices (ASU) and their backups.", no_args_is_help=True)

FIELDS = ("station_id", "from_device", "to_device", "reason")


def read_switches(path: Path) -> list[tuple[str, str, str, str]]:
    """A JSON list of {station_id, from_device, to_device, reason} (what `achyk generate` writes);
    every malformed item is named before anything is recorded."""
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(str(path), [Problem("", f"not a readable JSON file: {err}")]) from None
    if not isinstance(doc, list):
        raise InputError(str(path), [Problem("", "expected a JSON list of switches")])
    problems: list[Problem] = []
    out: list[tuple[str, str, str, str]] = []
    for i, item in enumerate(doc):
        missing = [f for f in FIELDS if not isinstance(item, dict) or not isinstance(item.get(f), str) or not item[f].strip()]  # fmt: skip
        if missing:
            problems.append(Problem(f"[{i}]", f"needs text for {', '.join(missing)}"))
            continue
        out.append((item["station_id"], item["from_device"], item["to_device"], item["reason"]))
    if problems:
        raise InputError(str(path), problems)
    return out


@app.command("switch")
def switch(
    station: Annotated[str | None, typer.Option("--station", help="Station id.")] = None,
    from_device: Annotated[str | None, typer.Option("--from", help="The failed device.")] = None,
    to_device: Annotated[str | None, typer.Option("--to", help="The registered backup.")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="What happened, for the record.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Many switches: a JSON list, as `achyk generate` writes."),
    ] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """From now on the backup's signature counts for this station (one switch, or --file)."""
    one = (station, from_device, to_device, reason)
    if file is None and not all(one):
        raise typer.BadParameter("give --station, --from, --to and --reason, or --file")
    if file is not None and any(one):
        raise typer.BadParameter("give either --file or one switch's options, not both")
    switches = read_switches(file) if file else [(station, from_device, to_device, reason)]
    db = open_db(database)
    refused = 0
    for st, old, new, why in switches:
        assert st and old and new and why
        try:
            record_device_switch(db, election, st, old, new, why)
        except AchykError as err:
            refused += 1
            err_console.print(f"[red]station {st}: {old} → {new} refused: {err}[/red]")
            continue
        console.print(f"station {st}: {old} → {new} recorded ({why})")
    if file is not None:
        console.print(f"{len(switches) - refused} switches recorded, {refused} refused")
    if refused:
        raise typer.Exit(1)
