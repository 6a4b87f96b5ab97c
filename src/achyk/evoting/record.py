"""The remote-voting part of the public election record, as frozen dataclasses and plain JSON dicts.

{"params": {...}, "ceremony": {...}, "credentials": [hex, ...],
 "ballots": [{"seq", "status": "cast"|"challenged", "tracking_code", "ballot", "signature",
              "credential"+"counter" (cast) | "opening" (challenged: audited)}],
 "tally": {"counted", "aggregate", "decryption": [...], "results": {contest: [count, ...]}}}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.crypto.group import SYSTEM_RNG, Rng
from achyk.evoting.ballot import (
    Ballot,
    BallotOpening,
    Intent,
    Seal,
    body_dict,
    opening_to_dict,
    seal_to_dict,
    tracking_code,
)
from achyk.evoting.ceremony import CeremonyRecord, TrusteeKey
from achyk.evoting.election import ElectionParams
from achyk.evoting.tally import (
    Aggregate,
    CastEntry,
    DecryptionShare,
    aggregate,
    aggregate_to_dict,
    decrypt_share,
    decrypt_totals,
    select_counted,
)


@dataclass(frozen=True)
class BoardEntry:
    """A ballot on the bulletin board; an audited one carries its opening and is never counted."""

    seq: int
    ballot: Ballot
    seal: Seal
    opening: BallotOpening | None = None

    @property
    def challenged(self) -> bool:
        return self.seal.intent is Intent.AUDIT


@dataclass(frozen=True)
class TallyRecord:
    counted: int
    aggregate: Aggregate
    decryption: tuple[DecryptionShare, ...]
    results: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class RemoteRecord:
    params: ElectionParams
    ceremony: CeremonyRecord
    credentials: tuple[str, ...]
    entries: tuple[BoardEntry, ...]
    tally: TallyRecord


def entry_to_dict(params: ElectionParams, e: BoardEntry) -> dict[str, Any]:
    d: dict[str, Any] = {
        "seq": e.seq,
        "status": "challenged" if e.challenged else "cast",
        "tracking_code": tracking_code(params, e.ballot),
        "ballot": body_dict(params, e.ballot),
        **seal_to_dict(e.seal),
    }
    if e.opening is not None:
        d["opening"] = opening_to_dict(params, e.opening)
    return d


def counted_ballots(params: ElectionParams, entries: Sequence[BoardEntry]) -> list[Ballot]:
    cast = [e for e in entries if not e.challenged]
    keep = select_counted([CastEntry(e.seq, e.seal.credential) for e in cast], params.revote)
    return [e.ballot for e in cast if e.seq in keep]


def run_tally(
    params: ElectionParams,
    entries: Sequence[BoardEntry],
    keys: Sequence[TrusteeKey],
    rng: Rng = SYSTEM_RNG,
) -> TallyRecord:
    """Aggregate the counted ballots and decrypt with the trustees present (at least a quorum)."""
    ballots = counted_ballots(params, entries)
    agg = aggregate(params, ballots)
    shares = tuple(decrypt_share(params, k, agg, rng) for k in keys)
    return TallyRecord(len(ballots), agg, shares, decrypt_totals(params, agg, shares, len(ballots)))


def record_to_dict(r: RemoteRecord) -> dict[str, Any]:
    p = r.params
    return {
        "params": p.to_dict(),
        "ceremony": r.ceremony.to_dict(p.group),
        "credentials": list(r.credentials),
        "ballots": [entry_to_dict(p, e) for e in r.entries],
        "tally": tally_to_dict(p, r.tally),
    }


def tally_to_dict(p: ElectionParams, t: TallyRecord) -> dict[str, Any]:
    return {
        "counted": t.counted,
        "aggregate": aggregate_to_dict(p, t.aggregate),
        "decryption": [s.to_dict(p) for s in t.decryption],
        "results": {cid: list(v) for cid, v in t.results.items()},
    }
