"""`achyk results [--level region] [--contest C]`."""

from __future__ import annotations

from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.cli.render import level_table, result_table, seats_table
from achyk.domain.definition import ContestKind
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import Level
from achyk.errors import NotFoundError
from achyk.services.results import outline_results
from achyk.services.results import results as compute_results


def results(
    level: Annotated[
        Level, typer.Option(help="Level to break the results down by.")
    ] = Level.NATIONAL,
    contest: Annotated[
        str | None, typer.Option(help="Contest id (default: the party list).")
    ] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Results at a level, with turnout, % of stations reported, scanner beside hand count."""
    db = open_db(database)
    # Above the stations the outline is enough: no need to build 100,000 stations' definitions.
    e, tab = (compute_results if level is Level.STATION else outline_results)(db, election)
    chosen = (
        e.contest(contest)
        if contest
        else next((c for c in e.contests if c.kind is ContestKind.PARTY_LIST), e.contests[0])
    )
    if chosen is None:
        raise NotFoundError(f"no contest {contest!r} in election {e.id}")
    national = tab.national(chosen.id)
    if level is Level.NATIONAL and national is not None:
        console.print(result_table(chosen, national))
        for seats in all_list_seats(e, tab):
            c = e.contest(seats.contest_id)
            assert c is not None
            console.print(seats_table(c, seats))
    else:
        console.print(level_table(e, tab, chosen, level))
