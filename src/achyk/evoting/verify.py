"""Verification of a whole remote-voting record (as plain dicts), sequential or on a process pool.

One implementation, used by `verify_record` here and by `achyk verify` (achyk.verify.remote): the
board's order by `achyk.evoting.board.check_board` (seqs, statuses, unique tracking codes, listed
credentials, increasing counters, what counts), every entry's cryptography by `verify_chunk`
(0/1 and min..max proofs, identity-free ciphertexts, the seal's signature, the tracking code, an
audit's opening), then — once a tally exists — the aggregate of the counted ballots, every
decryption share's proof, and the totals. Ballots are checked whether or not there is a tally.
All problems are collected and raised together, each naming ballot, trustee or option.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from achyk.crypto import elgamal
from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.threshold import verification_key
from achyk.errors import AchykError, Problem, VerificationError
from achyk.evoting import credentials
from achyk.evoting.ballot import Intent, check_sealed
from achyk.evoting.board import check_board, where
from achyk.evoting.ceremony import CeremonyRecord, verify_ceremony
from achyk.evoting.election import ElectionParams
from achyk.evoting.tally import (
    Aggregate,
    DecryptionShare,
    aggregate_from_dict,
    aggregate_to_dict,
    combined_points,
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


def verify_chunk(
    params_dict: Any, entries: list[Any], counted: Collection[int]
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Verify some board entries' cryptography; return problems and the partial aggregate of the
    counted ones. Module-level and dict-in/dict-out so a process pool (or a cluster) can run it."""
    params = ElectionParams.from_dict(params_dict)
    problems: list[tuple[str, str]] = []
    mine = []
    for d in entries:
        w = where(d)
        try:
            if not isinstance(d, dict) or d.get("status") not in ("cast", "challenged"):
                continue  # named by check_board
            intent = Intent.AUDIT if d["status"] == "challenged" else Intent.CAST
            checked = check_sealed(params, d, intent)
            if d.get("tracking_code") != checked.code:
                problems.append((w, "tracking code is not the hash of the ballot"))
        except (AchykError, KeyError, TypeError, ValueError, AttributeError) as err:
            problems.append((w, f"{type(err).__name__}: {err}"))
            continue
        if intent is Intent.CAST and d.get("seq") in counted:
            mine.append(checked.ballot)
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
    params_dict: Any, entries: list[Any], counted: Collection[int], workers: int | None, chunk: int
) -> list[tuple[list[tuple[str, str]], dict[str, Any]]]:
    chunks = [entries[i : i + chunk] for i in range(0, len(entries), chunk)] or [[]]
    if workers is None or workers <= 1:
        return [verify_chunk(params_dict, c, counted) for c in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(verify_chunk, params_dict, c, counted) for c in chunks]
        return [f.result() for f in futures]


def credential_list(keys: Any, problems: list[Problem], where: str = "credentials") -> set[str]:
    """The public list as canonical keys; invalid keys and duplicates (as points) are problems."""
    out: set[str] = set()
    if not isinstance(keys, list):
        problems.append(Problem(where, "the credential list is not a list"))
        return out
    for k in keys:
        try:
            c = credentials.parse_key(k)
        except InvalidEncoding as err:
            problems.append(Problem(where, f"credential {str(k)[:12]}…: {err}"))
            continue
        if c in out:
            problems.append(Problem(where, f"credential {c[:12]}… listed twice"))
        out.add(c)
    return out


def merge(params: ElectionParams, parts: Sequence[dict[str, Any]]) -> Aggregate:
    g = params.group
    agg: Aggregate | None = None
    for partial in parts:
        part = aggregate_from_dict(params, partial)
        agg = part if agg is None else {
            cid: tuple(elgamal.add(g, a, b) for a, b in zip(agg[cid], cts, strict=True))
            for cid, cts in part.items()
        }  # fmt: skip
    assert agg is not None
    return agg


def verify_record(record: Any, workers: int | None = None, chunk: int = 50) -> RecordSummary:
    """Verify a record dict; `workers` > 1 verifies ballots on a process pool in chunks.
    A record without a "tally" has its ballots verified all the same."""
    problems: list[Problem] = []
    try:
        params = ElectionParams.from_dict(record["params"])
        ceremony = CeremonyRecord.from_dict(record["ceremony"], params.group)
        entries: list[Any] = list(record["ballots"])
    except (AchykError, KeyError, TypeError, ValueError) as err:
        raise RecordInvalid([Problem("params/ceremony", str(err))]) from err
    problems += verify_ceremony(ceremony, params.base_hash, params.group)
    if ceremony.joint_key != params.public_key:
        problems.append(Problem("params", "election key is not the ceremony's joint key"))
    listed = credential_list(record.get("credentials"), problems)
    board = check_board(entries, listed, params.revote)
    problems += [Problem(w, what) for w, what in board.problems]
    parts = []
    for found, partial in _run_chunks(record["params"], entries, board.counted, workers, chunk):
        problems += [Problem(w, what) for w, what in found]
        parts.append(partial)
    agg = merge(params, parts)
    results: dict[str, tuple[int, ...]] = {}
    if record.get("tally") is not None:
        results = verify_tally(params, ceremony, record["tally"], agg, len(board.counted), problems)
    if problems:
        raise RecordInvalid(problems)
    return RecordSummary(len(entries), board.challenged, len(board.counted), results)


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
        results = {
            rc.id: tuple(_count(x) for x in tally["results"][rc.id]) for rc in params.contests
        }
        stated = _count(tally["counted"])
    except (AchykError, KeyError, TypeError, ValueError) as err:
        problems.append(Problem("tally", f"malformed: {err}"))
        return results
    if stated != counted:
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


def _count(x: Any) -> int:
    if not isinstance(x, int) or isinstance(x, bool) or x < 0:
        raise ValueError(f"{x!r} is not a count")
    return x
