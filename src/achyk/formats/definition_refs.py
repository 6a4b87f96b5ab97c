"""A definition's references and ids, checked on the document as read, whatever its shape.

Run whether or not the shapes hold, so that one run names every problem: a candidate of a party no
list has, a contest of a district that does not exist, an authority over an unknown unit, and an id
used twice — each with its path (the file's line is added by the caller) and, for a reference, the
nearest valid name. A part whose shape is wrong (a region that is not a mapping, an id that is not
text) is skipped here: the shape check names it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from difflib import get_close_matches
from typing import Any

from achyk.errors import Problem


def nearest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest valid name, or '' when nothing is close."""
    close = get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def duplicates(items: Iterable[tuple[str, str]], what: str) -> list[Problem]:
    """One problem per id used more than once, at its first place."""
    pairs = list(items)
    counts = Counter(i for i, _ in pairs)
    seen: set[str] = set()
    problems = []
    for item_id, path in pairs:
        if counts[item_id] > 1 and item_id not in seen:
            seen.add(item_id)
            problems.append(Problem(path, f"{what} id {item_id!r} is used {counts[item_id]} times"))
    return problems


def _items(doc: Any, key: str, at: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, mapping) of each mapping in the list `doc[key]`; nothing where the shape is wrong."""
    values = doc.get(key) if isinstance(doc, Mapping) else None
    if isinstance(values, list):
        for i, value in enumerate(values):
            if isinstance(value, Mapping):
                yield f"{at}{'.' if at else ''}{key}[{i}]", value


def _ids(items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, str]]:
    return [(m["id"], f"{at}.id") for at, m in items if isinstance(m.get("id"), str)]


def _text(m: Mapping[str, Any], key: str) -> str | None:
    value = m.get(key)
    return value if isinstance(value, str) else None


def reference_problems(doc: Any, station_ids: Collection[str] = ()) -> list[Problem]:
    """Every id used twice and every reference to something the definition does not have.

    `station_ids`: stations known besides the document's (checked apart, by the fast path of
    formats.definition), which an authority's unit may name.
    """
    regions = list(_items(doc, "regions", ""))
    districts = [d for at, r in regions for d in _items(r, "districts", at)]
    stations = [s for at, d in districts for s in _items(d, "stations", at)]
    devices = [v for at, s in stations for v in _items(s, "devices", at)]
    contests = list(_items(doc, "contests", ""))
    problems: list[Problem] = []
    for at, c in contests:
        key = "candidates" if "candidates" in c and "parties" not in c else "parties"
        problems += duplicates(_ids(_items(c, key, at)), "option")
    problems += duplicates(_ids(contests), "contest")
    problems += duplicates(_ids(regions), "region")
    problems += duplicates(_ids(districts), "district")
    problems += duplicates(_ids(stations), "station")
    problems += duplicates(_ids(devices), "device")

    district_ids = {i for i, _ in _ids(districts)}
    for at, c in contests:
        named = c.get("districts")
        for di, district in enumerate(named if isinstance(named, list) else []):
            if isinstance(district, str) and district not in district_ids:
                hint = nearest(district, district_ids)
                problems.append(Problem(f"{at}.districts[{di}]", f"no district {district!r}{hint}"))
    parties = {i for at, c in contests for i, _ in _ids(_items(c, "parties", at))}
    for at, c in contests:
        for oat, o in _items(c, "candidates", at):
            party = _text(o, "party")
            if party is not None and party not in parties:
                problems.append(Problem(f"{oat}.party", f"no party {party!r} in any party list"
                                                        f"{nearest(party, parties)}"))  # fmt: skip
    units = (
        {i for i, _ in _ids(stations)}
        | set(station_ids)
        | district_ids
        | {i for i, _ in _ids(regions)}
    )
    for at, a in _items(doc, "authorities", ""):
        unit = _text(a, "unit")
        if unit is not None and unit not in units:
            problems.append(Problem(f"{at}.unit", f"no station, district or region {unit!r}"
                                                  f"{nearest(unit, units)}"))  # fmt: skip
    return problems
