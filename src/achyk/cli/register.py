"""`achyk register import FILE`, `register move`, `register moves FILE` (Form 2), `register stats`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.domain.register import ELECTION_TZ
from achyk.formats.moves_csv import parse_moves_csv
from achyk.services.register import import_register_csv, load_secret, register_stats
from achyk.services.register_moves import MoveRecord, MovesRefused, move_voter, move_voters

app = typer.Typer(
    help="The voter register: import, Form 2 moves, statistics.", no_args_is_help=True
)

SecretOption = Annotated[
    Path | None,
    typer.Option(
        "--secret-file",
        help="The CEC's register secret (default: $ACHYK_REGISTER_SECRET_FILE).",
        show_default=False,
    ),
]


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="Register CSV: personal_number,name,birth_date,station,country")
    ],
    election: ElectionOption = None,
    secret_file: SecretOption = None,
    database: DatabaseOption = None,
) -> None:
    """Import a register (all or nothing); personal numbers are stored only as keyed hashes."""
    secret = load_secret(secret_file)
    text = file.read_text(encoding="utf-8")
    db = open_db(database)
    try:
        report = import_register_csv(db, election, text, secret, source=str(file))
    finally:
        db.close()
    c = report.commitment
    console.print(
        f"imported {c.count} voters at {len(c.voters_per_station)} stations into "
        f"{report.election_id}\nregister root {c.merkle_root}"
        + (f"\nlogged as entry {report.log_index}" if report.log_index is not None else ""),
        highlight=False,
    )


TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="The date of the application, YYYY-MM-DD (default: today in Bishkek/Astana).",
        show_default=False,
    ),
]


def _today(value: str | None) -> date:
    if value is None:
        return datetime.now(ELECTION_TZ).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not YYYY-MM-DD", param_hint="--today") from None


def _moved(record: MoveRecord) -> str:
    return (
        f"moved from station {record.from_station} to station {record.to_station} "
        f"(log entry {record.log_index})"
    )


@app.command("move")
def move(
    personal_number: Annotated[
        str, typer.Argument(help="The voter's PIN (14) or IIN (12 digits).")
    ],
    to: Annotated[str, typer.Option("--to", help="The station the voter will vote at.")],
    election: ElectionOption = None,
    secret_file: SecretOption = None,
    database: DatabaseOption = None,
    today: TodayOption = None,
) -> None:
    """Form 2: a voter votes at another station, at home or abroad (until the eve of the day)."""
    day = _today(today)
    secret = load_secret(secret_file)
    db = open_db(database)
    try:
        record = move_voter(db, election, personal_number, to, secret, today=day,
                            subject="Form 2 (achyk register move)")  # fmt: skip
    except MovesRefused as err:
        err_console.print(f"[red]refused:[/red] {err.reasons}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        db.close()
    console.print(_moved(record), highlight=False)


@app.command("moves")
def moves(
    file: Annotated[
        Path,
        typer.Argument(help="Form 2 CSV: personal_number,to_station", exists=True, dir_okay=False),
    ],
    election: ElectionOption = None,
    secret_file: SecretOption = None,
    database: DatabaseOption = None,
    today: TodayOption = None,
) -> None:
    """Form 2 moves from a file, all or nothing; every refused line is named."""
    day = _today(today)
    secret = load_secret(secret_file)
    requests = parse_moves_csv(file.read_text(encoding="utf-8"), source=str(file))
    db = open_db(database)
    try:
        records = move_voters(db, election, requests, secret, today=day, subject=str(file))
    finally:
        db.close()
    for request, record in zip(requests, records, strict=True):
        console.print(f"{request.where}: {_moved(record)}", highlight=False)
    console.print(f"{len(records)} voters moved", highlight=False)


@app.command("stats")
def stats(election: ElectionOption = None, database: DatabaseOption = None) -> None:
    """Voters, moves, check-ins, refusals and double-vote incidents; the register's commitment."""
    db = open_db(database)
    try:
        st = register_stats(db, election)
    finally:
        db.close()
    lines = [
        f"election        {st.election_id}",
        f"voters          {st.voters} ({st.abroad} abroad)",
        f"form 2 moves    {st.moves} ({st.moves_refused} refused, kept as evidence)",
        f"check-ins       {st.checkins}",
        f"refusals        {st.refusals}",
        f"double votes    {st.double_votes}",
        f"register root   {st.merkle_root or '-'} ({st.committed_count or 0} voters committed)",
    ]
    if st.log_index is not None:
        lines.append(f"log entry       {st.log_index}")
    console.print("\n".join(lines), highlight=False)
