"""`achyk protocol submit FILE…`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.domain.bounded_json import split_array
from achyk.domain.correction import sign_correction
from achyk.ledger.note import parse_signer_key
from achyk.services.protocols import (
    Outcome,
    correct_protocol,
    current_protocol_hash,
    submit_protocols,
)

app = typer.Typer(help="Station protocols.", no_args_is_help=True)


def _submissions(path: Path) -> list[tuple[str, bytes]]:
    """A file holds one envelope or a JSON list of them (a batch from a district commission);
    each item is kept as the bytes it was written with and judged on its own."""
    raw = path.read_bytes()
    items = split_array(raw)
    if items is None:
        return [(path.name, raw)]
    return [(f"{path.name}[{i}]", item) for i, item in enumerate(items)]


@app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="Signed protocol envelopes (JSON).")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Submit protocols. Rejected ones are kept as evidence; exit code 1 if any was refused."""
    subs: list[tuple[str, bytes]] = []
    refused = 0
    for f in files:
        try:
            subs += _submissions(f)
        except OSError as err:  # the others are still submitted
            refused += 1
            err_console.print(f"[red]{f}: cannot be read: {err.strerror or err}[/red]",
                              highlight=False)  # fmt: skip
    receipts = submit_protocols(open_db(database), election, subs) if subs else []
    for r in receipts:
        if r.outcome in (Outcome.REJECTED, Outcome.CONFLICT):
            refused += 1
            err_console.print(f"[red]{r.describe()}[/red]", highlight=False)
        else:
            console.print(r.describe(), highlight=False)
    if refused:
        raise typer.Exit(1)


@app.command("correct")
def correct(
    file: Annotated[Path, typer.Argument(help="The corrected protocol (a protocol JSON object).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: published with the correction.")],
    key: Annotated[Path, typer.Option("--key", help="The CEC authority's signer key file.")],
    supersedes: Annotated[
        str | None, typer.Option(help="Hash of the protocol corrected (default: the current one).")
    ] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """File a signed, reasoned correction: a new log entry; the old protocol stays on the record."""
    db = open_db(database)
    doc = json.loads(file.read_text(encoding="utf-8"))
    authority, private = parse_signer_key(key.read_text(encoding="utf-8").strip())
    if supersedes is None:
        supersedes = current_protocol_hash(
            db, election, str(doc.get("station")), str(doc.get("contest")), str(doc.get("kind"))
        )
    envelope = sign_correction(private, authority, doc, supersedes, reason)
    receipt = correct_protocol(db, election, json.dumps(envelope).encode(), file.name)
    if receipt.outcome is not Outcome.ACCEPTED:
        err_console.print(f"[red]{receipt.describe()}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(f"{receipt.describe()} (correction: {reason})", highlight=False)
