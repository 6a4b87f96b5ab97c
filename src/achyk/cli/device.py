"""`achyk device switch|keygen`: a failed scanner replaced by its backup; a device's key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.ledger.note import NoteError, check_key_name, format_signer_key
from achyk.services.protocols import record_device_switch
from achyk.signing import public_key_b64

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


@app.command("keygen")
def keygen(
    device: Annotated[str, typer.Option("--id", help="The device id, as in the definition.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (0600).")],
) -> None:
    """Make a device's Ed25519 key; prints the line for the definition's `devices`.

    The private key stays on the device (and with whoever installs it): it never goes to the
    server. The file is a signer key, PRIVATE+KEY+<device id>+<key id>+<key>.
    """
    try:
        check_key_name(device)
    except NoteError as err:
        err_console.print(f"[red]--id {device!r}: {err}[/red]")
        raise typer.Exit(2) from None
    if out.exists():
        err_console.print(f"[red]{out} exists: not overwritten[/red]")
        raise typer.Exit(2)
    private = Ed25519PrivateKey.generate()
    out.write_text(format_signer_key(device, private) + "\n", encoding="utf-8")
    out.chmod(0o600)
    # Plain, unwrapped: the line is pasted into the definition.
    typer.echo(f"{{id: {device}, role: scanner, public_key: {public_key_b64(private)}}}")
