"""Closing remote voting and the tally: homomorphic aggregation, decryption shares from any quorum of
trustees, Lagrange combination, discrete log, and the remote unit's protocol into the results.

Log entries: `remote-close` (the board is final), one `remote-decryption` per trustee present (its
shares with Chaum–Pedersen proofs), then `remote-tally` (the aggregate, the totals and the unit's
protocol). The protocol is also stored as the unit's accepted protocol, so the tabulation (and
everything built on it: the site, open data, seats) counts remote votes as their own unit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.canonical import canonical_json, sha256_hex
from achyk.crypto.elgamal import Ciphertext
from achyk.crypto.hashing import parse_element
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.errors import ConflictError, InputError, Problem
from achyk.evoting.election import ElectionParams
from achyk.evoting.tally import (
    Aggregate,
    CastEntry,
    DecryptionShare,
    aggregate_to_dict,
    decrypt_totals,
    select_counted,
    verify_decryption_share,
)
from achyk.evoting.unit import PROTOCOL_KIND, unit_protocols
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries
from achyk.services.remote.voting import RemoteVotingError, remote_info
from achyk.services.tally import record_protocols
from achyk.store.database import Database
from achyk.store.evoting_repo import RemoteRepo


@dataclass(frozen=True)
class RemoteTally:
    counted: int
    ballots: int  # entries on the board, challenged ones included
    challenged: int
    credentials: int
    results: dict[str, tuple[int, ...]]
    trustees: tuple[int, ...]
    log_index: int


def close_remote(db: Database, election_id: str) -> int:
    """Close the board: log `remote-close`; no ballot or credential is accepted after it."""
    with db.session() as s:
        repo = RemoteRepo(s, election_id)
        row = repo.lock_setup()
        if row is None:
            raise RemoteVotingError(f"remote voting is not set up for election {election_id!r}")
        if row.closed_log_index is not None:
            return row.closed_log_index
        cast, challenged = repo.ballot_counts()
        [index] = append_entries(s, election_id, [
            {"kind": "remote-close", "election": election_id, "ballots": cast + challenged,
             "credentials": repo.credential_count()}
        ])  # fmt: skip
        row.closed_log_index = index
    return index


def _aggregate(params: ElectionParams, entries: Sequence[str]) -> tuple[Aggregate, int, int]:
    """Sum the counted ballots' selections; only the ciphertexts are decoded (proofs were checked
    when each ballot was accepted, and anyone re-checks them from the log)."""
    g = params.group
    docs = [json.loads(t) for t in entries]
    cast = [CastEntry(int(d["seq"]), str(d["credential"])) for d in docs if d["status"] == "cast"]
    keep = select_counted(cast, params.revote)
    pads: list[list[list[Any]]] = [[[] for _ in c.options] for c in params.contests]
    datas: list[list[list[Any]]] = [[[] for _ in c.options] for c in params.contests]
    for d in docs:
        if d["status"] != "cast" or int(d["seq"]) not in keep:
            continue
        for ci, contest in enumerate(d["ballot"]["contests"]):
            for i, ct in enumerate(contest["selections"]):
                pads[ci][i].append(parse_element(g, ct["pad"]))
                datas[ci][i].append(parse_element(g, ct["data"]))
    agg: Aggregate = {
        c.id: tuple(Ciphertext(g.sum(pads[ci][i]), g.sum(datas[ci][i])) for i in range(len(c.options)))
        for ci, c in enumerate(params.contests)
    }  # fmt: skip
    return agg, len(keep), sum(1 for d in docs if d["status"] == "challenged")


def board_aggregate(db: Database, election_id: str) -> tuple[Aggregate, int]:
    """The aggregate of the counted ballots on the (closed) board, and how many count."""
    info = remote_info(db, election_id)
    with db.read() as s:
        entries = RemoteRepo(s, election_id).ballot_entries()
    agg, counted, _ = _aggregate(info.params, entries)
    return agg, counted


def tally_remote(db: Database, election_id: str, shares: Sequence[DecryptionShare]) -> RemoteTally:
    """Close if needed, aggregate, check the trustees' decryption shares (any quorum), combine,
    log and store. Takes decryption shares only: no key share ever reaches the server."""
    info = remote_info(db, election_id)
    params = info.params
    indices = [sh.trustee for sh in shares]
    if len(set(indices)) != len(indices) or len(indices) < info.quorum:
        raise InputError("decryption shares", [Problem("", f"{len(set(indices))} distinct trustee(s); "
                                                           f"the quorum is {info.quorum}")])  # fmt: skip
    close_remote(db, election_id)
    with db.read() as s:
        repo = RemoteRepo(s, election_id)
        if repo.tally() is not None:
            raise ConflictError(f"remote voting of {election_id} is already tallied")
        entries = repo.ballot_entries()
        n_credentials = repo.credential_count()
    agg, counted, challenged = _aggregate(params, entries)
    vkeys = {i: parse_element(params.group, k) for i, _, k in info.trustees}
    for share in shares:
        if share.trustee not in vkeys or verify_decryption_share(params, share, vkeys[share.trustee], agg):  # fmt: skip
            raise InputError("decryption shares", [Problem(f"trustee {share.trustee}",
                                                           "proof does not verify against its "
                                                           "verification key and this board's aggregate")])  # fmt: skip
    totals = decrypt_totals(params, agg, shares, counted)
    protocols = unit_protocols(election_id, info.unit_station_id, params.contests, n_credentials,
                               counted, totals)  # fmt: skip
    results = {cid: list(v) for cid, v in totals.items()}
    log: list[dict[str, Any]] = [
        {"kind": "remote-decryption", "election": election_id, "share": sh.to_dict(params)}
        for sh in shares
    ]
    log.append({"kind": "remote-tally", "election": election_id, "counted": counted,
                "aggregate": aggregate_to_dict(params, agg), "results": results,
                "trustees": sorted(indices), "protocols": protocols})  # fmt: skip
    election = get_election(db, election_id)
    with db.session() as s:
        repo = RemoteRepo(s, election_id)
        if repo.tally() is not None:
            raise ConflictError(f"remote voting of {election_id} is already tallied")
        indexes = append_entries(s, election_id, log)
        repo.add_tally(counted, results, sorted(indices), indexes[-1])
        record_protocols(s, election, [
            {"station_id": p["station"], "contest_id": p["contest"], "kind": PROTOCOL_KIND.value,
             "document": canonical_json(p).decode(), "document_hash": sha256_hex(canonical_json(p)),
             "device_id": None, "signature": None, "superseded": False, "log_index": indexes[-1]}
            for p in protocols
        ], [_parsed(p) for p in protocols])  # fmt: skip
    return RemoteTally(counted, len(entries), challenged, n_credentials, totals,
                       tuple(sorted(indices)), indexes[-1])  # fmt: skip


def _parsed(doc: dict[str, Any]) -> Protocol:
    protocol, problems = protocol_from_json(doc)
    assert protocol is not None, problems  # made by unit_protocols from the decrypted totals
    return protocol
