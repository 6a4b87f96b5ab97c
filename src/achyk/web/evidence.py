"""Evidence from the tamper-evident log and the voter register, when those services are present.

The site is built to show, beside every station protocol, its log entry, signature, inclusion proof
and corrections, and the signed checkpoint they prove against. The log service may not be deployed
(or not yet written); the site then says "not yet in the log" instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from achyk.store.database import Database


@dataclass(frozen=True)
class CorrectionView:
    entry_index: int
    reason: str
    authority: str
    supersedes_index: int | None


@dataclass(frozen=True)
class EvidenceView:
    contest_id: str
    kind: str
    entry_index: int
    entry_hash: str
    inclusion_proof: tuple[str, ...]
    tree_size: int
    root: str
    device_id: str | None
    signature: str | None
    corrections: tuple[CorrectionView, ...]
    superseded: bool = False  # replaced by a later correction; kept and shown as history


@dataclass(frozen=True)
class HourlyTurnout:
    hour: str  # "HH:00": check-ins up to the end of that hour
    voted: int  # cumulative
    pct: str  # cumulative share of registered voters
    registered: int = 0  # the denominator: every voter on the register (after Form 2 moves)


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def ledger_available() -> bool:
    module = _module("achyk.services.ledger")
    return module is not None and hasattr(module, "station_evidence")


def station_evidence(db: Database, election_id: str, station_id: str) -> list[EvidenceView] | None:
    """The station's log evidence, or None when there is no log service to ask."""
    found = stations_evidence(db, election_id, [station_id])
    return None if found is None else found[station_id]


def stations_evidence(
    db: Database, election_id: str, station_ids: list[str]
) -> dict[str, list[EvidenceView]] | None:
    """The log evidence of many stations in one go (the published site, district by district)."""
    module = _module("achyk.services.ledger")
    if module is None or not hasattr(module, "stations_evidence"):
        return None
    return {
        sid: [_view(e) for e in found]
        for sid, found in module.stations_evidence(db, election_id, station_ids).items()
    }


def _view(e: Any) -> EvidenceView:
    corrections = tuple(
        CorrectionView(
            int(c.entry_index),
            str(c.reason),
            str(c.authority),
            None if c.supersedes_index is None else int(c.supersedes_index),
        )
        for c in getattr(e, "corrections", ())
    )
    return EvidenceView(
        contest_id=str(e.contest_id),
        kind=str(getattr(e.kind, "value", e.kind)),
        entry_index=int(e.entry_index),
        entry_hash=str(e.entry_hash),
        inclusion_proof=tuple(str(h) for h in e.inclusion_proof),
        tree_size=int(e.tree_size),
        root=str(e.root),
        device_id=None if e.device_id is None else str(e.device_id),
        signature=None if e.signature is None else str(e.signature),
        corrections=corrections,
        superseded=bool(getattr(e, "superseded", False)),
    )


def latest_checkpoint(db: Database, election_id: str) -> str | None:
    module = _module("achyk.services.ledger")
    if module is None or not hasattr(module, "latest_checkpoint"):
        return None
    text = module.latest_checkpoint(db, election_id)
    return None if text is None else str(text)


def _any_checkin(db: Database, election_id: str) -> bool:
    from sqlalchemy import select

    from achyk.store.register_models import CheckinRow

    q = select(CheckinRow.station_id).where(CheckinRow.election_id == election_id).limit(1)
    with db.read() as s:
        return s.scalar(q) is not None


def turnout_by_hour(db: Database, election_id: str) -> list[HourlyTurnout]:
    """National turnout through election day from the register service; empty without one."""
    if not _any_checkin(db, election_id):
        # No hour has a check-in: empty, as the register service would say after reading every
        # station of the definition (which the first overview after start-up has not read).
        return []
    module = _module("achyk.services.register")
    fn = getattr(module, "turnout", None) if module is not None else None
    if fn is None:
        return []
    units = fn(db, election_id)
    if not units:
        return []
    return [
        HourlyTurnout(
            f"{int(h.hour):02d}:00", int(h.cumulative), str(h.turnout_pct), int(units[0].registered)
        )
        for h in units[0].by_hour
    ]
