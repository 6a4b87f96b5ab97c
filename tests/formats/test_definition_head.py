"""A stored definition read without pydantic (formats.definition_head) is what pydantic makes of
it, field for field; anything not in the canonical shape is left to the full reader."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from achyk.domain.definition import Authority, BoardMember, Election, Method, Option, Witness
from achyk.formats import definition as reader
from achyk.formats.definition import election_to_document
from achyk.formats.definition_head import stored_election
from achyk.formats.definition_models import _Definition
from achyk.formats.protocol_forms import preset
from achyk.services.outline import outline_of
from achyk.sim.generator import generate
from achyk.sim.profiles import KG_2025, SMALL
from factories import election

KEY = "A" * 43 + "="


def _full_way(doc: dict[str, Any]) -> Election:
    return reader._to_core(_Definition.model_validate(doc))


def _everything() -> Election:
    """Every optional part of a definition set: names, a form, authorities with a body and a
    unit, witnesses, audit boards, a seat cap, thresholds with decimals, candidates' parties."""
    e = election()
    party_list, district = e.contests
    party_list = dataclasses.replace(
        party_list, method=Method.DHONDT, threshold_pct=Decimal("5.5"),
        region_threshold_pct=Decimal("0.25"), seat_cap=4, names=(("ru", "Список"),),
        options=tuple(dataclasses.replace(o, names=(("en", o.name), ("ky", "Партия")))
                      for o in party_list.options),
    )  # fmt: skip
    district = dataclasses.replace(
        district, options=(Option("x", "Candidate X", party="a"), Option("y", "Candidate Y"))
    )
    north = dataclasses.replace(e.regions[0], names=(("ru", "Север"),), districts=tuple(
        dataclasses.replace(d, names=(("en", "N 1"),)) for d in e.regions[0].districts
    ))  # fmt: skip
    regions = (north, *e.regions[1:])
    return dataclasses.replace(
        e, contests=(party_list, district), regions=regions, names=(("ru", "Выборы"),),
        form=preset("ru-duma"), abroad_any_station=True, credential_authority="cec",
        authorities=(*e.authorities, Authority("uik-1001", "UIK 1001", KEY, "station", "1001"),
                     Authority("court", "Court", KEY, "court")),
        witnesses=(Witness("w1", "w1+abc"), Witness("w2", "w2+def")), witness_quorum=2,
        audit_boards=(BoardMember("b1", "Board 1", "a", KEY), BoardMember("b2", "B 2", "b", KEY)),
    )  # fmt: skip


CASES: dict[str, Callable[[], Election]] = {
    "factory": election,
    "everything": _everything,
    "small": lambda: generate(SMALL).election,
    "kg-2025": lambda: generate(KG_2025).election,
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_the_canonical_document_reads_as_pydantic_reads_it(make: Callable[[], Election]) -> None:
    e = make()
    doc = election_to_document(e)
    full = _full_way(copy.deepcopy(doc))
    assert full == e
    got = stored_election(copy.deepcopy(doc))
    assert got == full
    assert repr(got) == repr(full)  # Decimal("5.5") and not 5.50; the same types throughout
    outline = outline_of(doc)["definition"]  # as results above the stations read it
    assert stored_election(copy.deepcopy(outline)) == _full_way(outline)


def _set(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        at: Any = doc
        for key in path[:-1]:
            at = at[key]
        at[path[-1]] = value

    return edit


ASIDE = {
    "disputes": _set("disputes", value={"preset": "kg"}),
    "unknown key": _set("colour", value="red"),
    "threshold as a number": _set("contests", 0, "threshold_pct", value=5),
    "seats as text": _set("contests", 0, "seats", value="10"),
    "format 2": _set("format", value=2),
    "format true": _set("format", value=True),
    "abroad as 1": _set("regions", 2, "abroad", value=1),
    "unknown language": _set("election", "names", value={"de": "Wahl"}),
    "date not in the calendar": _set("election", "date", value="2025-02-30"),
    "station key unknown": _set("regions", 0, "districts", 0, "stations", 0, "voters", value="x"),
}


@pytest.mark.parametrize("edit", ASIDE.values(), ids=ASIDE.keys())
def test_anything_else_is_left_to_the_full_reader(edit: Callable[[dict[str, Any]], None]) -> None:
    doc = election_to_document(_everything())
    edit(doc)
    assert stored_election(doc) is None
