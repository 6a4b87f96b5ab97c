"""`achyk complaint file|step|list`: complaints filed with evidence, decided on the record."""

from __future__ import annotations

import json
import mimetypes
from hashlib import sha256
from pathlib import Path
from typing import Annotated, Any

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.disputes.lifecycle import COMPLAINT_PURPOSE, signed_step
from achyk.disputes.model import Body, Category, Decision, Filer, Status, Subject
from achyk.errors import InputError, Problem
from achyk.ledger.note import parse_signer_key
from achyk.services.disputes.docket import read_docket
from achyk.services.disputes.filing import Filed, file_complaint, record_step
from achyk.services.elections import get_election
from achyk.signing import public_key_b64, sign

app = typer.Typer(help="Complaints and disputes.", no_args_is_help=True)


def _key(path: Path) -> tuple[str, Any]:
    try:
        return parse_signer_key(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), [Problem("", f"not a readable key file: {err}")]) from None


def _report(filed: Filed, what: str) -> None:
    if filed.index is None:
        err_console.print(
            f"[red]{what} refused (kept as evidence): {'; '.join(filed.refused)}[/red]"
        )
        raise typer.Exit(1)
    console.print(f"{what} recorded: log entry {filed.index}")


@app.command("file")
def file(
    facts: Annotated[str, typer.Option("--facts", help="What happened, in the filer's words.")],
    category: Annotated[Category, typer.Option("--category")],
    filer: Annotated[Filer, typer.Option("--filer", help="Who files.")],
    station: Annotated[str | None, typer.Option("--station", help="The station concerned.")] = None,
    subject: Annotated[Subject | None, typer.Option("--subject")] = None,
    body: Annotated[
        Body, typer.Option("--body", help="The commission it is filed with.")
    ] = Body.TERRITORIAL,
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="A photo, a protocol copy, …")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="The filer's signer key (observers, agents).")
    ] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """File a complaint: a log entry at once, with the SHA-256 of every evidence file."""
    files = []
    for path in evidence or []:
        try:
            content = path.read_bytes()
        except OSError as err:
            raise InputError(str(path), [Problem("", err.strerror or str(err))]) from None
        files.append(
            (path.name, mimetypes.guess_type(path.name)[0] or "application/octet-stream", content)
        )
    doc: dict[str, Any] = {
        "filer": filer.value,
        "subject": (subject or (Subject.STATION if station else Subject.ELECTION)).value,
        "station": station, "category": category.value, "facts": facts, "body": body.value,
    }  # fmt: skip
    if key is not None:
        _, private = _key(key)
        doc["filer_key"] = public_key_b64(private)
        e = get_election(open_db(database), election)
        own = {**doc, "election": e.id, "evidence": [sha256(c).hexdigest() for _, _, c in files]}
        doc["signature"] = sign(private, COMPLAINT_PURPOSE, own)
    _report(file_complaint(open_db(database), election, doc, files), "complaint")


@app.command("step")
def step(
    complaint: Annotated[int, typer.Argument(help="The complaint's log entry.")],
    status: Annotated[Status, typer.Option("--status")],
    reasons: Annotated[str, typer.Option("--reasons", help="Why: published with the step.")],
    key: Annotated[Path, typer.Option("--key", help="The deciding body's authority signer key.")],
    decision: Annotated[Decision | None, typer.Option("--decision")] = None,
    hearing: Annotated[str | None, typer.Option("--hearing", help="Date and place.")] = None,
    correction: Annotated[
        int | None, typer.Option("--correction", help="The correction's log entry.")
    ] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """A body's signed step: registered, hearing-set, decided, appealed, referred, executed, …"""
    authority, private = _key(key)
    db = open_db(database)
    e = get_election(db, election)
    envelope = signed_step(private, e.id, authority, complaint, status, reasons,
                           decision=decision, hearing=hearing, correction=correction)  # fmt: skip
    _report(record_step(db, e.id, envelope), f"{status.value} (complaint {complaint})")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """The docket: every complaint with its status, body and decision, folded from the log."""
    db = open_db(database)
    docket = read_docket(db, get_election(db, election))
    rows = [
        {"complaint": c.complaint.index, "station": c.complaint.station,
         "category": c.complaint.category.value, "filer": c.complaint.filer.value,
         "status": c.status.value, "before": c.body.value,
         "decision": c.decision.value if c.decision else None, "steps": len(c.steps)}
        for c in docket.cases.values()
    ]  # fmt: skip
    if as_json:
        console.print_json(json.dumps(rows))
        return
    for r in rows:
        console.print(
            f"#{r['complaint']}\t{r['station'] or '—'}\t{r['category']}\t{r['status']}"
            f"\t{r['before']}\t{r['decision'] or ''}"
        )
