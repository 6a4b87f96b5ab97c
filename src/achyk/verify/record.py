"""`achyk verify`: check a public election record from scratch.

Signatures, canonical encodings, the Merkle tree against the signed checkpoint, every earlier
checkpoint's consistency with it, every protocol's signature and control relations, corrections,
the justification of rejections, and the published results and seats recomputed from the log.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol
from achyk.domain.published import (
    results_document,
    station_results_document,
    station_results_path,
)
from achyk.domain.tally import folded_tabulation
from achyk.errors import AchykError, VerificationError
from achyk.ledger import tree_root, verify_checkpoint
from achyk.ledger.tiles import (
    earlier_partial_tiles,
    hash_at_from_tiles,
    verify_tiles,
)
from achyk.ledger.trust import Trust
from achyk.verify.anchors import anchors, check_quorum, definition_pin, record_witnesses
from achyk.verify.by_region import JudgedByRegion
from achyk.verify.cluster import Cluster, frozen, started
from achyk.verify.disputes import check_released, results_effects
from achyk.verify.entries import Evidence, LogEntries, load
from achyk.verify.files import (
    ManifestScan,
    manifest_files,
    scan_manifest,
)
from achyk.verify.forked import Forked
from achyk.verify.parallel import Verdicts, judged_protocols
from achyk.verify.regions import PublishedFiles
from achyk.verify.remote import check_remote
from achyk.verify.replay import Definition, replay
from achyk.verify.results_checks import (
    Progress,
    Report,
    attempt,
    file_diffs,
    flagged_check,
    published_and_figures,
    report_results,
    results_on_cluster,
)
from achyk.verify.source import RecordSource
from achyk.verify.station_files import check_station_files

T = TypeVar("T")
ROTATION = b'"kind":"log-key-rotation"'


@dataclass(frozen=True)
class LogKeys:
    """Which key signs the checkpoint of each size: the log names every change of key.

    A ``log-key-rotation`` entry at index r names the previous key and the new one; the
    checkpoint of size r + 1 carries both signatures, later ones the new key's alone.
    """

    rotations: tuple[tuple[int, str, str], ...]  # (index, previous vkey, new vkey)
    current: str
    problems: tuple[str, ...]

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[int, bytes]], current: str) -> LogKeys:
        """`entries`: (index, entry) of at least every entry that holds ROTATION."""
        rotations, problems = [], []
        for i, raw in entries:
            if ROTATION in raw:
                try:
                    e = json.loads(raw)
                    rotations.append((i, str(e["previous"]), str(e["key"])))
                except (ValueError, KeyError, TypeError):
                    problems.append(f"log entry {i}: a malformed log key rotation")
        if any(a[2] != b[1] for a, b in itertools.pairwise(rotations)):
            problems.append("the log key rotations do not follow one another")
        if rotations and rotations[-1][2] != current:
            problems.append(f"the last log key rotation hands over to {rotations[-1][2]}, "
                            f"not to the published log key {current}")  # fmt: skip
        return cls(tuple(rotations), current, tuple(problems))

    def at(self, size: int) -> str:
        for index, previous, _ in self.rotations:
            if size <= index + 1:
                return previous
        return self.current


def verify_record(
    location: str,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    trust: Trust | None = None,
) -> Report:
    """Check the record against the pinned ``trust`` (or, without one, against itself, with a
    warning); remote ballots are verified on `workers` processes or a Dask cluster.

    Never raises on a bad record: whatever is wrong is a failed check, named.
    """
    report = Report()
    step = ["record.json"]

    def say(what: str) -> None:
        step[0] = what
        if progress:
            progress(what)

    try:
        _verify(RecordSource(location), report, say, workers, scheduler, trust)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError,
            AchykError) as err:  # fmt: skip
        # A record malformed in a way no check above anticipated still fails, named, not raised.
        report.add(f"{step[0]}: malformed", [f"{type(err).__name__}: {err}"])
    return report


def _verify(
    src: RecordSource,
    report: Report,
    say: Progress,
    workers: int | None,
    scheduler: str | None,
    trust: Trust | None,
) -> None:
    # More than one process asked for: checks that need no one else's outcome run in forked
    # children beside the main line (achyk.verify.forked), each stopped if the run is cut short.
    fork = bool(scheduler) or (workers or 0) > 1
    with ExitStack() as stack:
        # The site's files hashed against manifest.json beside everything else (on another
        # core). Forked first, while this process has no other thread: a fork while the client's
        # thread starts a subprocess would hold that subprocess's pipe open in the child, and
        # the client would wait for it as long as the child waits to be read.
        scan = stack.enter_context(_forked(lambda: scan_manifest(src), fork))
        # A Dask cluster is started at once, beside the first checks (achyk.verify.cluster).
        cluster = stack.enter_context(started(scheduler)) if scheduler else None
        _verify_on(src, report, say, workers, scheduler, trust, stack, fork, scan, cluster)


def _verify_on(
    src: RecordSource,
    report: Report,
    say: Progress,
    workers: int | None,
    scheduler: str | None,
    trust: Trust | None,
    stack: ExitStack,
    fork: bool,
    scan: Forked[ManifestScan],
    cluster: Cluster | None = None,
) -> None:
    try:
        record = json.loads(src.text("record.json"))
        if not isinstance(record, dict):
            raise VerificationError("record.json is not a JSON object")
        a = anchors(record, trust)
    except (KeyError, ValueError, VerificationError) as err:
        report.add("record.json", [f"missing or malformed: {err}"])
        return
    report.warnings.extend(a.warnings)
    report.add("trust anchors: log key, origin and election as pinned", list(a.problems),
               "pinned" if trust is not None and trust.pinned else "unpinned (see WARN)")  # fmt: skip
    vkey, origin = a.log_key, a.origin

    say("checkpoint")
    try:
        note = src.text("log/checkpoint")
        cp = verify_checkpoint(note, vkey, origin=origin)
        report.add("checkpoint signature", [], f"size {cp.size}, root {cp.root.hex()}")
    except (KeyError, VerificationError) as err:
        report.add("checkpoint signature", [str(err)])
        return
    problems, summary = check_quorum(note, a)
    report.add("witness cosignatures (quorum of the pinned witnesses)", problems, summary)

    def fetch(path: str) -> bytes:
        return src.read("log/" + path)

    say("tiles")
    try:
        verify_tiles(cp.size, fetch, cp.root, entries=True)
        report.add("Merkle tree (tiles and entries) against the checkpoint", [])
    except (KeyError, VerificationError) as err:
        report.add("Merkle tree (tiles and entries) against the checkpoint", [str(err)])
        return

    say("entries")
    entries = LogEntries(cp.size, fetch)  # streamed bundle by bundle, never all held
    say("checkpoint history")
    hash_at = hash_at_from_tiles(cp.size, fetch)
    keys = LogKeys.from_entries(
        entries.containing(ROTATION), vkey
    )  # a logged rotation: older checkpoints' key
    history_problems = list(keys.problems)
    listed = src.listing("log/checkpoints")
    stated = record.get("checkpoints", [])
    sizes = sorted({int(n) for n in listed if n.isdigit()})
    for name in listed:
        if not name.isdigit() or str(int(name)) != name:
            history_problems.append(f"log/checkpoints/{name} is not named by a tree size")
    if src.remote:  # a live log grows between requests: judge it as of the checkpoint read
        sizes = [n for n in sizes if n <= cp.size]
    stated_set = set(map(str, stated)) if isinstance(stated, list) else None
    shown = set(map(str, sizes))
    if stated_set is None or not (stated_set <= shown if src.remote else stated_set == shown):
        history_problems.append("record.json's checkpoints list is not the checkpoints published "
                                "under log/checkpoints/")  # fmt: skip
    if cp.size not in sizes:
        history_problems.append(f"the latest checkpoint (size {cp.size}) is not among "
                                "log/checkpoints/")  # fmt: skip
    for n in sizes:
        path = f"log/checkpoints/{n}"
        if n > cp.size:
            history_problems.append(f"{path} is ahead of the latest checkpoint ({cp.size})")
            continue
        try:
            old = verify_checkpoint(src.text(path), keys.at(n), origin=origin)
            if old.size != n:
                history_problems.append(f"{path} states size {old.size}")
            elif old.size and tree_root(old.size, hash_at) != old.root:
                history_problems.append(f"{path}: root at size {n} is not a prefix of this log")
        except (KeyError, VerificationError) as err:
            history_problems.append(f"{path}: {err}")
    if not src.remote:  # (a live server makes them on request)
        for t in sorted(earlier_partial_tiles(cp.size, sizes)):
            if not src.exists("log/" + t.path):
                history_problems.append(f"log/{t.path} (a partial tile of an earlier checkpoint, "
                                        "which tlog-tiles requires) is missing")  # fmt: skip
    report.add("earlier checkpoints consistent with this one", history_problems,
               f"{len(sizes)} checkpoints")  # fmt: skip

    evidence = Evidence(src)  # each rejection's, read when the replay reaches it
    say("definition")
    try:
        # Hashed and built here, then the parsed document let go: only the election is kept.
        text = src.text("definition.json").encode("utf-8")  # UTF-8 or named
        if cluster is not None:  # its workers build the same election, while this process does
            cluster.send(text)
        document, plain = load(text)
        del text
        definition = Definition.of(document, plain=plain)
        del document
        if cluster is not None:
            stack.enter_context(frozen())
    except (KeyError, ValueError, VerificationError) as err:
        report.add("definition.json", [f"missing or malformed: {err}"])
        return
    say("protocols")
    with _judged(src, entries, definition, workers, cluster) as judged:
        stream = entries.stream() if judged is None else judged.stream()
        kept = judged if isinstance(judged, JudgedByRegion) else None
        state = replay(stream, definition, evidence, judged, far=kept)
    if cluster is not None and (state.remote.present or state.election is None):
        state.current()  # the protocols kept on the workers fetched here, before they go
        cluster.close()  # (a check of remote ballots starts its own)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(state.counts.items()))
    report.add("every entry: canonical form, signatures, control relations, corrections",
               state.problems, counts)  # fmt: skip
    if state.election is None:
        return
    report.add("record.json as the log and definition state it; definition as pinned",
               definition_pin(trust, state.definition_sha256)
               + _record_header(record, state.election, cp.size, src.remote),
               state.definition_sha256)  # fmt: skip
    if state.imported is not None:  # a status, not a failure: said on every report of this record
        report.add("imported, not signed: results copied from a publication "
                   f"({state.imported.get('source')}, sha256 {state.imported.get('source_sha256')})",
                   [], f"{state.unsigned} protocols without device signatures")  # fmt: skip
    if state.observers.present:
        # Findings about the election, not problems of the record: listed, not failed.
        found = state.observers.copy_differences(state.protocols())
        detail = state.observers.summary() + "".join(f"\nFLAGGED {d}" for d in found)
        roles = state.observers.trust(state.election)
        detail += "".join(f"\n{r.mission}: witness {r.witness} ({r.witness_by})" for r in roles
                          if r.witness) + "".join(f"\n{r.mission}: trustee {r.trustee}"
                                                  for r in roles if r.trustee)  # fmt: skip
        report.add(
            "observers: chain of trust, redrawn plans, protocol copies",
            [p for r in roles for p in r.problems],
            detail,
        )
    remote_protocols = []
    if state.remote.present:
        say("remote voting")
        remote = check_remote(state.remote, state.election, state.definition_sha256,
                              workers=workers, scheduler=scheduler)  # fmt: skip
        report.add("remote voting: ceremony, credentials, ballots, re-votes, challenges, tally",
                   remote.problems, remote.summary)  # fmt: skip
        remote_protocols = remote.protocols
        report.remote = remote
    if state.disputes.docket.cases:
        report.add("complaints: decided evidence published (redacted) or withheld with a reason",
                   *check_released(state.disputes, src.read))  # fmt: skip
    if state.audit.present:
        say("audit")
        report.add("audit: seed → sample, board-signed hand counts, each round's risk, the decision",
                   state.audit.finish(), state.audit.summary())  # fmt: skip
    if cluster is not None and not state.remote.present:
        assert kept is not None
        results_on_cluster(cluster, src, report, say, state, cp.size, hash_at, entries, scan,
                           kept)  # fmt: skip
        return
    election = state.election
    # The district files recomputed beside the results (on another core), from the same state.
    stations = stack.enter_context(_forked(
        lambda: check_station_files(src, manifest_files(src), election, state), fork))  # fmt: skip
    say("results")
    annulled, held = results_effects(state.disputes, state.election)
    folded_count = len(state.slots)
    flagged = flagged_check(src, state)  # before the protocols are let go

    def folding() -> Iterator[Protocol]:
        """The current protocols in slot order; let go as they are folded where the district
        files' child has its own copy (200,000 protocol objects: a third of the memory)."""
        if stations.forked:
            slots = state.current()
            for slot in list(slots):
                yield slots.pop(slot)[2]
        else:
            yield from state.protocols()
        yield from remote_protocols

    # Folded as the running totals are, stations' results a region at a time (not all at once)
    folded = state.election
    tab = folded_tabulation(folded, folding(), annulled, held)

    def region_diffs() -> list[str]:
        found = []
        for region in folded.regions:
            path = station_results_path(region.id)
            computed = station_results_document(folded, tab, region)
            found += file_diffs(src, path, computed, f"{path}: ")
            tab.release_stations()
        return found

    # The stations' results (100,000 of them) recomputed by region in a child, the rest here.
    regions = stack.enter_context(_forked(region_diffs, fork))
    diffs = file_diffs(src, "results.json", results_document(folded, tab), "")

    # while the child works; reported in its place below
    published = attempt(
        lambda: published_and_figures(src, state, cp.size, hash_at, entries, scan, tab)
    )
    diffs += regions.result()
    report_results(report, say, diffs, folded_count, flagged, published, stations.result)


@contextmanager
def _forked(fn: Callable[[], T], fork: bool) -> Iterator[Forked[T]]:
    job = Forked(fn, fork)
    try:
        yield job
    finally:
        job.close()


@contextmanager
def _judged(
    src: RecordSource,
    entries: LogEntries,
    definition: Definition,
    workers: int | None,
    cluster: Cluster | None,
) -> Iterator[Verdicts | JudgedByRegion | None]:
    """The protocol entries judged by workers (achyk.verify.parallel), when there are any; on
    a cluster a region per task, the protocols kept there (achyk.verify.by_region)."""
    if definition.election is None or (cluster is None and (workers is None or workers <= 1)):
        yield None  # the replay judges each entry (and names what is wrong with the definition)
        return
    if cluster is not None:
        # (each region's published station files sent with its entries)
        published = PublishedFiles(src, manifest_files(src), definition.election)
        yield JudgedByRegion(cluster.ready(), entries, definition.election, published)
        return
    with judged_protocols(entries.stream(), definition.election, workers) as verdicts:
        yield verdicts


def _record_header(
    record: dict[str, Any], election: Election, size: int, remote: bool
) -> list[str]:
    """record.json's own fields must be what the definition and the checkpoint say."""
    problems = []
    stated = {"format": record.get("format"), "election": record.get("election"),
              "name": record.get("name"), "size": record.get("size")}  # fmt: skip
    actual = {"format": 1, "election": election.id, "name": election.name, "size": size}
    if remote and isinstance(stated["size"], int) and stated["size"] <= size:
        actual["size"] = stated["size"]  # read before the checkpoint, from a growing log
    for key, value in actual.items():
        if stated[key] != value:
            problems.append(f"record.json's {key} is {stated[key]!r}, not {value!r}")
    witnesses, quorum = record_witnesses(record)
    defined = (tuple((w.name, w.key) for w in election.witnesses), election.witness_quorum)
    if (tuple((w.name, w.key) for w in witnesses), quorum) != defined:
        problems.append("record.json's witnesses and quorum are not the definition's")
    known = {"format", "election", "name", "origin", "log_key", "size", "checkpoints",
             "witnesses", "quorum"}  # fmt: skip
    problems += [f"record.json has an unknown field {k!r}" for k in sorted(set(record) - known)]
    return problems
