"""Verification of a whole remote-voting record (as plain dicts), sequential or on a process pool.

Checks: the ceremony's proofs and joint key; every ballot's credential (on the list), signature,
0/1 and min..max proofs and tracking code; every challenged ballot's opening; the re-vote policy
(recomputed: which ballots count); the aggregate of the counted ballots; every decryption share's
proof against the trustee's verification key; and that the published totals are what the shares
decrypt to. All problems are collected and raised together, each naming ballot, trustee or option.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from achyk.crypto import elgamal
from achyk.crypto.threshold import verification_key
from achyk.errors import AchykError, Problem, VerificationError
from achyk.evoting.ballot import tracking_code, verify_ballot, verify_opening
from achyk.evoting.ceremony import CeremonyRecord, verify_ceremony
from achyk.evoting.election import ElectionParams
from achyk.evoting.record import entry_from_dict
from achyk.evoting.tally import (
    Aggregate,
    CastEntry,
    DecryptionShare,
    aggregate_from_dict,
    aggregate_to_dict,
    combined_points,
    select_counted,
    verify_decryption_share,
)


class RecordInvalid(VerificationError):
    """The remote-voting record does not verify; `problems` name every failing part."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"remote-voting record: {len(self.problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class RecordSummary:
    ballots: int
    challenged: int
    counted: int
    results: dict[str, tuple[int, ...]]


def _where(d: Any) -> str:
    code = d.get("tracking_code", "") if isinstance(d, dict) else ""
    return f"ballot seq {d.get('seq') if isinstance(d, dict) else '?'} ({str(code)[:12]})"


def verify_chunk(
    params_dict: Any, entries: list[Any], counted: set[int]
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Verify some ballot entries; return problems and the partial aggregate of those counted.

    Module-level and dict-in/dict-out so a process pool (or a cluster) can run it."""
    params = ElectionParams.from_dict(params_dict)
    problems: list[tuple[str, str]] = []
    mine = []
    for d in entries:
        where = _where(d)
        try:
            e = entry_from_dict(params, d)
            verify_ballot(params, e.ballot)
            if d["tracking_code"] != tracking_code(params, e.ballot):
                problems.append((where, "tracking code is not the hash of the ballot"))
            if e.opening is not None:
                verify_opening(params, e.ballot, e.opening)
        except (AchykError, KeyError, TypeError, ValueError) as err:
            problems.append((where, f"{type(err).__name__}: {err}"))
            continue
        if e.seq in counted:
            mine.append(e.ballot)
    g = params.group
    partial: Aggregate = {
        rc.id: tuple(
            elgamal.aggregate(g, [b.contests[ci].selections[i] for b in mine])
            for i in range(len(rc.options))
        )
        for ci, rc in enumerate(params.contests)
    }
    return problems, aggregate_to_dict(params, partial)


def _run_chunks(
    params_dict: Any, entries: list[Any], counted: set[int], workers: int | None, chunk: int
) -> list[tuple[list[tuple[str, str]], dict[str, Any]]]:
    chunks = [entries[i : i + chunk] for i in range(0, len(entries), chunk)] or [[]]
    if workers is None or workers <= 1:
        return [verify_chunk(params_dict, c, counted) for c in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(verify_chunk, params_dict, c, counted) for c in chunks]
        return [f.result() for f in futures]


def verify_record(record: Any, workers: int | None = None, chunk: int = 50) -> RecordSummary:
    """Verify a record dict; `workers` > 1 verifies ballots on a process pool in chunks."""
    problems: list[Problem] = []
    try:
        params = ElectionParams.from_dict(record["params"])
        ceremony = CeremonyRecord.from_dict(record["ceremony"], params.group)
    except (AchykError, KeyError, TypeError, ValueError) as err:
        raise RecordInvalid([Problem("params/ceremony", str(err))]) from err
    g = params.group
    problems += verify_ceremony(ceremony, params.base_hash, g)
    if ceremony.joint_key != params.public_key:
        problems.append(Problem("params", "election key is not the ceremony's joint key"))

    creds = [str(c) for c in record["credentials"]]
    if len(set(creds)) != len(creds):
        problems.append(Problem("credentials", "the credential list has duplicates"))
    eligible = set(creds)
    entries: list[Any] = record["ballots"]
    seqs = [e.get("seq") for e in entries]
    if len(set(seqs)) != len(seqs):
        problems.append(Problem("ballots", "two ballots share a sequence number"))
    cast: list[CastEntry] = []
    for e in entries:
        cred = e.get("ballot", {}).get("body", {}).get("credential")
        if cred not in eligible:
            problems.append(Problem(_where(e), "credential is not on the public list"))
        elif e.get("status") == "cast":
            cast.append(CastEntry(int(e["seq"]), cred))
        elif e.get("status") != "challenged":
            problems.append(Problem(_where(e), f"unknown status {e.get('status')!r}"))
    counted = select_counted(cast, params.revote)

    agg: Aggregate | None = None
    for found, partial in _run_chunks(record["params"], entries, counted, workers, chunk):
        problems += [Problem(w, what) for w, what in found]
        part = aggregate_from_dict(params, partial)
        agg = part if agg is None else {
            cid: tuple(elgamal.add(g, a, b) for a, b in zip(agg[cid], cts, strict=True))
            for cid, cts in part.items()
        }  # fmt: skip
    assert agg is not None
    tally = record["tally"]
    results = verify_tally(params, ceremony, tally, agg, len(counted), problems)
    if problems:
        raise RecordInvalid(problems)
    challenged = sum(1 for e in entries if e.get("status") == "challenged")
    return RecordSummary(len(entries), challenged, len(counted), results)


def verify_tally(
    params: ElectionParams,
    ceremony: CeremonyRecord,
    tally: Any,
    agg: Aggregate,
    counted: int,
    problems: list[Problem],
) -> dict[str, tuple[int, ...]]:
    """Check a published tally against the aggregate of the counted ballots; return its totals.

    The aggregate must be the sum of the counted ballots, the decryption shares must come from a
    quorum of distinct trustees and carry valid proofs against their verification keys, and
    every published total must be what the shares decrypt to. Each failure is appended to
    `problems`; used by the record verifier, serially or with the ballots checked in parallel.
    """
    g = params.group
    results: dict[str, tuple[int, ...]] = {}
    try:
        published = aggregate_from_dict(params, tally["aggregate"])
        shares = [DecryptionShare.from_dict(params, s) for s in tally["decryption"]]
        results = {rc.id: tuple(int(x) for x in tally["results"][rc.id]) for rc in params.contests}
    except (AchykError, KeyError, TypeError, ValueError) as err:
        problems.append(Problem("tally", f"malformed: {err}"))
        return results
    if int(tally["counted"]) != counted:
        problems.append(Problem("tally", f"counted {tally['counted']} ballots, the policy gives {counted}"))  # fmt: skip
    for rc in params.contests:
        for i, (mine, theirs) in enumerate(zip(agg[rc.id], published[rc.id], strict=True)):
            if mine != theirs:
                problems.append(Problem(f"tally contest {rc.id} option {rc.options[i]}",
                                        "aggregate is not the sum of the counted ballots"))  # fmt: skip
    trustees = [s.trustee for s in shares]
    if len(set(trustees)) != len(trustees) or not set(trustees) <= set(range(1, ceremony.trustees + 1)):  # fmt: skip
        problems.append(
            Problem("tally", f"decryption trustees {trustees} are not distinct members")
        )
        return results
    if len(trustees) < ceremony.quorum:
        problems.append(Problem("tally", f"{len(trustees)} decryption shares, quorum is {ceremony.quorum}"))  # fmt: skip
        return results
    commitments = list(ceremony.commitments)
    for s in shares:
        bad = verify_decryption_share(params, s, verification_key(g, commitments, s.trustee), published)  # fmt: skip
        if bad is not None:
            problems.append(Problem(f"trustee {s.trustee} decryption share",
                                    f"contest {bad[0]} option {bad[1]}: proof does not verify"))  # fmt: skip
    points = combined_points(params, published, shares)
    for rc in params.contests:
        for i, (p, t) in enumerate(zip(points[rc.id], results[rc.id], strict=True)):
            if not 0 <= t <= counted or p != g.base_mul(t):
                problems.append(Problem(f"tally contest {rc.id} option {rc.options[i]}",
                                        f"published total {t} is not what the shares decrypt to"))  # fmt: skip
    return results
