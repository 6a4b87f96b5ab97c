"""What `achyk results` shows, apart from its command line (cli.results).

A fresh `achyk results` must answer in well under a second. Typer parses its options through
pydantic (a tenth of a second to import and build), so when every option is one of this
command's own, written plainly, `plain_options` reads them here and cli.main calls `show`
directly: neither typer nor pydantic nor SQLAlchemy is imported (services.outline). Anything
else — `--help`, an unknown option, a value not among the choices — goes through typer as ever,
which answers or names the problem.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any

from achyk.domain.definition import Contest, ContestKind
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import ContestResult, Level
from achyk.errors import NotFoundError
from achyk.services.outline import quick_results

# Only this module and what it imports at the top load for `achyk results`, which must answer in
# well under a second: SQLAlchemy, pydantic and the rest load only when the quick way
# (services.outline.quick_results) cannot answer, or for the station level.


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


def show(
    level: Level = Level.NATIONAL,
    contest: str | None = None,
    output: Format = Format.TABLE,
    database: str | None = None,
    election: str | None = None,
) -> None:
    """Results at a level, with turnout, % of stations reported, scanner beside hand count."""
    # Above the stations the outline is enough: no need to build 100,000 stations' definitions,
    # nor (most often) to load SQLAlchemy to read it.
    # The units this command shows: the nation (and its seats: the regions, for a threshold
    # there) and the level asked for.
    levels = {Level.NATIONAL, Level.REGION, level}
    quick = quick_results(database, election, levels) if level is not Level.STATION else None
    if quick is not None:
        e, tab, imported = quick.election, quick.tabulation, quick.imported
    else:
        from achyk.cli.common import open_db
        from achyk.services.import_results import is_imported
        from achyk.services.results import outline_results
        from achyk.services.results import results as compute_results

        db = open_db(database)
        e, tab = (compute_results if level is Level.STATION else outline_results)(db, election)
        imported = is_imported(db, e.id)
    if imported:
        from achyk.cli.consoles import console  # rich: not for JSON or CSV alone

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
            from achyk.domain.published import seats_document

            doc["seats"] = [
                {"contest": s.contest_id, **seats_document(s)} for s in all_list_seats(e, tab)
            ]
            _echo(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
            return
        for chunk in _csv(units) if output is Format.CSV else _json(doc, units):
            _echo(chunk)
        return
    from achyk.cli.consoles import console
    from achyk.cli.render import level_table, result_table, seats_table  # rich's tables

    if level is Level.NATIONAL and national is not None:
        console.print(result_table(chosen, national))
        for seats in all_list_seats(e, tab):
            c = e.contest(seats.contest_id)
            assert c is not None
            console.print(seats_table(c, seats))
    else:
        console.print(level_table(e, tab, chosen, level))


def _echo(text: str) -> None:
    """`typer.echo(text, nl=False)`: on a UTF-8 stream, the text written and flushed; anything
    else (another encoding, an escape code to strip off a terminal) through typer itself."""
    out = sys.stdout
    encoding = str(getattr(out, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    if "\x1b" in text or encoding != "utf8":
        import typer

        typer.echo(text, nl=False)
        return
    out.write(text)
    out.flush()


_OPTIONS = {"--level": "level", "--contest": "contest", "--format": "output",
            "--database": "database", "--election": "election"}  # fmt: skip
_CHOICES: dict[str, dict[str, Any]] = {
    "level": {lv.value: lv for lv in Level},
    "output": {f.value: f for f in Format},
}


def plain_options(args: Sequence[str]) -> dict[str, Any] | None:
    """`show`'s arguments from the command line after `results`, read as typer reads them, when
    each is one of its options given once (`--level region` or `--level=region`) with a plain
    value (a choice exactly as listed); else None and typer reads them."""
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # a shell asks to complete the command line: click answers
    found: dict[str, Any] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _OPTIONS or _OPTIONS[name] in found:
            return None
        if not eq:
            if i + 1 == len(args):
                return None
            i += 1
            value = args[i]
        if not value or value.startswith("-"):
            return None
        key = _OPTIONS[name]
        choices = _CHOICES.get(key)
        if choices is not None:
            if value not in choices:
                return None
            found[key] = choices[value]
        else:
            found[key] = value
        i += 1
    return found
