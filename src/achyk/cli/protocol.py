"""`achyk protocol submit [--dry-run]|check|sign|send|correct`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.cli.transmit import protocol_request, send, sign_protocol
from achyk.domain.bounded_json import split_array
from achyk.domain.correction import sign_correction
from achyk.errors import InputError, Problem
from achyk.ledger.note import NoteError, parse_signer_key
from achyk.services.ingest import ingest_protocols
from achyk.services.ledger import log_size
from achyk.services.protocols import (
    Outcome,
    Receipt,
    correct_protocol,
    current_protocol_hash,
    examine_protocols,
)
from achyk.store.database import Database

app = typer.Typer(help="Station protocols.", no_args_is_help=True)


def _submissions(path: Path) -> list[tuple[str, bytes]]:
    """A file holds one envelope or a JSON list of them (a batch from a district commission);
    each item is kept as the bytes it was written with and judged on its own."""
    if path.suffix == ".jsonl":  # one envelope a line, each kept as the bytes received
        with path.open("rb") as f:
            lines = [line.rstrip(b"\r\n") for line in f]
        return [(f"{path.name}:{n}", line) for n, line in enumerate(lines, start=1) if line.strip()]
    raw = path.read_bytes()
    items = split_array(raw)
    if items is None:
        return [(path.name, raw)]
    return [(f"{path.name}[{i}]", item) for i, item in enumerate(items)]


@app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="Signed protocol envelopes (JSON).")],
    refusals: Annotated[
        Path, typer.Option(help="Where a bulk submit writes its refusals (JSON lines).")
    ] = Path("refusals.jsonl"),
    each: Annotated[bool, typer.Option("--each", help="One line per protocol.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Examine only: say what would be accepted, flagged or "
            "refused, and write nothing (no log entry, no evidence).",
        ),
    ] = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Submit protocols. Rejected ones are kept as evidence; exit code 1 if any was refused.

    One protocol: its receipt. Many: one summary line with the count of each outcome, and the
    refusals, every reason included, in the --refusals file. A file that cannot be read is named
    and the others are still submitted. With --dry-run nothing is written (a typo stays private).
    """
    subs, unreadable = _read_all(files)
    db = open_db(database)
    if dry_run:
        receipts = examine_protocols(db, election, subs) if subs else []
    else:
        # examined in worker processes, written in batches by one writer (services/ingest.py)
        receipts = list(ingest_protocols(db, election, subs)) if subs else []
    refused = [r for r in receipts if r.outcome in (Outcome.REJECTED, Outcome.CONFLICT)]
    if each or len(receipts) == 1 or (dry_run and refused):
        for r in receipts:
            text = _would(r) if dry_run else r.describe()
            if r in refused:
                err_console.print(f"[red]{text}[/red]", highlight=False, soft_wrap=True)
            elif each or len(receipts) == 1:
                console.print(text, highlight=False, soft_wrap=True, markup=False)
    if (len(receipts) > 1 and not each) or (dry_run and receipts):
        counts = {o: sum(1 for r in receipts if r.outcome is o) for o in Outcome}
        flagged = sum(1 for r in receipts if r.flags)
        line = f"{len(receipts):,} protocols: " + ", ".join(
            f"{counts[o]:,} {'would be ' if dry_run else ''}{o.value}" for o in Outcome
        )
        if flagged:
            line += f" ({flagged:,} {'would be ' if dry_run else ''}accepted with flags)"
        if dry_run:
            line += "; dry run: nothing was written"
        elif refused:
            with refusals.open("w", encoding="utf-8") as out:
                for r in refused:
                    out.write(json.dumps(_refusal(r), ensure_ascii=False) + "\n")
            line += f"; refusals in {refusals}"
        console.print(line, highlight=False, soft_wrap=True)
    if refused or unreadable:
        raise typer.Exit(1)


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Signed protocol envelopes (JSON).")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Examine protocols exactly as `submit` would, and write nothing (`submit --dry-run`)."""
    submit(files, Path("refusals.jsonl"), each=True, dry_run=True, database=database,
           election=election)  # fmt: skip


def _read_all(files: list[Path]) -> tuple[list[tuple[str, bytes]], int]:
    """The submissions in `files`, and how many files could not be read (each is named)."""
    subs: list[tuple[str, bytes]] = []
    unreadable = 0
    for f in files:
        try:
            subs += _submissions(f)
        except OSError as err:
            unreadable += 1
            err_console.print(f"[red]{f}: cannot be read: {err.strerror or err}[/red]",
                              highlight=False)  # fmt: skip
    return subs, unreadable


def _would(r: Receipt) -> str:
    """A dry run's receipt: what would happen, every reason and flag with it."""
    where = f"station {r.station_id}" if r.station_id else r.source
    slot = f" {r.contest_id}/{r.kind}" if r.contest_id else ""
    outcome = "would be accepted with flags" if r.flags else f"would be {r.outcome.value}"
    if r.outcome is Outcome.DUPLICATE:
        outcome = "already accepted (a duplicate: nothing would change)"
    return (
        f"{where}{slot}: {outcome}"
        + "".join(f"\n  {p}" for p in r.problems)
        + "".join(f"\n  flagged: {p}" for p in r.flags)
    )


def _protocol_document(file: Path) -> dict[str, Any]:
    """The corrected protocol: a JSON object naming its station, contest and kind, or a named error
    (not "no accepted None protocol for station None" after the fact)."""
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(str(file), [Problem("", f"not a readable JSON file: {err}")]) from None
    if isinstance(doc, dict) and "protocol" in doc and "signature" in doc:
        raise InputError(
            str(file),
            [
                Problem(
                    "",
                    "this is a signed envelope; give the protocol object itself (its 'protocol')",
                )
            ],
        )
    if not isinstance(doc, dict):
        raise InputError(str(file), [Problem("", "expected a protocol JSON object")])
    missing = [k for k in ("station", "contest", "kind") if not isinstance(doc.get(k), str)]
    if missing:
        raise InputError(str(file), [Problem(k, "required (text)") for k in missing])
    return doc


def _refusal(r: Receipt) -> dict[str, Any]:
    return {"source": r.source, "outcome": r.outcome.value, "station": r.station_id,
            "contest": r.contest_id, "kind": r.kind, "log_index": r.log_index,
            "problems": [str(p) for p in r.problems]}  # fmt: skip


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
    doc = _protocol_document(file)
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


def _device_key(key: Path) -> tuple[str, Any]:
    try:
        return parse_signer_key(key.read_text(encoding="utf-8").strip())
    except (OSError, NoteError) as err:
        err_console.print(f"[red]--key {key}: {err}[/red]")
        raise typer.Exit(2) from None


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        err_console.print(f"[red]{file}: {err}[/red]")
        raise typer.Exit(2) from None


@app.command("sign")
def sign_command(
    file: Annotated[Path, typer.Argument(help="The protocol (a protocol JSON object).")],
    key: Annotated[Path, typer.Option("--key", help="The device's key (achyk device keygen).")],
    out: Annotated[Path | None, typer.Option("--out", help="Default: print it.")] = None,
) -> None:
    """Sign a protocol as the station's device: the envelope `protocol submit` and `send` take."""
    device, private = _device_key(key)
    doc = _read_json(file)
    if not isinstance(doc, dict):
        err_console.print(f"[red]{file}: a protocol is a JSON object[/red]")
        raise typer.Exit(2)
    text = json.dumps(sign_protocol(private, device, doc), ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


@app.command("send")
def send_command(
    file: Annotated[Path, typer.Argument(help="A protocol, or an envelope signed by this device.")],
    server: Annotated[str, typer.Option("--server", help="The CEC server, e.g. https://…")],
    key: Annotated[Path, typer.Option("--key", help="The device's key (achyk device keygen).")],
    retries: Annotated[
        int, typer.Option(help="Resends of the same request if the answer is lost.")
    ] = 3,
) -> None:
    """Transmit over HTTP, signed by the device; prints the receipt. Exit 1 if refused."""
    device, private = _device_key(key)
    doc = _read_json(file)
    if not isinstance(doc, dict):
        err_console.print(f"[red]{file}: a protocol or an envelope is a JSON object[/red]")
        raise typer.Exit(2)
    envelope = doc if "signature" in doc else sign_protocol(private, device, doc)
    protocol = envelope.get("protocol")
    if not isinstance(protocol, dict) or not all(
        isinstance(protocol.get(k), str) for k in ("election", "station")
    ):
        err_console.print(f"[red]{file}: the protocol names no election and station[/red]")
        raise typer.Exit(2)
    try:
        status, answer = send(protocol_request(server, private, device, envelope), retries=retries)
    except httpx.HTTPError as err:
        err_console.print(f"[red]{server}: {err}[/red]")
        raise typer.Exit(1) from None
    outcome = answer.get("outcome")
    if outcome in ("accepted", "duplicate"):
        where = f"log entry {answer['log_index']}" if answer.get("log_index") is not None else ""
        console.print(f"station {protocol['station']} {protocol.get('contest')}/"
                      f"{protocol.get('kind')}: {outcome} {where} "
                      f"{answer.get('document_hash', '')}".rstrip(), highlight=False,
                      soft_wrap=True)  # fmt: skip
        for flag in answer.get("flags", []):
            console.print(f"  flagged: {flag}", highlight=False, soft_wrap=True)
        return
    reasons = answer.get("problems") or [answer.get("detail")]
    err_console.print(f"[red]HTTP {status}: {outcome or 'refused'}[/red]", highlight=False)
    for reason in reasons:
        err_console.print(f"  {reason}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)


def show_dry_run(db: Database, election_id: str, source: str, raw: bytes) -> None:
    """The demo's line for `protocol check`: a refused protocol examined again, nothing written."""
    before = log_size(db, election_id)
    [receipt] = examine_protocols(db, election_id, [(source, raw)])
    after = log_size(db, election_id)
    console.print(f"dry run ([bold]achyk protocol check[/bold]) {_would(receipt)}",
                  highlight=False, soft_wrap=True)  # fmt: skip
    console.print(f"  nothing written: the log holds {after:,} entries, as before ({before:,})",
                  highlight=False)  # fmt: skip
