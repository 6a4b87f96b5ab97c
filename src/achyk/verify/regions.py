"""The stations' published files recomputed on a Dask cluster's workers, a region per task.

Once the log is replayed, `achyk verify` recomputes what the log gives each station: its
district's file of the site (`data/protocols/<district>.json`: protocols, refusals, switches,
annulment) and its results (`results/stations/<region>.json`), and folds every station's rows
into the totals above them. Done by the verifying process (and its forked children) that was
as much CPU as the workers' judging of the protocols, work no added worker could share. On a
cluster each region is a task on the worker that judged its protocol entries and keeps them
(`achyk.verify.by_region`), which was also sent the published bytes of its files: the task names
its stations' current protocols (by log index, where the worker has them; whole where the replay
judged them), refusals, switches and annulments; the worker (which holds the election,
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
from collections.abc import Callable, Container, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
from achyk.verify.cluster import Ready, on_worker
from achyk.verify.parallel import Far, Judged
from achyk.verify.replay import Replay
from achyk.verify.source import RecordSource
from achyk.verify.station_files import district_problems, station_files

if TYPE_CHECKING:
    from achyk.verify.by_region import Held

Published = bytes | KeyError  # a file's bytes, or why they could not be read
Sent = tuple[int, str, str | None, str | None, Protocol] | tuple[int, str, None, None, None]
# a region's district files, path → (district id, its published bytes), and the published bytes
# of its stations' results (results/stations/<region>.json)
RegionFiles = tuple[dict[str, tuple[str, Published]], Published]
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
    # None: sent with the region's entries, and kept on the worker (`achyk.verify.by_region`)
    files: RegionFiles | None


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
    election: Election,
    index: UnitIndex,
    task: RegionTask,
    kept: Mapping[int, Judged],
    files: RegionFiles,
) -> RegionChecked:
    """One region's district files and station results, as the verifying process checks them;
    `kept`: the region's protocol entries judged on this worker, by log index; `files`: the
    region's published files."""
    region = next(r for r in election.regions if r.id == task.region_id)
    districts_published, results_published = files
    districts = {d.id: d for d in region.districts}
    current = {station: [_current(c, kept) for c in mine]
               for station, mine in task.current.items()}  # fmt: skip
    found: dict[str, tuple[list[str], bool] | Exception] = {}
    for path, (district_id, data) in districts_published.items():
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
        results: list[str] | Exception = published_diffs(path, results_published, computed,
                                                         f"{path}: ")  # fmt: skip
    except Exception as err:
        return RegionChecked(found, err)
    return RegionChecked(found, results, {k: v for k, v in rows.items() if k[0] != STATION})


def _region_task(
    definition: bytes, digest: str, held: Held | None, sent: RegionFiles | None, task: RegionTask
) -> RegionChecked:
    election = on_worker(definition, digest)
    kept = {} if held is None else held.judged
    files = task.files if task.files is not None else sent
    assert files is not None
    return check_region(election, _index_on_worker(election, digest), task, kept, files)


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


class PublishedFiles:
    """Each region's published station files, read from the record: the district files the
    manifest lists (by the district's region) and the region's stations' results. The files no
    region holds (the stations' index, a district not in the definition) are `others`."""

    def __init__(self, src: RecordSource, files: Mapping[str, str], election: Election) -> None:
        self.src = src
        district_region = {d.id: r.id for r in election.regions for d in r.districts}
        self.paths: dict[str, list[tuple[str, str]]] = {}
        self.others: list[tuple[str, str]] = []
        for path, name in station_files(files, election):
            if name in district_region and name != STATION_INDEX:
                self.paths.setdefault(district_region[name], []).append((path, name))
            else:
                self.others.append((path, name))

    def of(self, region_id: str) -> RegionFiles:
        src = self.src
        return ({path: (name, read(src, path)) for path, name in self.paths.get(region_id, [])},
                read(src, station_results_path(region_id)))  # fmt: skip


def _tasks(
    published: PublishedFiles,
    sent: Container[str],
    election: Election,
    state: Replay,
    annulled: Mapping[str, Annulment],
    by_path: dict[str, tuple[list[str], bool] | Exception],
) -> Iterator[RegionTask]:
    """Each region's task (its files read here unless the region is in `sent`: sent with its
    entries); the station files no region holds go to `by_path` at once, as
    `check_station_files` finds them."""
    # As `current_by_station` gives them, by region.
    current: dict[str, dict[str, list[Sent]]] = {}
    signers, signatures = state.signers.get, state.signatures.get
    for index, digest, p in state.slots.values():
        station = p.station_id
        sent_: Sent = ((index, digest, None, None, None) if isinstance(p, Far)
                       else (index, digest, signers(index), signatures(index), p))  # fmt: skip
        place = election.place(station)
        if place is None:  # a station in no region: as the fold raises
            raise KeyError(station)
        current.setdefault(place.region_id, {}).setdefault(station, []).append(sent_)
    for path, name in published.others:
        if name == STATION_INDEX:
            by_path[path] = district_problems(path, read(published.src, path),
                                              station_index_document(election))  # fmt: skip
        else:
            by_path[path] = ([f"{path}: no district {name!r} in the definition"], False)
    for region in election.regions:
        stations = {st.id for d in region.districts for st in d.stations}
        yield RegionTask(
            region.id, current.pop(region.id, {}),
            {s: v for s, v in state.refused.items() if s in stations},
            {s: v for s, v in state.switches.items() if s in stations},
            {s: v for s, v in annulled.items() if s in stations},
            None if region.id in sent else published.of(region.id),
        )  # fmt: skip


def check_regions(
    ready: Ready,
    published: PublishedFiles,
    election: Election,
    state: Replay,
    annulled: Mapping[str, Annulment],
    held: Mapping[str, Any],
    sent: MutableMapping[str, Any],
) -> Callable[[], Regions]:
    """Every region's check sent to the cluster's workers at once, and a function that waits for
    their outcomes. `held`: region → the future of its protocol entries judged and kept on a
    worker (`achyk.verify.by_region`), where its check then runs; `sent`: region → the future of
    its published files, sent there (the others' are read here and sent now), let go once
    checked."""
    client = ready.client
    where = client.who_has(list(held.values())) if held else {}
    by_path: dict[str, tuple[list[str], bool] | Exception] = {}
    to: dict[str | None, list[RegionTask]] = {}  # worker (None: any) → its regions' tasks
    for task in _tasks(published, sent, election, state, annulled, by_path):
        kept = held.get(task.region_id)
        workers = where.get(kept.key, ()) if kept is not None else ()
        to.setdefault(next(iter(workers), None), []).append(task)
    futures: dict[str, Any] = {}
    for worker, tasks in to.items():  # straight to the worker, beside `kept`: one call for all
        data = client.scatter(tasks, direct=True, hash=False,
                              workers=None if worker is None else [worker])  # fmt: skip
        # Pinned there: a task stolen by another worker would have its protocols sent over.
        at = {} if worker is None else {"workers": [worker], "allow_other_workers": False}
        for task, d in zip(tasks, data, strict=True):
            futures[task.region_id] = client.submit(
                _region_task, ready.definition, ready.digest, held.get(task.region_id),
                sent.get(task.region_id), d, pure=False, **at,
            )  # fmt: skip
    del to

    def outcome() -> Regions:
        above: dict[Key, Vectors] = {}
        results: list[str] | Exception = []
        for region in election.regions:  # (in region order, as the one process lists them)
            checked: RegionChecked = futures.pop(region.id).result()
            sent.pop(region.id, None)  # (its bytes no longer held by the worker)
            by_path.update(checked.districts)
            if isinstance(checked.results, Exception):
                results = results if isinstance(results, Exception) else checked.results
            elif not isinstance(results, Exception):
                results += checked.results
            _add(above, checked.above)
        problems: list[str] = []
        count = 0
        for path in sorted(by_path):  # as `check_station_files` goes, raising where it would
            found = by_path[path]
            if isinstance(found, Exception):
                return Regions(found, results, above)
            problems += found[0]
            count += found[1]
        return Regions((problems, count), results, above)

    return outcome
