"""A CEC correction of an accepted protocol: signed by an authority of the election, with a reason.

Signed over `achyk/correction/v1` + RFC 8785 of {"protocol", "supersedes", "reason"}, where
"supersedes" is the document hash of the protocol being corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.canonical import canonical_hash
from achyk.domain.definition import Election
from achyk.domain.protocol import (
    Protocol,
    check_against_election,
    check_relations,
    protocol_from_json,
)
from achyk.errors import Problem, SignatureError
from achyk.signing import CORRECTION_PURPOSE, sign, verify


@dataclass(frozen=True)
class ExaminedCorrection:
    protocol: Protocol | None
    document_hash: str
    supersedes: str
    problems: tuple[Problem, ...]


def correction_statement(protocol: Any, supersedes: Any, reason: Any) -> dict[str, Any]:
    return {"protocol": protocol, "supersedes": supersedes, "reason": reason}


def sign_correction(
    key: Ed25519PrivateKey,
    authority_id: str,
    protocol: dict[str, Any],
    supersedes: str,
    reason: str,
) -> dict[str, Any]:
    """The correction envelope an authority sends (see the module docstring)."""
    statement = correction_statement(protocol, supersedes, reason)
    return {
        "protocol": protocol, "supersedes": supersedes, "reason": reason,
        "authority": authority_id, "signature": sign(key, CORRECTION_PURPOSE, statement),
    }  # fmt: skip


def examine_correction(election: Election, envelope: Mapping[str, Any]) -> ExaminedCorrection:
    problems: list[Problem] = []
    doc = envelope.get("protocol")
    supersedes, reason = envelope.get("supersedes"), envelope.get("reason")
    authority_id, signature = envelope.get("authority"), envelope.get("signature")
    for key, value in (("supersedes", supersedes), ("reason", reason), ("authority", authority_id),
                       ("signature", signature)):  # fmt: skip
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(key, "required (a non-empty string)"))
    # Unsigned fields beside these are ignored, as for protocols (see achyk.domain.submission).
    protocol = None
    try:  # what is signed and hashed below must have canonical bytes
        canonical_hash(correction_statement(doc, supersedes, reason))
    except ValueError as err:  # JSON allows what RFC 8785 cannot hash: integers beyond 2^53
        problems.append(Problem("", f"not representable in RFC 8785 canonical JSON ({err})"))
        return ExaminedCorrection(None, "", "", tuple(problems))
    if not isinstance(doc, dict):
        problems.append(Problem("protocol", "required"))
        doc = {}
    else:
        protocol, shape = protocol_from_json(doc, election.form, strict=True)
        problems += [Problem(f"protocol.{p.where}", p.what) for p in shape]
        if protocol is not None:
            problems += check_against_election(protocol, election)
            problems += check_relations(protocol, election.form)
    authority = next((a for a in election.authorities if a.id == authority_id), None)
    if isinstance(authority_id, str) and authority is None:
        problems.append(
            Problem("authority", f"{authority_id!r} is not an authority of this election")
        )
    if authority is not None and authority.body not in ("central", "territorial"):
        # a court orders a recount; the commission that holds the ballots corrects the protocol
        problems.append(
            Problem("authority", f"{authority.id} is a {authority.body} body: commissions correct")
        )
    if authority is not None and isinstance(signature, str):
        try:
            verify(authority.public_key, CORRECTION_PURPOSE,
                   correction_statement(doc, supersedes, reason), signature)  # fmt: skip
        except SignatureError as err:
            problems.append(Problem("signature", f"authority {authority.id}: {err}"))
    return ExaminedCorrection(
        protocol if not problems else None,
        canonical_hash(doc),
        supersedes if isinstance(supersedes, str) else "",
        tuple(problems),
    )
