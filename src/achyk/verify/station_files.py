"""The site's district files (`data/protocols/<district>.json`) recomputed from the log.

Each station's current protocols (entry index, document hash, device, lines, votes, flags),
refusals, device switches and annulment come from the replayed log, its facts from the definition; the published file must be
the document `achyk.domain.station_files` builds from them, and any difference is named by its
path. The files are read one at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from achyk.disputes.effects import annulments
from achyk.domain.definition import District, Election, Region
from achyk.domain.published import differences
from achyk.domain.station_files import (
    STATION_INDEX,
    Current,
    district_document,
    station_index_document,
)
from achyk.verify.replay import Replay
from achyk.verify.source import RecordSource

MAX_PER_FILE = 5


def current_by_station(state: Replay) -> dict[str, list[Current]]:
    out: dict[str, list[Current]] = {}
    for index, digest, p in state.current().values():
        out.setdefault(p.station_id, []).append(
            Current(index, digest, state.signers.get(index), state.signatures.get(index), p)
        )
    return out


def _by_station(doc: object) -> object:
    """A district file with its stations keyed by id, so a difference names the station."""
    if not isinstance(doc, dict) or not isinstance(doc.get("stations"), list):
        return doc
    stations = doc["stations"]
    keyed = {f"station/{s.get('id')}" if isinstance(s, dict) else str(i): s
             for i, s in enumerate(stations)}  # fmt: skip
    order = [s.get("id") if isinstance(s, dict) else None for s in stations]
    return {**doc, "stations": keyed, "station order": order}


def station_files(files: Iterable[str], election: Election) -> list[tuple[str, str]]:
    """The station files among `files`, in path order: (path, district id), or (path,
    STATION_INDEX) for the stations' index."""
    data_dir = re.escape(f"site/e/{election.id}/data/")
    out = []
    for path in sorted(files):
        m = re.fullmatch(data_dir + r"protocols/([^/]+)\.json", path)
        if m is not None:
            out.append((path, STATION_INDEX if f"protocols/{m[1]}.json" == STATION_INDEX else m[1]))
    return out


def check_station_files(
    src: RecordSource, files: Mapping[str, str], election: Election, state: Replay
) -> tuple[list[str], int]:
    """Problems, and how many district files were recomputed."""
    districts: dict[str, tuple[Region, District]] = {
        d.id: (r, d) for r in election.regions for d in r.districts
    }
    current = current_by_station(state)
    annulled = annulments(state.disputes.docket)
    problems: list[str] = []
    checked = 0
    for path, name in station_files(files, election):
        if name == STATION_INDEX:
            computed = station_index_document(election)
        elif name in districts:
            region, district = districts[name]
            computed = district_document(
                election, region, district, current, state.refused, state.switches, annulled
            )
        else:
            problems.append(f"{path}: no district {name!r} in the definition")
            continue
        found, read = district_problems(path, _read(src, path), computed)
        problems += found
        checked += read
    return problems, checked


def _read(src: RecordSource, path: str) -> bytes | KeyError:
    try:
        return src.read(path)
    except KeyError as err:
        return err


def district_problems(
    path: str, data: bytes | KeyError, computed: object
) -> tuple[list[str], bool]:
    """How the published district file (its bytes, or why they could not be read) differs from
    the one the log gives, and whether it was read (counted as recomputed)."""
    try:
        if isinstance(data, KeyError):
            raise data
        published = json.loads(data)
    except (KeyError, ValueError) as err:
        return [f"{path}: unreadable: {err!r}"], False
    if published == computed:  # (in C; the same verdict as `differences` finding none)
        return [], True
    found = list(differences(_by_station(published), _by_station(computed)))
    problems = [f"{path}: {d}" for d in found[:MAX_PER_FILE]]
    if len(found) > MAX_PER_FILE:
        problems.append(f"{path}: … and {len(found) - MAX_PER_FILE} more differences")
    return problems, True
