"""What `achyk verify` trusts: the pins given outside the record, checked against the record.

With a trust file (or ``--log-key``) the record's own ``log_key``, ``origin`` and ``election`` must
equal the pinned ones, and only the pinned witnesses count toward the pinned quorum. Without any
pin the record's own key and witnesses are used, and the report says so in a WARN line: such a
run proves only that the record is self-consistent, not that it is the CEC's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.errors import VerificationError
from achyk.ledger.trust import Trust, TrustedWitness, count_cosignatures


@dataclass(frozen=True)
class Anchors:
    log_key: str
    origin: str
    witnesses: tuple[TrustedWitness, ...]
    quorum: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def record_witnesses(record: dict[str, Any]) -> tuple[tuple[TrustedWitness, ...], int]:
    """The witnesses and quorum record.json states (a record of format 1 before witnesses
    counted lists none, which means a quorum of 0)."""
    raw, quorum = record.get("witnesses", []), record.get("quorum", 0)
    if not isinstance(raw, list) or type(quorum) is not int or quorum < 0:
        raise VerificationError("record.json: witnesses must be a list and quorum a count")
    out = []
    for i, w in enumerate(raw):
        if (
            not isinstance(w, dict)
            or not isinstance(w.get("name"), str)
            or not isinstance(w.get("key"), str)
        ):
            raise VerificationError(f'record.json: witnesses[{i}] is not {{"name", "key"}}')
        out.append(TrustedWitness(w["name"], w["key"]))
    return tuple(out), quorum


def anchors(record: dict[str, Any], trust: Trust | None) -> Anchors:
    """The key, origin, witnesses and quorum to check the record with, and any mismatch."""
    log_key, origin = record.get("log_key"), record.get("origin")
    if not isinstance(log_key, str) or not isinstance(origin, str):
        raise VerificationError("record.json: log_key and origin must be strings")
    witnesses, quorum = record_witnesses(record)
    problems: list[str] = []
    warnings: list[str] = []
    if trust is None or not trust.pinned:
        warnings.append(f"no trust anchor given: trusted the record's own log key {log_key} "
                        "(pin it with --trust FILE or --log-key VKEY)")  # fmt: skip
    else:
        assert trust.log_key is not None
        if log_key != trust.log_key:
            problems.append(f"record.json's log key {log_key} is not the pinned {trust.log_key}")
        log_key = trust.log_key
        if trust.origin is not None:
            if origin != trust.origin:
                problems.append(f"record.json's origin {origin!r} is not the pinned "
                                f"{trust.origin!r}")  # fmt: skip
            origin = trust.origin
        if trust.election is not None and record.get("election") != trust.election:
            problems.append(f"record.json is of election {record.get('election')!r}, the trust "
                            f"file of {trust.election!r}")  # fmt: skip
    if trust is not None and trust.witnesses is not None:
        witnesses = trust.witnesses
    elif trust is not None and trust.pinned and witnesses:
        warnings.append("no witness pinned: the record's own witness list was used")
    if trust is not None and trust.quorum is not None:
        quorum = trust.quorum
    return Anchors(log_key, origin, witnesses, quorum, tuple(problems), tuple(warnings))


def check_quorum(note: str, a: Anchors) -> tuple[list[str], str]:
    """Problems with the cosignatures on the latest checkpoint, and a summary line."""
    counted, problems = count_cosignatures(note, a.witnesses)
    if len(counted) < a.quorum:
        missing = [w.name for w in a.witnesses if w.name not in counted]
        problems.append(f"only {len(counted)} of the {a.quorum} witness cosignatures required "
                        f"are on the latest checkpoint (missing: {', '.join(missing)})")  # fmt: skip
    summary = f"{len(counted)} of {len(a.witnesses)} witness(es) cosigned, quorum {a.quorum}"
    return problems, summary


def definition_pin(trust: Trust | None, digest: str) -> list[str]:
    if trust is None or trust.definition_sha256 is None or trust.definition_sha256 == digest:
        return []
    return [f"the log's definition is {digest}, the trust file pins {trust.definition_sha256}"]
