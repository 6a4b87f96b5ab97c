"""`achyk results [--level region] [--contest C] [--format table|json|csv]`."""

from __future__ import annotations

from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption
from achyk.cli.results_view import Format, _csv, _json, show, unit_document
from achyk.domain.tabulation import Level

__all__ = ["Format", "_csv", "_json", "results", "unit_document"]  # (cli.results_view)


def results(
    level: Annotated[
        Level, typer.Option(help="Level to break the results down by.")
    ] = Level.NATIONAL,
    contest: Annotated[
        str | None, typer.Option(help="Contest id (default: the party list).")
    ] = None,
    output: Annotated[
        Format, typer.Option("--format", help="table (to read), json or csv (to process).")
    ] = Format.TABLE,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Results at a level, with turnout, % of stations reported, scanner beside hand count."""
    show(level, contest, output, database, election)
