"""The witness side of C2SP tlog-witness (https://c2sp.org/tlog-witness): ``add-checkpoint``.

A log sends ``old <size>\\n``, up to 63 base64 consistency-proof lines, a blank line, then its
signed checkpoint. The witness cosigns only if the checkpoint is signed by a key it trusts for
that origin and extends, by the RFC 6962 consistency proof, the last checkpoint it cosigned for
that origin. Status codes are the specification's: 404 unknown origin, 403 no trusted signature,
400 malformed or old > size, 409 old size is not the witness's (body: its size,
``text/x.tlog.size``) or same size with another root, 422 the proof does not verify.

Pure: the caller keeps the state (origin → last cosigned size and root) and must check and
update it atomically.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from achyk.errors import VerificationError
from achyk.ledger.checkpoint import Checkpoint, parse_body
from achyk.ledger.merkle import HASH_SIZE, verify_consistency
from achyk.ledger.note import Ed25519Verifier, NoteError, parse_note, verify_note

MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class AddCheckpoint:
    old: int
    proof: tuple[bytes, ...]
    checkpoint: str  # the signed note, as sent


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"
    cosigned: Checkpoint | None = None  # the new state to keep, when status is 200


def request_body(old: int, proof: Sequence[bytes], checkpoint: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(p).decode() for p in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + checkpoint).encode()


def parse_request(body: bytes) -> AddCheckpoint | Answer:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Answer(400, "request body is not UTF-8\n")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        return Answer(400, "no blank line between the proof and the checkpoint\n")
    lines = head.split("\n")
    m = _OLD.fullmatch(lines[0])
    if not m:
        return Answer(400, "the first line must be 'old <size>'\n")
    if len(lines) - 1 > MAX_PROOF_LINES:
        return Answer(400, f"more than {MAX_PROOF_LINES} consistency proof lines\n")
    proof = []
    for line in lines[1:]:
        try:
            h = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return Answer(400, "a consistency proof line is not base64\n")
        if len(h) != HASH_SIZE:
            return Answer(400, "a consistency proof line is not a 32-byte hash\n")
        proof.append(h)
    return AddCheckpoint(int(m[1]), tuple(proof), checkpoint)


def add_checkpoint(
    body: bytes,
    logs: Mapping[str, Sequence[Ed25519Verifier]],
    latest: Mapping[str, Checkpoint],
    cosign: Callable[[str], str],
) -> Answer:
    """Judge one add-checkpoint request; ``cosign(note)`` returns the cosignature line(s)."""
    req = parse_request(body)
    if isinstance(req, Answer):
        return req
    try:
        note = parse_note(req.checkpoint)
        cp = parse_body(note.text)
    except VerificationError as err:
        return Answer(400, f"malformed checkpoint: {err}\n")
    verifiers = logs.get(cp.origin)
    if verifiers is None:
        return Answer(404, f"unknown log origin {cp.origin!r}\n")
    try:
        verify_note(req.checkpoint, verifiers)
    except NoteError as err:
        return Answer(403, f"no trusted signature for {cp.origin}: {err}\n")
    if req.old > cp.size:
        return Answer(400, f"old size {req.old} is larger than the checkpoint's {cp.size}\n")
    kept = latest.get(cp.origin)
    kept_size = kept.size if kept else 0
    if req.old != kept_size:
        return Answer(409, f"{kept_size}\n", SIZE_TYPE)
    if kept is not None and req.old == cp.size:
        if kept.root != cp.root:
            return Answer(409, f"FORK: another root at size {cp.size} than the one cosigned\n")
    elif req.old == 0:
        if req.proof:
            return Answer(422, "the consistency proof from size 0 must be empty\n")
    elif kept is not None:
        try:
            verify_consistency(req.old, cp.size, list(req.proof), kept.root, cp.root)
        except VerificationError as err:
            return Answer(422, f"consistency {req.old} → {cp.size} does not verify: {err}\n")
    return Answer(200, cosign(note.text), cosigned=cp)
