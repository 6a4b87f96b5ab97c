"""`achyk election load FILE`, `achyk election list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.formats.definition import definition_hash, load_election
from achyk.services.elections import list_elections
from achyk.services.elections import load_election as store_election

app = typer.Typer(help="Election definitions.", no_args_is_help=True)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="The election definition (YAML or JSON).")],
    database: DatabaseOption = None,
) -> None:
    """Validate a definition file and store it; every error names its path in the file."""
    election = load_election(file)
    loaded = store_election(open_db(database), election)
    verb = "loaded" if loaded.created else "already loaded (same definition)"
    console.print(
        f"election {loaded.election_id} {verb}: {election.station_count()} stations, "
        f"{len(election.contests)} contests; definition hash {loaded.definition_hash}"
    )


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The election definition (YAML or JSON).")],
) -> None:
    """Validate a definition without storing anything (a dry run of `load`): every problem, with
    its line, in one report; prints the definition hash that `load` would log."""
    election = load_election(file)
    console.print(
        f"{file}: valid — election {election.id}, {election.station_count()} stations, "
        f"{len(election.contests)} contests; definition hash {definition_hash(election)}"
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
