"""Checking the remote-voting record from the log entries alone.

The log holds, in order: `remote-complaint` (failed ceremonies, if any), `remote-ceremony`,
`remote-params`, `remote-credentials` (the public list, in chunks), `remote-ballot` (cast and
challenged), `remote-close`, `remote-decryption` (one per trustee present), `remote-tally`. From them
this module rebuilds the record that `achyk.evoting.verify` checks — the ceremony's proofs and joint
key, every ballot's 0/1 and min..max proofs, credential signature and tracking code, every challenged
ballot's opening, the re-vote policy, the aggregate, every decryption share's proof, the totals —
and adds what only the log can tell: that the parameters are bound to this election's definition and
remote unit, that every credential was listed before the ballot that uses it, that nothing was cast
after the close, and that the remote unit's protocol is exactly the decrypted totals.

Ballots are checked in chunks by `achyk.evoting.verify.verify_chunk`: in this process, on a process
pool (`workers`), or on a Dask distributed cluster (`scheduler`, e.g. "tcp://10.0.0.5:8786").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from achyk.crypto import elgamal
from achyk.domain.definition import Election
from achyk.domain.protocol import (
    Protocol,
    check_against_election,
    check_relations,
    protocol_from_json,
)
from achyk.errors import AchykError, Problem
from achyk.evoting.authority import check_list
from achyk.evoting.board import BoardCheck, check_board
from achyk.evoting.ceremony import CeremonyRecord, verify_ceremony
from achyk.evoting.election import ElectionParams
from achyk.evoting.tally import Aggregate, aggregate_from_dict, aggregate_to_dict
from achyk.evoting.trustee import (
    Announcement,
    Complaint,
    Dealing,
    judge,
    verify_announcement,
    verify_dealing,
)
from achyk.evoting.unit import remote_contests, remote_unit, unit_protocols
from achyk.evoting.verify import verify_chunk, verify_tally

REMOTE_KINDS = (
    "remote-trustees", "remote-dealing", "remote-complaint", "remote-ceremony", "remote-params", "remote-credentials", "remote-ballot",
    "remote-close", "remote-decryption", "remote-tally",
)  # fmt: skip
CHUNK = 100  # ballots per task: large enough to amortise the parameters, small enough to balance


@dataclass
class RemoteEntries:
    """The remote-voting entries of a log, with their indexes, as the replay meets them."""

    entries: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    abroad_voters: int | None = None  # from the register commitment, for the eligibility audit

    def add(self, index: int, entry: dict[str, Any]) -> None:
        self.entries.append((index, entry))

    @property
    def present(self) -> bool:
        return bool(self.entries)


@dataclass(frozen=True)
class RemoteCheck:
    problems: list[str]
    protocols: list[Protocol]  # the remote unit's protocols, for the results
    summary: str
    # For a trustee about to decrypt: the parameters and the aggregate of the counted ballots,
    # recomputed from the log (set once the board is closed and not yet tallied).
    params: Any = None
    aggregate: dict[str, Any] | None = None


class _Bad(Exception):
    pass


def _one(found: list[tuple[int, dict[str, Any]]], kind: str) -> tuple[int, dict[str, Any]]:
    if len(found) != 1:
        raise _Bad(f"expected one {kind} entry, found {len(found)}")
    return found[0]


def check_remote(
    log: RemoteEntries,
    election: Election,
    definition_sha256: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RemoteCheck:
    problems: list[str] = []
    try:
        return _check(log, election, definition_sha256, workers, scheduler, problems)
    except _Bad as err:
        return RemoteCheck([*problems, f"remote voting: {err}"], [], "")
    except (AchykError, KeyError, TypeError, ValueError, AttributeError) as err:
        return RemoteCheck([*problems, f"remote voting: malformed entry: {err!r}"], [], "")


def _check(
    log: RemoteEntries,
    election: Election,
    definition_sha256: str,
    workers: int | None,
    scheduler: str | None,
    problems: list[str],
) -> RemoteCheck:
    by_kind: dict[str, list[tuple[int, dict[str, Any]]]] = {k: [] for k in REMOTE_KINDS}
    for index, entry in log.entries:
        by_kind[str(entry["kind"])].append((index, entry))
    c_index, c_entry = _one(by_kind["remote-ceremony"], "remote-ceremony")
    p_index, p_entry = _one(by_kind["remote-params"], "remote-params")
    params_dict = p_entry["params"]
    params = ElectionParams.from_dict(params_dict)
    ceremony = CeremonyRecord.from_dict(c_entry["ceremony"], params.group)

    def fail(index: int, what: str) -> None:
        problems.append(f"log entry {index}: {what}")

    if p_index < c_index:
        fail(p_index, "remote parameters logged before the key ceremony")
    if params.base_hash != definition_sha256:
        fail(p_index, "remote parameters are not bound to this election's definition hash")
    place = remote_unit(election)
    if place is None or p_entry["unit"] != place.station.id:
        fail(p_index, f"unit {p_entry['unit']!r} is not the definition's remote unit")
    elif params.contests != remote_contests(election, place):
        fail(p_index, "the remote ballot's contests are not the remote unit's contests")
    problems += [f"log entry {c_index}: {p}" for p in verify_ceremony(ceremony, params.base_hash, params.group)]  # fmt: skip
    if ceremony.joint_key != params.public_key:
        fail(p_index, "the election key is not the ceremony's joint key")

    problems += _check_dealings(by_kind, c_index, ceremony, params.base_hash)

    close = by_kind["remote-close"]
    closed_at = close[0][0] if close else None
    if len(close) > 1:
        fail(close[1][0], "remote voting closed twice")
    listed: dict[str, int] = {}
    parts = []
    for index, entry in by_kind["remote-credentials"]:
        if index < p_index or (closed_at is not None and index > closed_at):
            fail(index, "credentials published outside the voting period")
        parts.append((index, entry.get("list")))
    # Only the credential authority named in the definition can add a credential (issue 10).
    lists = check_list([p for _, p in parts], election.credential_authority, election.id,
                       params.fingerprint)  # fmt: skip
    problems += [f"remote voting: {p}" for p in lists.problems]
    valid = set(lists.keys)
    for index, part in parts:
        keys = part.get("credentials") if isinstance(part, dict) else None
        for k in keys if isinstance(keys, list) else []:
            if isinstance(k, str) and k.lower() in valid:
                listed.setdefault(k.lower(), index)
    if log.abroad_voters is not None and len(listed) > log.abroad_voters:
        problems.append(f"remote voting: {len(listed)} credentials for {log.abroad_voters} "
                        "voters abroad in the register commitment")  # fmt: skip
    ballots: list[Any] = []
    for index, entry in by_kind["remote-ballot"]:
        if closed_at is not None and index > closed_at:
            fail(index, "ballot cast after the close")
        key = entry.get("credential")
        if entry.get("status") == "cast" and isinstance(key, str) and listed.get(key, -1) > index:
            fail(index, "ballot uses a credential published only later")
        ballots.append({k: v for k, v in entry.items() if k not in ("kind", "election")})
    # The core's checks — one implementation with achyk.evoting.verify — on every ballot, whether
    # or not a tally exists yet; the cryptography spread over the chosen executor.
    board = check_board(ballots, set(listed), params.revote)
    problems += [f"remote {w}: {what}" for w, what in board.problems]
    agg = _verify_ballots(params, params_dict, ballots, board.counted, workers, scheduler, problems)
    tallies = by_kind["remote-tally"]
    if not tallies:
        closed = closed_at is not None
        return RemoteCheck(problems, [], _summary(len(listed), board, None, by_kind),
                           params_dict if closed else None,
                           aggregate_to_dict(params, agg) if closed else None)  # fmt: skip
    t_index, tally = _one(tallies, "remote-tally")
    if closed_at is None or closed_at > t_index:
        fail(t_index, "tally without a close before it")
    else:
        c = close[0][1]
        if c.get("ballots") != len(ballots) or c.get("credentials") != len(listed):
            fail(closed_at, "close does not state the board's ballots and credentials")
    shares = [e["share"] for i, e in by_kind["remote-decryption"] if i < t_index]
    if sorted(int(s["trustee"]) for s in shares) != tally.get("trustees"):
        fail(t_index, "tally names other trustees than the decryption shares logged")
    counted = board.counted
    core = {"counted": tally["counted"], "aggregate": tally["aggregate"], "decryption": shares,
            "results": tally["results"]}  # fmt: skip
    found: list[Problem] = []
    results = verify_tally(params, ceremony, core, agg, len(counted), found)
    problems += [f"log entry {t_index}: remote tally: {p}" for p in found]

    expected = unit_protocols(election.id, str(p_entry["unit"]), params.contests, len(listed),
                              len(counted), results)  # fmt: skip
    protocols: list[Protocol] = []
    for i, doc in enumerate(tally.get("protocols", [])):
        p, bad = protocol_from_json(doc)
        if p is None:
            fail(t_index, "remote unit protocol: " + "; ".join(map(str, bad)))
            continue
        relations = check_relations(p) + check_against_election(p, election)
        if relations:
            fail(t_index, "remote unit protocol: " + "; ".join(map(str, relations)))
        if i >= len(expected) or doc != expected[i]:
            fail(t_index, f"remote unit protocol for {p.contest_id} is not the decrypted totals")
        protocols.append(p)
    if len(tally.get("protocols", [])) != len(expected):
        fail(t_index, f"{len(expected)} remote unit protocol(s) expected")
    return RemoteCheck(problems, protocols, _summary(len(listed), board, len(counted), by_kind))


def _check_dealings(
    by_kind: dict[str, list[tuple[int, dict[str, Any]]]],
    c_index: int,
    ceremony: CeremonyRecord,
    base_hash: str,
) -> list[str]:
    """The ceremony came from the trustees' own dealings: the latest `remote-trustees` attempt
    before it holds one signed dealing per trustee whose commitments are the ceremony's, and no
    complaint in it is upheld against a dealer (verdicts recomputed from public material)."""
    opened = [(i, e) for i, e in by_kind["remote-trustees"] if i < c_index]
    if not opened:
        return [f"log entry {c_index}: no trustee announcements before the ceremony: the key was "
                "not made by the trustees on their own machines"]  # fmt: skip
    start, head = opened[-1]
    out: list[str] = []
    anns = [Announcement.from_dict(t) for t in head["trustees"]]
    for a in anns:
        try:
            verify_announcement(base_hash, a)
        except AchykError as err:
            out.append(f"log entry {start}: trustee {a.index} announcement: {err}")
    dealings: dict[int, Dealing] = {}
    for i, e in by_kind["remote-dealing"]:
        if start < i < c_index:
            try:
                d = Dealing.from_dict(e["dealing"])
                verify_dealing(base_hash, d, anns, int(head["quorum"]))
                dealings[d.dealer] = d
            except (AchykError, KeyError, TypeError, ValueError) as err:
                out.append(f"log entry {i}: dealing: {err}")
    mine = [dealings[d].commitment for d in sorted(dealings)]
    if tuple(mine) != ceremony.commitments or int(head["quorum"]) != ceremony.quorum:
        out.append(f"log entry {c_index}: the ceremony's commitments are not the trustees' dealings")  # fmt: skip
    for i, e in by_kind["remote-complaint"]:
        if start < i < c_index:
            c = Complaint.from_dict(e["complaint"])
            if c.dealer in dealings and 1 <= c.recipient <= len(anns):
                verdict = judge(base_hash, c, dealings[c.dealer], anns[c.recipient - 1])
                if verdict != e.get("verdict"):
                    out.append(f"log entry {i}: complaint verdict is {verdict}, logged {e.get('verdict')!r}")  # fmt: skip
                if verdict == "dealer":
                    out.append(f"log entry {i}: upheld complaint against trustee {c.dealer}, "
                               "yet the ceremony went on")  # fmt: skip
    return out


def _summary(
    credentials: int,
    board: BoardCheck,
    counted: int | None,
    by_kind: dict[str, list[tuple[int, dict[str, Any]]]],
) -> str:
    ballots = len(by_kind["remote-ballot"])
    text = (f"{credentials} credentials, {ballots} ballots ({board.challenged} challenged), "
            f"{len(by_kind['remote-complaint'])} ceremony complaint(s)")  # fmt: skip
    if counted is not None:
        text += f", {counted} counted, {len(by_kind['remote-decryption'])} trustees decrypted"
    return text


def _verify_ballots(
    params: ElectionParams,
    params_dict: Any,
    ballots: list[Any],
    counted: Collection[int],
    workers: int | None,
    scheduler: str | None,
    problems: list[str],
) -> Aggregate:
    chunks = [ballots[i : i + CHUNK] for i in range(0, len(ballots), CHUNK)] or [[]]
    results = _run(params_dict, chunks, counted, workers, scheduler)
    g = params.group
    agg: Aggregate | None = None
    for found, partial in results:
        problems += [f"remote {where}: {what}" for where, what in found]
        part = aggregate_from_dict(params, partial)
        agg = part if agg is None else {
            cid: tuple(elgamal.add(g, a, b) for a, b in zip(agg[cid], cts, strict=True))
            for cid, cts in part.items()
        }  # fmt: skip
    assert agg is not None
    return agg


Result = tuple[list[tuple[str, str]], dict[str, Any]]


def _run(
    params_dict: Any,
    chunks: Sequence[list[dict[str, Any]]],
    counted: Collection[int],
    workers: int | None,
    scheduler: str | None,
) -> list[Result]:
    if scheduler:
        from achyk.verify.parallel import dask_client  # tcp://…, or local:N

        with dask_client(scheduler) as client:
            shared = client.scatter([params_dict, counted], broadcast=True)
            futures = client.map(verify_chunk, [shared[0]] * len(chunks), chunks,
                                 [shared[1]] * len(chunks), pure=False)  # fmt: skip
            gathered: list[Result] = client.gather(futures)
            return gathered
    if workers is None or workers <= 1 or len(chunks) < 2:
        return [verify_chunk(params_dict, c, counted) for c in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(verify_chunk, params_dict, c, counted) for c in chunks]
        return [f.result() for f in futures]
