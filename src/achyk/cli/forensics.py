"""`achyk forensics integers|plots|flags` — the published screens, on a CSV or a loaded election.

A CSV has the columns `station,voters,issued,received,leader` (and optionally `stratum`); without
a FILE the command reads the loaded election (`--election`, default the last loaded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.errors import InputError, Problem

if TYPE_CHECKING:
    from achyk.forensics.stations import Stations

# numpy, scipy and matplotlib are imported by the commands that use them, so that every other
# `achyk` command starts as fast as before.

app = typer.Typer(help="Election forensics: integer peaks, figures, flagged stations.",
                  no_args_is_help=True)  # fmt: skip

FileArgument = Annotated[
    Path | None,
    typer.Argument(help="CSV with station,voters,issued,received,leader (default: an election).",
                   show_default=False),
]  # fmt: skip
ContestOption = Annotated[
    str | None, typer.Option(help="Contest id (default: the party list).", show_default=False)
]
BinOption = Annotated[float, typer.Option("--bin", help="Integer bin width, percentage points.")]


def _stations(
    file: Path | None, database: str | None, election: str | None, contest: str | None
) -> tuple[Stations, set[str]]:
    """The table, and the stations whose protocols break a control relation (flagged as such)."""
    from achyk.formats.stations_csv import read_stations

    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(str(file), [Problem("file", str(err))]) from err
        return read_stations(text, str(file)), set()
    from achyk.services.forensics import election_forensics

    f = election_forensics(open_db(database), election, contest)
    if f.imported:
        err_console.print(f"election {f.election.id}: imported, not signed", highlight=False)
    return f.table.stations, set(f.broken)


def integers(
    file: FileArgument = None,
    bin_: BinOption = 0.1,
    replicates: Annotated[int, typer.Option(help="Binomial replicates of the null.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the replicates (reproducible).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    contest: ContestOption = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Integer-percentage peaks against the binomial null (Kobak et al. 2016)."""
    from achyk.forensics.integers import integer_peaks

    stations, _ = _stations(file, database, election, contest)
    r = integer_peaks(stations, bin_, replicates, seed)
    if as_json:
        typer.echo(json.dumps(r.to_json()))
        return
    table = Table(
        "", "observed", "expected (null)", "99.9th percentile", title="Integer percentages"
    )
    table.add_row("turnout", str(r.integer_turnout), f"{r.expected_turnout:.1f}", "")
    table.add_row("leader's share", str(r.integer_share), f"{r.expected_share:.1f}", "")
    table.add_row("either", str(r.integer_either), f"{r.expected_either:.1f}",
                  f"{r.p999_either:.1f}")  # fmt: skip
    table.add_row("multiple of 5 %", str(r.round5_either), f"{r.expected_round5:.1f}",
                  f"{r.p999_round5:.1f}")  # fmt: skip
    console.print(table)
    verdict = "ABOVE the null's 99.9th percentile" if r.significant else "within the null"
    console.print(f"{r.included} of {r.stations} stations counted; excess {r.excess:+.1f}, "
                  f"p = {r.p_value:.4f}: {verdict}.")  # fmt: skip


def plots(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the figures into.")],
    file: FileArgument = None,
    bin_: BinOption = 0.1,
    contest: ContestOption = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Write the figures (turnout, share, comet, fingerprint) as SVG and PNG."""
    from achyk.forensics.figures import FIGURES, FORMATS, render

    stations, _ = _stations(file, database, election, contest)
    out.mkdir(parents=True, exist_ok=True)
    for name in FIGURES:
        for fmt in FORMATS:
            (out / f"{name}.{fmt}").write_bytes(render(stations, name, fmt, bin_=bin_))
    console.print(f"wrote {len(FIGURES) * len(FORMATS)} figures to {out}")


def flags(
    file: FileArgument = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    contest: ContestOption = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Stations the screens single out, and why. A flag is a reason to look, not a finding."""
    from achyk.forensics.flags import station_flags

    stations, broken = _stations(file, database, election, contest)
    found = station_flags(stations, broken)
    if as_json:
        typer.echo(json.dumps([
            {"station": f.station, "stratum": f.stratum, "reasons": list(f.reasons),
             "strong": f.strong, "turnout": round(f.turnout, 2), "share": round(f.share, 2)}
            for f in found
        ]))  # fmt: skip
        return
    table = Table("station", "stratum", "turnout %", "share %", "reasons", title="Flagged stations")
    for f in found:
        table.add_row(f.station, f.stratum, f"{f.turnout:.1f}", f"{f.share:.1f}",
                      ", ".join(f.reasons))  # fmt: skip
    console.print(table)


app.command("integers")(integers)
app.command("plots")(plots)
app.command("flags")(flags)
