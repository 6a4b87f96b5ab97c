"""The stations' published files recomputed on a Dask cluster's workers, a region per task.

Once the log is replayed, `achyk verify` recomputes what the log gives each station: its
district's file of the site (`data/protocols/<district>.json`: protocols, refusals, switches,
annulment) and its results (`results/stations/<region>.json`), and folds every station's rows
into the totals above them. Done by the verifying process (and its forked children) that was
as much CPU as the workers' judging of the protocols, work no added worker could share. On a
cluster each region is a task: it is sent its stations' current protocols, refusals, switches
and annulments, and the published bytes of its files; the worker (which holds the election,
built from the definition's bytes: `achyk.verify.cluster`) builds the same documents with the
same functions, compares them with the same functions, and returns the problems and the
region's share of the rows above its stations. A station is in one region and the rows above
the stations are sums over stations, so the shares added up are the rows of one fold of all
(`achyk.domain.tally.fold_rows`). The verdicts, and the order they are listed in, are those of
`check_station_files` and of the verifying process's own fold.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol
from achyk.domain.published import differences, station_results_document, station_results_path
from achyk.domain.station_files import (
    STATION_INDEX,
    Current,
    Switch,
    district_document,
    station_index_document,
)
from achyk.domain.tabulation import Level, Tabulation
from achyk.domain.tally import (
    Key,
    UnitIndex,
    Vectors,
    annulled_counts,
    fold_rows,
    station_source,
    unit_index,
)
from achyk.verify.by_region import Held
from achyk.verify.cluster import Ready, on_worker
from achyk.verify.parallel import Far, Judged
from achyk.verify.replay import Replay
from achyk.verify.source import RecordSource
from achyk.verify.station_files import district_problems, station_files

Published = bytes | KeyError  # a file's bytes, or why they could not be read
Sent = tuple[int, str, str | None, str | None, Protocol] | tuple[int, str, None, None, None]
STATION = Level.STATION.value


@dataclass(frozen=True)
class RegionTask:
    """What a worker needs of one region, sent as one object."""

    region_id: str
    # station → its slots' current protocols, in slot order, as `Current`'s fields (plain
    # tuples pickle in a fraction of a dataclass's time); a protocol the worker judged and keeps
    # (`achyk.verify.by_region.Held`) is not sent: its index alone, the rest None
    current: dict[str, list[Sent]]
    refused: dict[str, list[tuple[int, list[str]]]]
    switches: dict[str, list[Switch]]
    annulled: dict[str, Annulment]
    districts: dict[str, tuple[str, Published]]  # path → (district id, its published bytes)
    results: Published  # results/stations/<region>.json


@dataclass(frozen=True)
class RegionChecked:
    """A region's outcome: each district file's problems and whether it was read, the station
    results' differences, the rows above its stations; or what either part raised (raised again
    by the verifying process where it would have raised it itself)."""

    districts: dict[str, tuple[list[str], bool] | Exception]
    results: list[str] | Exception
    above: dict[Key, Vectors] = field(default_factory=dict)


def published_diffs(path: str, data: Published, computed: Any, prefix: str) -> list[str]:
    """How the published file at `path` (its bytes) differs from the document recomputed."""
    try:
        if isinstance(data, KeyError):
            raise data
        published = json.loads(data)
    except (KeyError, ValueError) as err:
        return [f"{path}: missing or malformed: {err}"]
    if published == computed:  # (in C; the same verdict as `differences` finding none)
        return []
    return [prefix + d for d in differences(published, computed)]


def read(src: RecordSource, path: str) -> Published:
    try:
        return src.read(path)
    except KeyError as err:
        return err


# A worker's unit index (the geography as tabulation sees it), built once per definition.
_index: tuple[str, UnitIndex] | None = None
_indexing = threading.Lock()


def _index_on_worker(election: Election, digest: str) -> UnitIndex:
    global _index
    with _indexing:
        if _index is None or _index[0] != digest:
            _index = None
            _index = (digest, unit_index(election))
        return _index[1]


def _current(c: Sent, kept: Mapping[int, Judged]) -> Current:
    if c[4] is not None:
        return Current(*c)
    judged = kept[c[0]]  # judged here, kept since (`achyk.verify.by_region`)
    assert isinstance(judged.protocol, Protocol)
    return Current(c[0], c[1], judged.device_id, judged.signature, judged.protocol)


def check_region(
    election: Election, index: UnitIndex, task: RegionTask, kept: Mapping[int, Judged]
) -> RegionChecked:
    """One region's district files and station results, as the verifying process checks them;
    `kept`: the region's protocol entries judged on this worker, by log index."""
    region = next(r for r in election.regions if r.id == task.region_id)
    districts = {d.id: d for d in region.districts}
    current = {station: [_current(c, kept) for c in mine]
               for station, mine in task.current.items()}  # fmt: skip
    found: dict[str, tuple[list[str], bool] | Exception] = {}
    for path, (district_id, data) in task.districts.items():
        try:
            computed = district_document(election, region, districts[district_id], current,
                                         task.refused, task.switches, task.annulled)  # fmt: skip
            found[path] = district_problems(path, data, computed)
        except Exception as err:
            found[path] = err
    try:
        protocols = [c.protocol for mine in current.values() for c in mine]
        rows = fold_rows(index, election, protocols, task.annulled)
        counts = annulled_counts(index, task.annulled)
        tab = Tabulation(election.id, {}, station_source(index, election, lambda: rows, counts),
                         index.stations_under, annulled=task.annulled)  # fmt: skip
        path = station_results_path(region.id)
        computed = station_results_document(election, tab, region)
        results: list[str] | Exception = published_diffs(path, task.results, computed, f"{path}: ")
    except Exception as err:
        return RegionChecked(found, err)
    return RegionChecked(found, results, {k: v for k, v in rows.items() if k[0] != STATION})


def _region_task(
    definition: bytes, digest: str, held: Held | None, task: RegionTask
) -> RegionChecked:
    election = on_worker(definition, digest)
    kept = {} if held is None else held.judged
    return check_region(election, _index_on_worker(election, digest), task, kept)


@dataclass(frozen=True)
class Regions:
    """Every region's outcome, put together in the order the verifying process lists them."""

    station_files: tuple[list[str], int] | Exception  # problems in path order, files read
    station_results: list[str] | Exception  # in region order
    above: dict[Key, Vectors]  # the rows above the stations, summed over the regions


def _add(into: dict[Key, Vectors], rows: Mapping[Key, Vectors]) -> None:
    for key, vectors in rows.items():
        held = into.get(key)
        into[key] = vectors if held is None else [
            [a + b for a, b in zip(x, y, strict=True)] for x, y in zip(held, vectors, strict=True)
        ]  # fmt: skip


def _tasks(
    src: RecordSource,
    files: Mapping[str, str],
    election: Election,
    state: Replay,
    annulled: Mapping[str, Annulment],
    by_path: dict[str, tuple[list[str], bool] | Exception],
) -> Iterator[RegionTask]:
    """Each region's task, made (and its files read) only as it is about to be sent; the station
    files no region holds (the stations' index, a district not in the definition) go to
    `by_path` at once, as `check_station_files` finds them."""
    region_of = {st.id: r.id for r in election.regions for d in r.districts for st in d.stations}
    district_region = {d.id: r.id for r in election.regions for d in r.districts}
    # As `current_by_station` gives them, by region.
    current: dict[str, dict[str, list[Sent]]] = {}
    signers, signatures = state.signers.get, state.signatures.get
    for index, digest, p in state.slots.values():
        station = p.station_id
        sent: Sent = ((index, digest, None, None, None) if isinstance(p, Far)
                      else (index, digest, signers(index), signatures(index), p))  # fmt: skip
        current.setdefault(region_of[station], {}).setdefault(station, []).append(
            sent
        )  # (KeyError for a station in no region: as the fold's)
    paths: dict[str, list[tuple[str, str]]] = {}
    for path, name in station_files(files, election):
        if name == STATION_INDEX:
            by_path[path] = district_problems(path, read(src, path),
                                              station_index_document(election))  # fmt: skip
        elif name in district_region:
            paths.setdefault(district_region[name], []).append((path, name))
        else:
            by_path[path] = ([f"{path}: no district {name!r} in the definition"], False)
    for region in election.regions:
        stations = {st.id for d in region.districts for st in d.stations}
        yield RegionTask(
            region.id, current.pop(region.id, {}),
            {s: v for s, v in state.refused.items() if s in stations},
            {s: v for s, v in state.switches.items() if s in stations},
            {s: v for s, v in annulled.items() if s in stations},
            {path: (name, read(src, path)) for path, name in paths.get(region.id, [])},
            read(src, station_results_path(region.id)),
        )  # fmt: skip


def check_regions(
    ready: Ready,
    src: RecordSource,
    files: Mapping[str, str],
    election: Election,
    state: Replay,
    annulled: Mapping[str, Annulment],
    held: Mapping[str, Any],
) -> Regions:
    """Every region checked on the cluster's workers, a few regions in flight at once (so that
    neither all the published files nor all the tasks are held at once); `held`: region → the
    future of its protocol entries judged and kept on a worker (`achyk.verify.by_region`), where
    its check then runs."""
    client = ready.client
    where = client.who_has(list(held.values())) if held else {}

    def submit(task: RegionTask) -> Any:
        kept = held.get(task.region_id)
        workers = list(where.get(kept.key, ())) if kept is not None else []
        data = client.scatter(
            task, direct=True, hash=False, workers=workers or None
        )  # straight to the worker, beside `kept`
        return client.submit(_region_task, ready.definition, ready.digest, kept, data,
                             pure=False)  # fmt: skip

    by_path: dict[str, tuple[list[str], bool] | Exception] = {}
    above: dict[Key, Vectors] = {}
    results: list[str] | Exception = []
    pending: deque[Any] = deque()
    tasks = _tasks(src, files, election, state, annulled, by_path)

    def take(outcome: RegionChecked) -> None:
        nonlocal results
        by_path.update(outcome.districts)
        if isinstance(outcome.results, Exception):
            results = results if isinstance(results, Exception) else outcome.results
        elif not isinstance(results, Exception):
            results += outcome.results
        _add(above, outcome.above)

    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= 2 * ready.workers:
            take(pending.popleft().result())
    while pending:
        take(pending.popleft().result())
    problems: list[str] = []
    checked = 0
    for path in sorted(by_path):  # as `check_station_files` goes, raising where it would
        found = by_path[path]
        if isinstance(found, Exception):
            return Regions(found, results, above)
        problems += found[0]
        checked += found[1]
    return Regions((problems, checked), results, above)
