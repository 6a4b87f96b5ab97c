"""A mission's other places in the trust model: a witness of the log (it cosigns checkpoints) and a
trustee of remote voting (it holds a share of the election key).

A mission is a witness when the definition names a witness whose key is the mission's own
accredited key (matched by key: a witness cosignature is an Ed25519 signature, so one key can be
both), or when its accreditation declares the witness's name. It is a trustee when its
accreditation declares a trustee's name — trustee keys are of another group (the key ceremony's),
so only a declaration can link them — and the key ceremony on the log has a trustee of that name.
A declaration that names no such witness or trustee is a problem of the record.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from achyk.ledger.note import NoteError, parse_vkey
from achyk.observers.model import Mission


@dataclass(frozen=True)
class TrustRoles:
    mission: str
    witness: str | None  # the witness's name in the definition
    witness_by: str | None  # "key" or "declared"
    trustee: str | None  # the trustee's name in the key ceremony
    problems: tuple[str, ...] = ()


def _raw(public_key: str) -> bytes | None:
    try:
        return base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        return None


def trust_roles(
    mission: Mission, witnesses: Sequence[tuple[str, str]], trustees: Collection[str] | None
) -> TrustRoles:
    """`witnesses`: (name, verifier key) of the definition; `trustees`: the names in the log's key
    ceremony, None when the log holds no ceremony (yet)."""
    problems = []
    own = _raw(mission.public_key)
    witness, by = None, None
    for name, vkey in witnesses:
        try:
            _, _, key = parse_vkey(vkey)
        except NoteError:
            continue
        if own is not None and key == own:
            witness, by = name, "key"
    if mission.witness is not None and witness is None:
        if any(name == mission.witness for name, _ in witnesses):
            witness, by = mission.witness, "declared"
        else:
            problems.append(f"mission {mission.id} is declared witness {mission.witness!r}, which "
                            f"the definition does not name")  # fmt: skip
    trustee = None
    if mission.trustee is not None:
        if trustees is None or mission.trustee in trustees:
            trustee = mission.trustee
        else:
            problems.append(f"mission {mission.id} is declared trustee {mission.trustee!r}, which "
                            f"the key ceremony on the log does not have")  # fmt: skip
    return TrustRoles(mission.id, witness, by, trustee, tuple(problems))
