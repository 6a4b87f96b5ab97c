"""`achyk pvt sample-size|estimate`: the parallel vote tabulation's arithmetic, for any group.

Contracts other tools rely on (issue 12): `sample-size --json` prints {"voters": n, "stations": k};
`estimate FILE.csv --json` (columns station,votes,base) prints {"share": p, "moe": points}.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import console
from achyk.errors import InputError, Problem
from achyk.observers.model import ObserverError
from achyk.observers.pvt import ratio_estimate, sample_stations, sample_voters

app = typer.Typer(help="Parallel vote tabulation (quick count).", no_args_is_help=True)


def _confidence(value: int) -> int:
    if value not in (95, 99):
        raise typer.BadParameter("95 or 99")
    return value


@app.command("sample-size")
def sample_size(
    voters: Annotated[int, typer.Option("--voters", help="Registered voters (N).")],
    margin: Annotated[float, typer.Option("--margin", help="Margin of error, in points (0.5).")],
    confidence: Annotated[int, typer.Option("--confidence", callback=_confidence)] = 99,
    per_station: Annotated[
        int | None, typer.Option("--per-station", help="Voters per station (for the stations).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """NDI's sample size: n = p(1−p) / (e²/z² + p(1−p)/N), p = 0.5; stations = n / per-station."""
    try:
        n = sample_voters(voters, margin / 100, confidence)
        k = sample_stations(n, per_station) if per_station else None
    except ObserverError as err:
        raise InputError("sample size", [Problem("", str(err))]) from None
    if as_json:
        typer.echo(json.dumps({"voters": n, "stations": k}))
        return
    console.print(f"{n:,} voters" + (f" in {k:,} stations of {per_station:,}" if k else "")
                  + f" for ±{margin} points at {confidence} %")  # fmt: skip


def read_clusters(path: Path) -> list[tuple[float, float]]:
    """station,votes,base rows; every bad line named before anything is estimated."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), [Problem("", f"not a readable UTF-8 file: {err}")]) from None
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or not {"station", "votes", "base"} <= set(rows.fieldnames):
        raise InputError(str(path), [Problem("line 1", "the header must name station,votes,base")])
    out, problems = [], []
    for line, row in enumerate(rows, start=2):
        try:
            votes, base = int(row["votes"]), int(row["base"])
        except (TypeError, ValueError):
            problems.append(Problem(f"line {line}", "votes and base must be whole numbers"))
            continue
        if votes < 0 or base < 0 or votes > base:
            problems.append(Problem(f"line {line}", f"0 ≤ votes ≤ base required ({votes}, {base})"))
            continue
        out.append((float(votes), float(base)))
    if problems:
        raise InputError(str(path), problems)
    return out


@app.command("estimate")
def estimate(
    file: Annotated[Path, typer.Argument(help="CSV: station,votes,base per sampled station.")],
    population: Annotated[
        int | None, typer.Option("--population", help="Population total of the base (M).")
    ] = None,
    confidence: Annotated[int, typer.Option("--confidence", callback=_confidence)] = 95,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The ratio estimate Σvotes/Σbase with its margin of error (points) at 95 or 99 %."""
    clusters = read_clusters(file)
    try:
        est = ratio_estimate({"all": (None, clusters)}, confidence, population)
    except ObserverError as err:
        raise InputError(str(file), [Problem("", str(err))]) from None
    if as_json:
        typer.echo(json.dumps({"share": est.share, "moe": 100 * est.moe}))
        return
    console.print(f"{100 * est.share:.2f} % ± {100 * est.moe:.2f} points ({confidence} %, "
                  f"{est.stations} stations)")  # fmt: skip
