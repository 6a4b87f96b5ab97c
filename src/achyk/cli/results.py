"""`achyk results [--level region] [--contest C] [--format table|json|csv]`."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.cli.render import level_table, result_table, seats_table
from achyk.domain.definition import Contest, ContestKind
from achyk.domain.published import seats_document
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import ContestResult, Level
from achyk.errors import NotFoundError
from achyk.services.import_results import is_imported
from achyk.services.results import outline_results
from achyk.services.results import results as compute_results


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def unit_document(contest: Contest, r: ContestResult) -> dict[str, Any]:
    """One unit's figures; null where a figure does not exist (no scanner or hand count)."""
    c = r.counted
    return {
        "level": r.unit.level.value, "unit": r.unit.id, "name": r.unit.name,
        "parent": r.unit.parent, "contest": contest.id,
        "stations_expected": r.stations_expected, "stations_reported": c.stations,
        "reported_pct": str(r.reported_pct), "registered": r.registered,
        "voters_on_list": c.voters_on_list, "issued": c.issued,
        "turnout_pct": str(r.turnout_pct), "found": c.found, "invalid": c.invalid,
        "valid": c.valid, "base": r.base_kind.value, "base_total": r.base,
        "options": [
            {"option": o, "votes": n, "share_pct": str(r.share_pct(o)),
             "scanner": r.scanner.votes_for(o) if r.scanner.stations else None,
             "hand": r.hand.votes_for(o) if r.hand.stations else None}
            for o, n in c.votes
        ],
    }  # fmt: skip


def _csv(units: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One row per unit, one column per option's votes and share (wide), a row at a time: the
    100,000 rows of the station level are never all held as documents and text at once."""
    head = ["level", "unit", "name", "stations_reported", "stations_expected", "registered",
            "voters_on_list", "issued", "turnout_pct", "invalid", "valid", "base_total"]  # fmt: skip
    first = next(units, None)
    options = [o["option"] for o in first["options"]] if first is not None else []
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head + [f"{o}{suffix}" for o in options for suffix in ("", " %")])
    for u in itertools.chain([first] if first is not None else [], units):
        shares = {o["option"]: (o["votes"], o["share_pct"]) for o in u["options"]}
        w.writerow([u[k] for k in head] + [x for o in options for x in shares[o]])
        if out.tell() > _CHUNK:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


_CHUNK = 1 << 20
_UNITS = "\x00units\x00"  # where the units go in the JSON document's text


def _json(doc: dict[str, Any], units: Iterator[dict[str, Any]]) -> Iterator[str]:
    """`json.dumps(doc | {"units": [...]}, indent=2)` and a newline, a unit at a time."""
    first = next(units, None)
    if first is None:
        yield json.dumps({**doc, "units": []}, ensure_ascii=False, indent=2) + "\n"
        return
    text = json.dumps({**doc, "units": [_UNITS]}, ensure_ascii=False, indent=2)
    before, after = text.split(json.dumps(_UNITS))
    yield before
    for i, u in enumerate(itertools.chain([first], units)):
        # Each unit nested two levels deep, as the whole document's dump writes it.
        yield ("" if i == 0 else ",\n    ") + json.dumps(u, ensure_ascii=False, indent=2).replace(
            "\n", "\n    "
        )
    yield after + "\n"


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
    db = open_db(database)
    # Above the stations the outline is enough: no need to build 100,000 stations' definitions.
    e, tab = (compute_results if level is Level.STATION else outline_results)(db, election)
    if is_imported(db, e.id):
        console.print(f"[bold yellow]{e.id}: imported, not signed[/bold yellow] — copied from a "
                      "publication; no station device signed these protocols")  # fmt: skip
    chosen = (
        e.contest(contest)
        if contest
        else next((c for c in e.contests if c.kind is ContestKind.PARTY_LIST), e.contests[0])
    )
    if chosen is None:
        raise NotFoundError(f"no contest {contest!r} in election {e.id}")
    national = tab.national(chosen.id)
    if output is not Format.TABLE:
        rows = sorted(tab.at_level(level, chosen.id), key=lambda r: r.unit.id)
        units = (unit_document(chosen, r) for r in rows)
        doc: dict[str, Any] = {"election": e.id, "contest": chosen.id, "level": level.value}
        if output is Format.JSON and level is Level.NATIONAL:
            doc["units"] = list(units)
            doc["seats"] = [
                {"contest": s.contest_id, **seats_document(s)} for s in all_list_seats(e, tab)
            ]
            typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
            return
        for chunk in _csv(units) if output is Format.CSV else _json(doc, units):
            typer.echo(chunk, nl=False)
        return
    if level is Level.NATIONAL and national is not None:
        console.print(result_table(chosen, national))
        for seats in all_list_seats(e, tab):
            c = e.contest(seats.contest_id)
            assert c is not None
            console.print(seats_table(c, seats))
    else:
        console.print(level_table(e, tab, chosen, level))
