"""`achyk verify`: check a public election record from scratch.

Signatures, canonical encodings, the Merkle tree against the signed checkpoint, every earlier
checkpoint's consistency with it, every protocol's signature and control relations, corrections,
the justification of rejections, and the published results and seats recomputed from the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from achyk.domain.anomalies import anomalies_document
from achyk.domain.published import differences, results_document
from achyk.domain.tabulation import tabulate
from achyk.errors import VerificationError
from achyk.ledger import tree_root, verify_checkpoint, verify_cosignature
from achyk.ledger.tiles import decode_entry_bundle, hash_at_from_tiles, tiles_for_size, verify_tiles
from achyk.verify.remote import RemoteCheck, check_remote
from achyk.verify.replay import Replay, replay
from achyk.verify.source import RecordSource

MAX_LISTED = 20


@dataclass
class Report:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    remote: RemoteCheck | None = None  # the remote-voting check's findings, for a trustee

    def add(self, name: str, problems: list[str], detail: str = "") -> None:
        shown = problems[:MAX_LISTED]
        more = f"\n… and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        self.checks.append((name, not problems, "\n".join(shown) + more if problems else detail))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


Progress = Callable[[str], None]


def verify_record(
    location: str,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Report:
    """Check the record; remote ballots are verified on `workers` processes or a Dask cluster."""
    src = RecordSource(location)
    report = Report()
    say = progress or (lambda _: None)
    try:
        record = json.loads(src.read("record.json"))
        vkey, origin = str(record["log_key"]), str(record["origin"])
    except (KeyError, ValueError, TypeError) as err:
        report.add("record.json", [f"missing or malformed: {err}"])
        return report

    say("checkpoint")
    try:
        note = src.text("log/checkpoint")
        cp = verify_checkpoint(note, vkey, origin=origin)
        report.add("checkpoint signature", [], f"size {cp.size}, root {cp.root.hex()}")
    except (KeyError, VerificationError) as err:
        report.add("checkpoint signature", [str(err)])
        return report
    cosign_problems = []
    for witness in record.get("witnesses", []):
        try:
            verify_cosignature(note, witness)
        except VerificationError as err:
            cosign_problems.append(str(err))
    report.add(
        "witness cosignatures", cosign_problems, f"{len(record.get('witnesses', []))} witness(es)"
    )

    def fetch(path: str) -> bytes:
        return src.read("log/" + path)

    say("tiles")
    try:
        verify_tiles(cp.size, fetch, cp.root, entries=True)
        report.add("Merkle tree (tiles and entries) against the checkpoint", [])
    except (KeyError, VerificationError) as err:
        report.add("Merkle tree (tiles and entries) against the checkpoint", [str(err)])
        return report

    say("checkpoint history")
    hash_at = hash_at_from_tiles(cp.size, fetch)
    history_problems = []
    sizes = []
    for n in sorted({int(x) for x in record.get("checkpoints", [])}):
        path = f"log/checkpoints/{n}"
        if n > cp.size:
            history_problems.append(f"{path} is ahead of the latest checkpoint ({cp.size})")
            continue
        sizes.append(n)
        try:
            old = verify_checkpoint(src.text(path) if src.exists(path) else "", vkey, origin=origin)
            if old.size != n:
                history_problems.append(f"{path} states size {old.size}")
            elif old.size and tree_root(old.size, hash_at) != old.root:
                history_problems.append(f"{path}: root at size {n} is not a prefix of this log")
        except VerificationError as err:
            history_problems.append(f"{path}: {err}")
    report.add("earlier checkpoints consistent with this one", history_problems,
               f"{len(sizes)} checkpoints")  # fmt: skip

    say("entries")
    entries: list[bytes] = []
    for tile in tiles_for_size(cp.size):
        if tile.level == 0:
            entries.extend(decode_entry_bundle(fetch(tile.entries_path)))
    evidence = {}
    for i in range(cp.size):
        path = f"evidence/{i}.bin"
        if i < len(entries) and b'"kind":"rejection"' in entries[i] and src.exists(path):
            evidence[i] = src.read(path)
    try:
        definition = json.loads(src.read("definition.json"))
    except (KeyError, ValueError) as err:
        report.add("definition.json", [f"missing or malformed: {err}"])
        return report
    state = replay(entries, definition, evidence)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(state.counts.items()))
    report.add("every entry: canonical form, signatures, control relations, corrections",
               state.problems, counts)  # fmt: skip
    if state.election is None:
        return report
    if state.imported is not None:  # a status, not a failure: said on every report of this record
        report.add("imported, not signed: results copied from a publication "
                   f"({state.imported.get('source')}, sha256 {state.imported.get('source_sha256')})",
                   [], f"{state.unsigned} protocols without device signatures")  # fmt: skip
    remote_protocols = []
    if state.remote.present:
        say("remote voting")
        remote = check_remote(state.remote, state.election, state.definition_sha256,
                              workers=workers, scheduler=scheduler)  # fmt: skip
        report.add("remote voting: ceremony, credentials, ballots, re-votes, challenges, tally",
                   remote.problems, remote.summary)  # fmt: skip
        remote_protocols = remote.protocols
        report.remote = remote
    say("results")
    computed = results_document(
        state.election, tabulate(state.election, state.protocols() + remote_protocols)
    )
    try:
        published = json.loads(src.read("results.json"))
        diffs = list(differences(published, computed))
        report.add("published results and seats recomputed from the log", diffs,
                   f"{len(state.slots)} protocols folded")  # fmt: skip
    except (KeyError, ValueError) as err:
        report.add("published results and seats recomputed from the log", [str(err)])
    if state.election.form is not None or src.exists("anomalies.json"):
        report.add("anomalies the protocol form flags, recomputed from the log",
                   *_anomalies(src, state))  # fmt: skip
    return report


def _anomalies(src: RecordSource, state: Replay) -> tuple[list[str], str]:
    """The published list of flagged protocols must be exactly the one the log and form give."""
    assert state.election is not None
    computed = anomalies_document(
        state.election.form, [(i, h, p) for i, h, p in state.slots.values()]
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
