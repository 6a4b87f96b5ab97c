"""Witnesses of the log and the election's trust file.

Only the witnesses the definition names may cosign, once each per checkpoint: a cosignature from
any other key is refused (403), so nobody can flood a checkpoint past what signed-note readers
accept. The checkpoint is served with the cosignatures that verify on it, one per witness.
The log may also ask a C2SP tlog-witness for its cosignature (``request_cosignature``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from functools import lru_cache

from achyk.errors import ConflictError, ForbiddenError, InputError, Problem, VerificationError
from achyk.formats.definition import definition_hash
from achyk.ledger import Cosignature, WitnessKey, verify_cosignature
from achyk.ledger.trust import Trust, TrustedWitness
from achyk.ledger.witness import SIZE_TYPE, request_body
from achyk.services import ledger
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore


def election_witnesses(db: Database, election_id: str) -> tuple[tuple[TrustedWitness, ...], int]:
    e = get_election(db, election_id)
    return tuple(TrustedWitness(w.name, w.key) for w in e.witnesses), e.witness_quorum


def trust_of(db: Database, election_id: str) -> Trust:
    """The election's trust file: what the CEC's decree publishes."""
    e = get_election(db, election_id)
    witnesses, quorum = election_witnesses(db, election_id)
    return Trust(ledger.log_vkey(db, election_id), ledger.log_origin(db, election_id), e.id,
                 definition_hash(e), witnesses, quorum)  # fmt: skip


@lru_cache(maxsize=64)
def _valid_lines(note: str, lines: tuple[str, ...], keys: tuple[str, ...]) -> str:
    """Of the stored lines, the newest valid one per named witness (cached: checked per poll)."""
    chosen: dict[str, str] = {}
    for line in lines:
        for vkey in keys:
            try:
                verify_cosignature(note + line, vkey)
            except VerificationError:
                continue
            chosen[vkey] = line
    return "".join(chosen[k] for k in keys if k in chosen)


def head_checkpoint(db: Database, election_id: str) -> tuple[int, str] | None:
    """The head's signed checkpoint with its witnesses' cosignatures, read in one transaction."""
    witnesses, _ = election_witnesses(db, election_id)
    with db.read() as s:
        store = LogStore(s, election_id)
        cp = store.latest_checkpoint()
        if cp is None:
            return None
        lines = tuple(c.line for c in store.cosignatures_at(cp.size))
    keys = tuple(w.key for w in witnesses)
    return cp.size, cp.note + (_valid_lines(cp.note, lines, keys) if lines and keys else "")


def accept_cosignature(db: Database, election_id: str, vkey: str, line: str) -> Cosignature:
    """Keep a named witness's cosignature of the head checkpoint (once per witness and size)."""
    witnesses, _ = election_witnesses(db, election_id)
    if vkey not in {w.key for w in witnesses}:
        raise ForbiddenError(
            f"{vkey.split('+')[0]!r} is not a witness named in the election's definition"
        )
    line = line if line.endswith("\n") else line + "\n"
    with db.session() as s:
        store = LogStore(s, election_id)
        cp = store.latest_checkpoint()
        if cp is None:
            raise InputError("cosignature", [Problem("", "the log has no checkpoint yet")])
        cosig = verify_cosignature(cp.note + line, vkey)  # VerificationError: 400
        for row in store.cosignatures_at(cp.size):
            try:
                verify_cosignature(cp.note + row.line, vkey)
            except VerificationError:
                continue  # another witness's, or a checkpoint rewritten since
            if row.line == line:
                return cosig
            raise ConflictError(f"{cosig.witness} has already cosigned the checkpoint of size "
                                f"{cp.size}: one cosignature per witness per checkpoint")  # fmt: skip
        store.add_cosignature(cp.size, cosig.witness, line)
    return cosig


def request_cosignature(db: Database, election_id: str, witness_url: str, vkey: str) -> int:
    """Ask a C2SP tlog-witness (POST <prefix>/add-checkpoint) to cosign the head; keep its line.

    The witness answers 409 with the size it last cosigned when ours is wrong; then the request
    is made once more from that size, with the consistency proof. Returns the size cosigned.
    """
    witnesses, _ = election_witnesses(db, election_id)
    if vkey not in {w.key for w in witnesses}:
        raise ForbiddenError(f"{vkey.split('+')[0]!r} is not a witness named in the definition")
    with db.read() as s:
        cp = LogStore(s, election_id).latest_checkpoint()
        if cp is None:
            raise InputError("cosignature", [Problem("", "the log has no checkpoint yet")])
        size, bare = cp.size, cp.note  # the log's own signature only
    old = 0
    for _ in range(2):
        proof = ledger.consistency(db, election_id, old, size) if 0 < old < size else []
        req = urllib.request.Request(f"{witness_url.rstrip('/')}/add-checkpoint",
                                     request_body(old, proof, bare), method="POST")  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                answer = r.read().decode()
        except urllib.error.HTTPError as err:
            body = err.read().decode(errors="replace")
            if err.code == 409 and err.headers.get("Content-Type", "").startswith(SIZE_TYPE):
                old = int(body.strip())
                if old > size:
                    raise ConflictError(f"the witness has cosigned size {old}, beyond ours "
                                        f"({size}): a fork or a rollback") from None  # fmt: skip
                continue
            raise VerificationError(f"witness answered {err.code}: {body.strip()}") from None
        key = WitnessKey.from_vkey(vkey)
        mine = [ln + "\n" for ln in answer.splitlines() if ln.startswith(f"— {key.name} ")]
        if not mine:
            raise VerificationError("the witness answered without a cosignature by its key")
        accept_cosignature(db, election_id, vkey, mine[-1])
        return size
    raise ConflictError("the witness keeps answering 409")
