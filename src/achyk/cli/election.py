"""`achyk election load FILE`, `achyk election list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.formats.definition import read_definition
from achyk.formats.definition_stations import no_cycle_collection
from achyk.services.elections import list_elections, store_definition

app = typer.Typer(help="Election definitions.", no_args_is_help=True)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="The election definition (YAML or JSON).")],
    database: DatabaseOption = None,
) -> None:
    """Validate a definition file and store it; every error names its path in the file."""
    with no_cycle_collection():
        definition = read_definition(file)
        loaded = store_definition(open_db(database), definition)
    verb = "loaded" if loaded.created else "already loaded (same definition)"
    console.print(
        f"election {loaded.election_id} {verb}: {definition.stations} stations, "
        f"{definition.contests} contests; definition hash {loaded.definition_hash}"
    )


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The election definition (YAML or JSON).")],
) -> None:
    """Validate a definition without storing anything (a dry run of `load`): every problem, with
    its line, in one report; prints the definition hash that `load` would log."""
    with no_cycle_collection():
        definition = read_definition(file)
    console.print(
        f"{file}: valid — election {definition.election_id}, {definition.stations} stations, "
        f"{definition.contests} contests; definition hash {definition.digest}"
    )


@app.command("list")
def list_(database: DatabaseOption = None) -> None:
    """The elections in the database."""
    for election_id, name, digest in list_elections(open_db(database)):
        console.print(f"{election_id}\t{name}\t{digest}")


@app.command("rotate-log-key")
def rotate_log_key(
    key: Annotated[Path, typer.Option("--key", help="The new log key file (mode 0600).")],
    reason: Annotated[str, typer.Option("--reason", help="Why; written on the log.")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Change the log's signing key, on the record (an entry both keys sign)."""
    from achyk.services.elections import get_election
    from achyk.services.ledger import rotate_log_key as rotate

    db = open_db(database)
    eid = get_election(db, election).id
    done = rotate(db, eid, key, reason)
    console.print(
        f"log entry {done.index}: the log key of {eid} is now {done.key} (was {done.previous}); "
        f"the log expects its key file at {done.key_file}",
        highlight=False,
    )
