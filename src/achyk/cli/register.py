"""`achyk register import FILE` and `achyk register stats`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.services.register import import_register_csv, load_secret, register_stats

app = typer.Typer(help="The voter register: import, statistics.", no_args_is_help=True)

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
        f"form 2 moves    {st.moves}",
        f"check-ins       {st.checkins}",
        f"refusals        {st.refusals}",
        f"double votes    {st.double_votes}",
        f"register root   {st.merkle_root or '-'} ({st.committed_count or 0} voters committed)",
    ]
    if st.log_index is not None:
        lines.append(f"log entry       {st.log_index}")
    console.print("\n".join(lines), highlight=False)
