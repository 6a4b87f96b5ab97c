"""What a CEC, a mission or an observer sends: the entry's fields signed by its own key, on its
own device. The server never holds these keys; it checks the signatures against the chain of trust
the log already holds (`achyk.observers.fold`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.canonical import canonical_json
from achyk.observers.deployment import Plan
from achyk.observers.model import PURPOSES, ObserverError, statement
from achyk.signing import public_key_b64, sign


def signed(key: Ed25519PrivateKey, kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with the signature of `key` over them under the kind's purpose."""
    purpose = PURPOSES.get(kind)
    if purpose is None:
        raise ObserverError(f"not an observer entry kind: {kind!r}")
    body = statement(fields)
    return {**body, "signature": sign(key, purpose, body)}


def accreditation(cec: Ed25519PrivateKey, authority: str, mission: str, kind: str, name: str,
                  mission_key: str, witness: str | None = None,
                  trustee: str | None = None) -> dict[str, Any]:  # fmt: skip
    """`witness`, `trustee`: the mission's names as a witness of the log or a trustee of remote
    voting, declared by the CEC (absent when it is neither: existing accreditations unchanged)."""
    links = {k: v for k, v in (("witness", witness), ("trustee", trustee)) if v is not None}
    return signed(cec, "mission-accreditation", {
        "authority": authority, "mission": mission, "mission_kind": kind, "name": name,
        "public_key": mission_key, **links,
    })  # fmt: skip


def registration(mission_key: Ed25519PrivateKey, mission: str, pseudonym: str, role: str,
                 team: str | None, observer: Ed25519PrivateKey,
                 languages: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    return signed(mission_key, "observer-registration", {
        "mission": mission, "observer": pseudonym, "role": role, "team": team,
        "public_key": public_key_b64(observer), "languages": list(languages),
    })  # fmt: skip


def plan_entry(mission_key: Ed25519PrivateKey, mission: str, plan: Plan) -> dict[str, Any]:
    return signed(mission_key, "deployment-plan", {"mission": mission, **plan.document()})


def content_sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(content))).hexdigest()


def observation(observer: Ed25519PrivateKey, mission: str, pseudonym: str, station: str,
                form: str, content: Mapping[str, Any], at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """The observer's signed submission: its content's hash only; the content stays with the
    mission until it publishes (`publication`)."""
    return signed(observer, "observation", {
        "mission": mission, "observer": pseudonym, "station": station, "form": form,
        "at": (at or datetime.now(UTC)).isoformat(), "content_sha256": content_sha256(content),
    })  # fmt: skip


def publication(mission_key: Ed25519PrivateKey, mission: str, observation_index: int,
                content: Mapping[str, Any],
                photos: Mapping[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """`photos`: each photo's SHA-256 as the observer signed it → that of the copy published
    (its metadata stripped); omitted when the content holds no photo."""
    fields: dict[str, Any] = {
        "mission": mission, "observation": observation_index, "content": dict(content),
    }  # fmt: skip
    if photos:
        fields["photos"] = dict(sorted(photos.items()))
    return signed(mission_key, "observation-content", fields)


def station_change(observer: Ed25519PrivateKey, mission: str, pseudonym: str, origin: str,
                   target: str, reason: str, at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    return signed(observer, "station-change", {
        "mission": mission, "observer": pseudonym, "from": origin, "to": target, "reason": reason,
        "at": (at or datetime.now(UTC)).isoformat(),
    })  # fmt: skip


def lto_areas(mission_key: Ed25519PrivateKey, mission: str, areas: Mapping[str, Any],
              seed: str | None = None) -> dict[str, Any]:  # fmt: skip
    return signed(mission_key, "lto-areas", {
        "mission": mission, "seed": seed, "areas": {k: list(v) for k, v in sorted(areas.items())},
    })  # fmt: skip


def protocol_copy(observer: Ed25519PrivateKey, mission: str, pseudonym: str, station: str,
                  contest: str, figures: Mapping[str, Any], at: datetime | None = None,
                  photo_sha256: str | None = None) -> dict[str, Any]:  # fmt: skip
    return signed(observer, "protocol-copy", {
        "mission": mission, "observer": pseudonym, "station": station, "contest": contest,
        "at": (at or datetime.now(UTC)).isoformat(), "figures": dict(figures),
        "photo_sha256": photo_sha256,
    })  # fmt: skip


def mission_statement(mission_key: Ed25519PrivateKey, document: Mapping[str, Any],
                      at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """A statement or final report as issued: signed on the mission's machine with its key."""
    return signed(mission_key, "mission-statement", {
        "mission": document.get("mission"), "statement": dict(document),
        "issued_at": (at or datetime.now(UTC)).isoformat(),
    })  # fmt: skip


def mission_forms(mission_key: Ed25519PrivateKey, mission: str,
                  forms: Sequence[Mapping[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The mission's own forms (`achyk.observers.mission_forms`), signed on its machine."""
    return signed(
        mission_key, "mission-forms", {"mission": mission, "forms": [dict(f) for f in forms]}
    )
