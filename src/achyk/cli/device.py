"""`achyk device switch|keygen`: a failed scanner replaced by its backup; a device's key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.errors import AchykError, InputError, Problem
from achyk.ledger.note import NoteError, check_key_name, format_signer_key
from achyk.services.protocols import record_device_switch
from achyk.signing import public_key_b64

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
