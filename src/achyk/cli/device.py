"""`achyk device switch`: record that a failed scanner was replaced by a registered backup."""

from __future__ import annotations

from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.services.protocols import record_device_switch

app = typer.Typer(help="Station counting devices (ASU) and their backups.", no_args_is_help=True)


@app.command("switch")
def switch(
    station: Annotated[str, typer.Option("--station", help="Station id.")],
    from_device: Annotated[str, typer.Option("--from", help="The failed device.")],
    to_device: Annotated[str, typer.Option("--to", help="The registered backup.")],
    reason: Annotated[str, typer.Option("--reason", help="What happened, for the record.")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """From now on the backup's signature counts for this station."""
    record_device_switch(open_db(database), election, station, from_device, to_device, reason)
    console.print(f"station {station}: {from_device} → {to_device} recorded ({reason})")
