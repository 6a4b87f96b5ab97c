"""The mission's inbox: what observers' phones sealed to the mission's key (a form's content and
its photos), kept unread by the server; and the mission's side — opening the items with its own key
on its own machine, publishing each content and its photos with their metadata stripped.

The log already holds each submission's hash (signed by the observer), so neither the operator who
keeps the inbox nor the mission that publishes from it can change what the observer saw.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from achyk.errors import AchykError, NotFoundError, Problem
from achyk.observers import signing as sig
from achyk.observers.model import ObserverError
from achyk.observers.photos import media_type, strip_metadata
from achyk.observers.sealing import unseal_json
from achyk.services.elections import get_election
from achyk.services.evidence import kept_refusal
from achyk.services.ledger import append_entries
from achyk.services.observers.record import read_observers, record
from achyk.store.database import Database
from achyk.store.models import MissionInboxRow, ObserverPhotoRow
from achyk.store.repositories import Rejections

MAX_SEALED = 30 * 1024 * 1024  # a form with a few phone photos


def keep_sealed(db: Database, election_id: str, mission: str, sealed: bytes) -> str:
    """Store a sealed item for an accredited mission; its SHA-256 (the same item resent is kept
    once and answered alike). A refused item is kept as evidence with its reason (a `rejection`
    on the log), then the refusal is raised."""
    election = get_election(db, election_id)
    if mission not in read_observers(db, election.id).missions:
        refuse_sealed(db, election.id, mission, sealed, f"no accredited mission {mission!r}")
        raise NotFoundError(f"no accredited mission {mission!r}")
    if not 60 <= len(sealed) <= MAX_SEALED:
        reason = f"a sealed item is 60 bytes to {MAX_SEALED // 2**20} MiB"
        refuse_sealed(db, election.id, mission, sealed, reason)
        raise ObserverError(reason)
    digest = hashlib.sha256(sealed).hexdigest()
    with db.session() as s:
        if s.get(MissionInboxRow, (election.id, digest)) is None:
            s.add(MissionInboxRow(election_id=election.id, sha256=digest, mission=mission,
                                  sealed=sealed, received_at=datetime.now(UTC)))  # fmt: skip
    return digest


def refuse_sealed(
    db: Database, election_id: str, mission: str, received: bytes, reason: str
) -> None:
    """Keep a refused inbox item as evidence: a `rejection` entry on the log (the hash of what was
    received, the reason) and the bytes — the first 64 KiB past the size limit — in the store."""
    election_id = get_election(
        db, election_id
    ).id  # an unknown election: NotFoundError, nothing kept
    kept = kept_refusal(election_id, f"inbox of mission {mission}"[:200], None, received,
                        [Problem("", reason)])  # fmt: skip
    with db.session() as s:
        [index] = append_entries(s, election_id, [kept.entry])
        Rejections(s).add(election_id, None, kept.source, kept.evidence, kept.raw_hash,
                          kept.reasons, index)  # fmt: skip


@dataclass
class Published:
    observations: int = 0
    photos: int = 0
    waiting: int = 0  # items whose submission is not on the log (yet)
    problems: list[str] = field(default_factory=list)


def _photos(item: dict[str, Any]) -> dict[str, bytes]:
    out = {}
    for p in item.get("photos") or []:
        try:
            data = base64.b64decode(str(p.get("data")), validate=True)
        except (binascii.Error, ValueError, AttributeError):
            raise ObserverError("a photo that is not base64") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != p.get("sha256"):
            raise ObserverError(f"a photo hashes to {digest}, not {p.get('sha256')}")
        out[digest] = data
    return out


def _keep_photo(db: Database, election: str, mission: str, original: str, data: bytes,
                index: int) -> str:  # fmt: skip
    stripped = strip_metadata(data)
    published = hashlib.sha256(stripped).hexdigest()
    with db.session() as s:
        if s.get(ObserverPhotoRow, (election, original)) is None:
            s.add(ObserverPhotoRow(election_id=election, sha256=original, mission=mission,
                                   media_type=media_type(data), content=stripped,
                                   published_sha256=published, log_index=index))  # fmt: skip
    return published


def publish_inbox(db: Database, election_id: str | None, mission: str,
                  key: Ed25519PrivateKey) -> Published:  # fmt: skip
    """The mission opens its inbox and publishes every observation it holds whose hash is on the
    log, with its photos stripped of metadata (each named by the original's hash the observer
    signed); a protocol copy's photo is published beside the copy."""
    election = get_election(db, election_id)
    with db.read() as s:
        rows = s.execute(select(MissionInboxRow.sha256, MissionInboxRow.sealed).where(
            MissionInboxRow.election_id == election.id, MissionInboxRow.mission == mission,
        ).order_by(MissionInboxRow.received_at)).all()  # fmt: skip
    out = Published()
    for digest, sealed in rows:
        try:
            _publish_item(db, election.id, mission, key, unseal_json(key, sealed), out)
        except AchykError as err:
            out.problems.append(f"inbox item {digest[:12]}: {err}")
    return out


def _publish_item(db: Database, election: str, mission: str, key: Ed25519PrivateKey,
                  item: dict[str, Any], out: Published) -> None:  # fmt: skip
    kind, envelope = item.get("kind"), item.get("envelope")
    if not isinstance(envelope, dict) or envelope.get("mission") != mission:
        raise ObserverError("an item without its signed submission for this mission")
    state = read_observers(db, election)
    index = state.resubmitted({**envelope, "kind": kind})
    if index is None:
        out.waiting += 1
        return
    photos = _photos(item)
    if kind == "protocol-copy":
        if photos and set(photos) != {envelope.get("photo_sha256")}:
            raise ObserverError("the photo is not the one the observer signed")
        for original, data in photos.items():
            _keep_photo(db, election, mission, original, data, index)
            out.photos += 1
        return
    if kind != "observation" or state.observations[index].published is not None:
        return
    content = item.get("content")
    if not isinstance(content, dict) or sig.content_sha256(content) != envelope["content_sha256"]:
        raise ObserverError("the content does not hash to what the observer signed")
    if set(photos) - set(content.get("evidence", [])):
        raise ObserverError("a photo the content does not name")
    stripped = {o: hashlib.sha256(strip_metadata(d)).hexdigest() for o, d in photos.items()}
    logged = record(db, election, "observation-content",
                    sig.publication(key, mission, index, content, stripped))  # fmt: skip
    if logged.index is None:
        raise ObserverError("publication refused: " + "; ".join(logged.refused))
    out.observations += 1
    for original, data in photos.items():
        _keep_photo(db, election, mission, original, data, logged.index)
        out.photos += 1


def published_photo(db: Database, election_id: str, mission: str, sha256: str) -> tuple[bytes, str]:
    """A published photo (metadata stripped) by the original's hash."""
    with db.read() as s:
        row = s.get(ObserverPhotoRow, (election_id, sha256))
        if row is None or row.mission != mission:
            raise NotFoundError(f"no published photo {sha256[:16]}… of {mission}")
        return row.content, row.media_type


def published_photos(db: Database, election_id: str) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every published photo, for the public record: named by the published
    copy's SHA-256, as the mission's `observation-content` entry names it."""
    with db.read() as s:
        rows = s.execute(select(ObserverPhotoRow.published_sha256, ObserverPhotoRow.media_type,
                                ObserverPhotoRow.content)
                         .where(ObserverPhotoRow.election_id == election_id)).all()  # fmt: skip
    return [(f"{digest}.{'png' if kind == 'image/png' else 'jpg'}", data)
            for digest, kind, data in sorted(rows)]  # fmt: skip
