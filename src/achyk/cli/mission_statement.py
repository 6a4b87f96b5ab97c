"""`achyk mission statement …` and `achyk mission member`: a mission's statements and its people.

The mission's key file never leaves the mission's machine: `member` signs a membership for an
analyst or admin (whose own key then signs their requests to the mission's area), and `statement
issue` signs the statement document the analysts edited and logs it. `draft` starts a document from
the mission's data on the record; `edit` replaces a section's paragraphs in one language; `render`
prints an issued statement as HTML or PDF in any of its languages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.errors import InputError, Problem
from achyk.ledger.note import parse_signer_key
from achyk.observers import signing as sig
from achyk.observers.members import BY_MISSION, membership
from achyk.observers.model import ObserverError
from achyk.observers.statement import KINDS, check_document, edit
from achyk.services.observers.record import record_many
from achyk.services.observers.statements import draft_statement, issued_statements

statement = typer.Typer(help="A mission's preliminary statement and final report.",
                        no_args_is_help=True)  # fmt: skip


def _key(path: Path) -> Ed25519PrivateKey:
    try:
        return parse_signer_key(path.read_text(encoding="utf-8").strip())[1]
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InputError(str(path), [Problem("", f"not a readable key file: {err}")]) from None


def _document(path: Path) -> dict[str, Any]:
    try:
        return check_document(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ObserverError) as err:
        raise InputError(str(path), [Problem("", f"not a statement document: {err}")]) from None


def _write(doc: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def member(
    key: Annotated[Path, typer.Option("--key", help="The mission's key file (or an admin's).")],
    mission: Annotated[str, typer.Option("--mission")],
    name: Annotated[str, typer.Option("--name", help="The member's name in the mission.")],
    role: Annotated[str, typer.Option("--role", help="admin or analyst.")],
    member_key: Annotated[str, typer.Option("--member-key", help="The member's public key.")],
    by: Annotated[str, typer.Option("--by", help="'mission', or the signing admin's name.")] = (
        BY_MISSION
    ),
) -> None:
    """Sign a membership on the mission's machine; POST it to …/missions/{mission}/members."""
    typer.echo(json.dumps(membership(_key(key), mission, name, role, member_key, by)))


@statement.command("draft")
def draft_cmd(
    mission: Annotated[str, typer.Option("--mission")],
    kind: Annotated[str, typer.Option("--kind", help=" or ".join(KINDS))] = "preliminary",
    languages: Annotated[str, typer.Option("--languages", help="Comma-separated.")] = "en,ru",
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """A first draft from the mission's published data, in the ODIHR structure."""
    langs = [x.strip() for x in languages.split(",") if x.strip()]
    db = open_db(database)
    _write(draft_statement(db, election, mission, kind, langs), out)


@statement.command("edit")
def edit_cmd(
    file: Annotated[Path, typer.Argument(help="The statement document (rewritten in place).")],
    section: Annotated[str, typer.Option("--section", help="A section id, e.g. conclusions.")],
    lang: Annotated[str, typer.Option("--lang")],
    text: Annotated[Path, typer.Option("--text", help="Paragraphs separated by blank lines.")],
) -> None:
    """Replace a section's paragraphs in one language (a new section id adds a section)."""
    doc = _document(file)
    paragraphs = [p.strip() for p in text.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    try:
        _write(edit(doc, section, lang, paragraphs), file)
    except ObserverError as err:
        raise InputError(str(file), [Problem(section, str(err))]) from None
    console.print(f"{file}: {section} ({lang}) has {len(paragraphs)} paragraphs")


@statement.command("issue")
def issue_cmd(
    file: Annotated[Path, typer.Argument(help="The statement document the analysts edited.")],
    key: Annotated[Path, typer.Option("--key", help="The mission's key file (stays here).")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Sign the statement with the mission's key and log it (`mission-statement`)."""
    envelope = sig.mission_statement(_key(key), _document(file))
    [result] = record_many(open_db(database), election, "mission-statement", [envelope])
    if result.index is None:
        err_console.print(f"[red]refused (kept as evidence): {'; '.join(result.refused)}[/red]")
        raise typer.Exit(1)
    console.print(f"statement issued: log entry {result.index}")


@statement.command("render")
def render_cmd(
    mission: Annotated[str, typer.Option("--mission")],
    entry: Annotated[
        int | None, typer.Option("--entry", help="Log entry (default: the last).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """An issued statement as HTML or PDF in one of its languages."""
    from achyk.web.statement import render_html, render_pdf

    rows = issued_statements(open_db(database), election, mission)
    found = next((s for s in reversed(rows) if entry is None or s.index == entry), None)
    if found is None or fmt not in ("html", "pdf"):
        raise typer.BadParameter(f"no issued statement of {mission} (format html or pdf)")
    languages = found.document["languages"]
    html = render_html(
        found.document, str(lang if lang in languages else languages[0]), found.index
    )
    if fmt == "html" and out is None:
        typer.echo(html)
        return
    data = html.encode() if fmt == "html" else render_pdf(html)
    target = out or Path(f"{mission}-{found.kind}.{fmt}")
    target.write_bytes(data)
    console.print(f"{target}: {len(data):,} bytes")
