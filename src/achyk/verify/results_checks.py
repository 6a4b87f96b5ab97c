"""The published results, the flagged protocols and the published files, as `achyk verify`
reports them: the report itself, the steps its two paths (forked processes and a Dask cluster)
share, and the cluster's path, whose stations' part runs a region per task on the workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from achyk.domain.anomalies import anomalies_document
from achyk.domain.protocol import Protocol
from achyk.domain.published import results_document
from achyk.domain.tabulation import Tabulation
from achyk.domain.tally import folded_tabulation, unit_index
from achyk.ledger.merkle import HashAt
from achyk.verify.by_region import JudgedByRegion
from achyk.verify.cluster import Cluster
from achyk.verify.disputes import results_effects
from achyk.verify.entries import LogEntries
from achyk.verify.files import ManifestScan, check_manifest, check_site_figures, manifest_files
from achyk.verify.forked import Forked
from achyk.verify.regions import PublishedFiles, check_regions, published_diffs, read
from achyk.verify.remote import RemoteCheck
from achyk.verify.replay import Replay
from achyk.verify.source import RecordSource

MAX_LISTED = 20
T = TypeVar("T")


@dataclass
class Report:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    remote: RemoteCheck | None = None  # the remote-voting check's findings, for a trustee

    def add(self, name: str, problems: list[str], detail: str = "") -> None:
        shown = problems[:MAX_LISTED]
        more = f"\n… and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        self.checks.append((name, not problems, "\n".join(shown) + more if problems else detail))

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """An outcome computed ahead of where it is reported: its value, or what it raised (raised
    again there, so that a malformed record fails at the same step as before)."""

    value: T | None
    error: Exception | None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def attempt(fn: Callable[[], T]) -> Attempt[T]:
    try:
        return Attempt(fn(), None)
    except Exception as err:
        return Attempt(None, err)


def file_diffs(src: RecordSource, path: str, computed: Any, prefix: str) -> list[str]:
    """How the published file at `path` differs from the document recomputed from the log."""
    return published_diffs(path, read(src, path), computed, prefix)


def flagged_check(src: RecordSource, state: Replay) -> Attempt[tuple[list[str], str]] | None:
    """The flagged protocols' check, made now (before the protocols are let go), if the
    election's form flags any or the record publishes anomalies.json."""
    assert state.election is not None
    if state.election.form is None and not src.exists("anomalies.json"):
        return None
    return attempt(lambda: _anomalies(src, state))


def _anomalies(src: RecordSource, state: Replay) -> tuple[list[str], str]:
    """The published list of flagged protocols must be exactly the one the log and form give."""
    assert state.election is not None
    computed = anomalies_document(
        state.election.form, [(i, h, p) for i, h, p in state.current().values()]
    )
    try:
        published = json.loads(src.read("anomalies.json"))
    except (KeyError, ValueError) as err:
        return [f"anomalies.json: missing or malformed: {err}"], ""
    if published == computed:
        return [], f"{len(computed['protocols'])} flagged protocols"
    shown = {json.dumps(x, sort_keys=True) for x in published.get("protocols", [])}
    truth = {json.dumps(x, sort_keys=True) for x in computed["protocols"]}
    problems = [f"anomalies.json omits {x}" for x in sorted(truth - shown)]
    problems += [
        f"anomalies.json lists {x}, which the log does not flag" for x in sorted(shown - truth)
    ]
    return problems or ["anomalies.json differs from the list recomputed from the log"], ""


def published_and_figures(
    src: RecordSource, state: Replay, size: int, hash_at: HashAt, entries: LogEntries,
    scan: Forked[ManifestScan], tab: Tabulation,
) -> tuple[list[str], dict[str, str]]:  # fmt: skip
    """Every published file against the manifest, and the site's figures against `tab`."""
    assert state.election is not None
    problems, files = check_manifest(src, set(state.rejections), size, hash_at, entries,
                                     scan.result())  # fmt: skip
    return problems + check_site_figures(src, files, state.election, tab), files


def report_results(
    report: Report,
    say: Progress,
    diffs: list[str],
    folded_count: int,
    flagged: Attempt[tuple[list[str], str]] | None,
    published: Attempt[tuple[list[str], dict[str, str]]],
    stations: Callable[[], tuple[list[str], int]],
) -> None:
    """The results, the flagged protocols and the published files reported, in this order, by
    either path; `stations`: the district files' problems and how many were recomputed."""
    report.add("published results and seats recomputed from the log", diffs,
               f"{folded_count} protocols folded")  # fmt: skip
    if flagged is not None:
        report.add("anomalies the protocol form flags, recomputed from the log",
                   *flagged.result())  # fmt: skip
    say("published files")
    problems, files = published.result()
    station_problems, district_files = stations()
    report.add("every published file recomputed or in manifest.json; site figures from the log",
               problems + station_problems, f"{len(files)} files in the manifest, "
               f"{district_files} station files recomputed")  # fmt: skip


def results_on_cluster(
    cluster: Cluster,
    src: RecordSource,
    report: Report,
    say: Progress,
    state: Replay,
    size: int,
    hash_at: HashAt,
    entries: LogEntries,
    scan: Forked[ManifestScan],
    judged: JudgedByRegion,
) -> None:
    """The results and the station files checked as the forked path checks them, with the
    stations' part — district files, stations' results, the fold of every station — done a
    region per task on the cluster's workers (achyk.verify.regions), beside the protocols they
    judged and kept (achyk.verify.by_region), and the rest here."""
    election = state.election
    assert election is not None
    annulled, waiting = results_effects(state.disputes, election)
    say("results")
    folded_count = len(state.slots)
    flagged = flagged_check(src, state)
    published = judged.published or PublishedFiles(src, manifest_files(src), election)
    outcome = check_regions(cluster.ready(), published, election, state, annulled, judged.held,
                            judged.files)  # fmt: skip
    index = unit_index(election)  # while the workers check the regions
    regions = outcome()

    def protocols() -> Iterator[Protocol]:  # (fetched from the workers only if asked for)
        yield from state.protocols()

    # The rows above the stations are the workers' sums; the protocols are folded here only if
    # a station's result is asked for (a site that publishes the station level, a NIST report).
    tab = folded_tabulation(election, protocols(), annulled, waiting, above=regions.above,
                            index=index)  # fmt: skip
    diffs = file_diffs(src, "results.json", results_document(election, tab), "")

    figures = attempt(lambda: published_and_figures(src, state, size, hash_at, entries, scan, tab))
    cluster.close()
    if isinstance(regions.station_results, Exception):
        raise regions.station_results
    diffs += regions.station_results

    def stations() -> tuple[list[str], int]:
        if isinstance(regions.station_files, Exception):
            raise regions.station_files
        return regions.station_files

    report_results(report, say, diffs, folded_count, flagged, figures, stations)
