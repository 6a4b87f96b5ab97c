"""`achyk seats VOTES.csv --seats N [--method hare|dhondt|sainte-lague] [--threshold PCT] ...`.

Seat allocation from a plain vote table, without a database: the same arithmetic the CEC's
certification uses, so anyone can redo it from published figures.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from achyk.domain.definition import Method
from achyk.domain.seats import SeatAllocation, SeatRules, allocate_seats, format_pct
from achyk.errors import InputError, Problem
from achyk.formats.votes_csv import VotesTable, read_votes_csv


def _percent(text: str, option: str) -> Decimal:
    """'5', '5%', '0.5' → Decimal; parsed exactly, never through a float."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > 100:
        raise InputError("options", [Problem(option, f"'{text}' is not a percentage 0–100")])
    return value


def _method(text: str) -> Method:
    try:
        return Method(text.strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in Method)
        raise InputError(
            "options", [Problem("--method", f"'{text}': use one of {names}")]
        ) from None


def _as_json(table: VotesTable, result: SeatAllocation, rules: SeatRules, base: int | None) -> str:
    document = {
        "seats": result.as_dict(),
        "qualified": list(result.qualified),
        "excluded": dict(result.excluded),
        "capped": list(result.capped),
        "votes": table.votes(),
        "rules": {
            "seats": rules.seats,
            "method": rules.method.value,
            "threshold_pct": str(rules.threshold_pct),
            "region_threshold_pct": str(rules.region_threshold_pct),
            "cap": rules.cap,
            "base": base if base is not None else sum(table.votes().values()),
            "base_kind": "voted" if base is not None else "valid",
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _as_table(
    table: VotesTable, result: SeatAllocation, rules: SeatRules, given_base: int | None
) -> Table:
    votes = table.votes()
    base = given_base if given_base is not None else sum(votes.values())
    reasons = dict(result.excluded)
    title = (
        f"{rules.seats} seats, {rules.method.value}, threshold {rules.threshold_pct}%"
        + (f", {rules.region_threshold_pct}% in every region" if rules.region_threshold_pct else "")
        + (f", cap {rules.cap}" if rules.cap is not None else "")
    )
    out = Table(title=title)
    out.add_column("Party")
    out.add_column("Votes", justify="right")
    out.add_column("% of base", justify="right")
    out.add_column("Seats", justify="right")
    out.add_column("Note")
    for party, n in result.seats:
        note = reasons.get(party, "held at the cap" if party in result.capped else "")
        # Truncated, as everywhere (results, site, the threshold notes): never "5.00%" beside
        # "4.99% < 5%" for the same party.
        share = format_pct(Fraction(votes[party] * 100, base)) if base else "—"
        out.add_row(party, f"{votes[party]:,}", share, str(n), note)
    kind = "all who voted" if given_base is not None else "the votes in the table"
    out.caption = f"% of {base:,} ({kind})"
    return out


def seats(
    votes_csv: Annotated[
        Path, typer.Argument(help="CSV with columns party,votes or party,region,votes.")
    ],
    seats: Annotated[int, typer.Option("--seats", help="Seats to allocate.")],
    method: Annotated[
        str, typer.Option("--method", help="hare (largest remainder), dhondt or sainte-lague.")
    ] = "hare",
    threshold: Annotated[
        str, typer.Option("--threshold", help="National threshold in percent, e.g. 5.")
    ] = "0",
    region_threshold: Annotated[
        str,
        typer.Option(
            "--region-threshold",
            help="Threshold in percent a party must reach in every region (needs a region column).",
        ),
    ] = "0",
    cap: Annotated[int | None, typer.Option("--cap", help="Most seats one party may hold.")] = None,
    base: Annotated[
        int | None,
        typer.Option(
            "--base",
            help="Total who voted (invalid ballots included), the % base; default: sum of votes.",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Allocate seats from a vote table by the law's method, threshold and cap."""
    try:
        rules = SeatRules(
            seats=seats,
            method=_method(method),
            threshold_pct=_percent(threshold, "--threshold"),
            region_threshold_pct=_percent(region_threshold, "--region-threshold"),
            cap=cap,
        )
        table = read_votes_csv(votes_csv)
        result = allocate_seats(
            table.votes(), rules, base_total=base, region_votes=table.region_votes()
        )
    except InputError as err:  # CsvError is an InputError
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    if json_output:
        typer.echo(_as_json(table, result, rules, base))
        return
    Console().print(_as_table(table, result, rules, base))
