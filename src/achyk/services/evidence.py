"""A refused submission as it is kept: whatever came in, the refusal fits the log and the tables.

The bytes are kept as received. Past the size limit only their first :data:`EVIDENCE_KEPT` bytes
are kept, with the SHA-256 of the whole and of the part kept, both on the log entry. The station
named in the submission is recorded only if it is a valid id (a 5,000-character "station" or one
holding a NUL would not fit the station column and took the whole batch down); reasons are capped
in number and length so the entry stays inside the log's 64 KiB entry size; the source name too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.canonical import sha256_hex
from achyk.domain.identifiers import id_problem
from achyk.domain.submission import ENVELOPE_LIMITS
from achyk.errors import Problem

EVIDENCE_KEPT = 65_536
MAX_REASONS = 50
MAX_REASON_CHARS = 400
MAX_SOURCE_CHARS = 200


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reasons_of(problems: Sequence[Problem]) -> list[str]:
    texts = [_clip(str(p), MAX_REASON_CHARS) for p in problems[:MAX_REASONS]]
    if len(problems) > MAX_REASONS:
        texts.append(f"… and {len(problems) - MAX_REASONS} more")
    return texts


def station_of(value: object) -> str | None:
    return value if isinstance(value, str) and id_problem(value) is None else None


@dataclass(frozen=True)
class Kept:
    """The log entry of a refusal and what the rejections table keeps of it."""

    entry: dict[str, Any]
    station: str | None
    source: str
    evidence: bytes
    raw_hash: str
    reasons: list[str]


def kept_refusal(
    election_id: str, source: str, station: object, raw: bytes, problems: Sequence[Problem]
) -> Kept:
    reasons = reasons_of(problems)
    where = station_of(station)
    name = _clip(source, MAX_SOURCE_CHARS)
    digest = sha256_hex(raw)
    entry: dict[str, Any] = {"kind": "rejection", "election": election_id, "source": name,
                             "station": where, "submission_sha256": digest, "reasons": reasons}  # fmt: skip
    evidence = raw
    if len(raw) > ENVELOPE_LIMITS.max_bytes:
        evidence = raw[:EVIDENCE_KEPT]
        entry["submission_bytes"] = len(raw)
        entry["evidence_sha256"] = sha256_hex(evidence)
    return Kept(entry, where, name, evidence, digest, reasons)
