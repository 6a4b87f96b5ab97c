"""A station's signed protocol submission, examined before anything is stored.

The envelope a device sends: `{"protocol": {...}, "device": "<device id>", "signature": "<base64>"}`,
the signature being Ed25519 over `achyk/protocol/v1\\n` + RFC 8785 bytes of the protocol object.
A station with registered devices must sign; a backup device's signature counts only after the switch
from the failed scanner has been recorded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from achyk.canonical import Canonical, canonical_json_of_parsed, sha256_hex
from achyk.domain.bounded_json import JsonLimits, read_json
from achyk.domain.definition import DeviceRole, Election
from achyk.domain.protocol import (
    Protocol,
    check_against_election,
    check_protocol,
    protocol_from_json,
)
from achyk.errors import Problem, SignatureError
from achyk.signing import PROTOCOL_PURPOSE, verify_canonical

# A protocol envelope is a few kilobytes: a station, a dozen lines, one figure per party or
# candidate, a device id and a signature. Far beyond these is not a protocol.
ENVELOPE_LIMITS = JsonLimits(max_bytes=1 << 20, max_depth=8, max_string=65_536, max_fields=1_000,
                             max_items=1_000)  # fmt: skip


@dataclass(frozen=True)
class Examined:
    """The outcome of examining one submission: a valid protocol, or the problems that reject it."""

    protocol: Protocol | None
    document: dict[str, Any] | None  # the protocol object as signed
    document_hash: str | None
    canonical: Canonical | None  # the protocol object's RFC 8785 bytes, encoded once
    device_id: str | None
    signature: str | None
    station_id: str | None
    problems: tuple[Problem, ...]
    # Relations the election's form flags, not refuses: the protocol is accepted and counted,
    # and these are shown as anomalies (recomputed from the protocol and the form, never stored).
    flags: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.protocol is not None and not self.problems


def parse_envelope(raw: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The envelope as a JSON object, read within limits (:mod:`achyk.domain.bounded_json`)."""
    doc, problems = read_json(raw, ENVELOPE_LIMITS)
    if problems:
        return None, problems
    if not isinstance(doc, dict):
        return None, [Problem("", "a submission is a JSON object")]
    return doc, []


def examine(
    election: Election,
    envelope: Mapping[str, Any],
    active_backups: Mapping[str, Collection[str]] | None = None,
    *,
    keep_accepted_document: bool = True,
) -> Examined:
    """Check the shape, the election, every control relation and the device signature.

    `active_backups` maps a station to the backup devices switched in for it. Without
    `keep_accepted_document`, an accepted protocol's outcome holds no `document` (its Protocol
    and canonical bytes say all; a refused one keeps it, as evidence).
    """
    problems: list[Problem] = []
    document = envelope.get("protocol")
    station_id = None
    if not isinstance(document, dict):
        return Examined(
            None, None, None, None, None, None, None, (Problem("protocol", "required"),)
        )
    raw_station = document.get("station")
    station_id = raw_station if isinstance(raw_station, str) else None
    try:
        canonical = Canonical(canonical_json_of_parsed(document))  # parsed from JSON
    except ValueError as err:  # JSON allows what RFC 8785 cannot hash: integers beyond 2^53
        problem = Problem("protocol", f"not representable in RFC 8785 canonical JSON ({err})")
        return Examined(None, None, None, None, None, None, station_id, (problem,))
    # Fields beside the signed ones are ignored, not refused: nothing unsigned may decide whether a
    # validly signed protocol counts (a verifier judges a refusal by the signed parts alone).
    protocol, shape = protocol_from_json(document, election.form, strict=True)
    problems += [Problem(f"protocol.{p.where}", p.what) for p in shape]
    flags: list[Problem] = []
    if protocol is not None:
        problems += check_against_election(protocol, election)
        refusals, flags = check_protocol(protocol, election.form)
        problems += refusals
    device_id = envelope.get("device")
    signature = envelope.get("signature")
    problems += _signature_problems(
        election, station_id, canonical, device_id, signature, active_backups or {}
    )
    return Examined(
        protocol if not problems else None,
        document if problems or keep_accepted_document else None,
        sha256_hex(canonical),
        canonical,
        device_id if isinstance(device_id, str) else None,
        signature if isinstance(signature, str) else None,
        station_id,
        tuple(problems),
        tuple(flags) if not problems else (),
    )


def _signature_problems(
    election: Election,
    station_id: str | None,
    canonical: bytes,
    device_id: Any,
    signature: Any,
    active_backups: Mapping[str, Collection[str]],
) -> list[Problem]:
    place = election.place(station_id) if station_id else None
    if place is None or not place.station.devices:
        if device_id is None and signature is None:
            return []
        if place is None:
            return []  # the unknown station is already reported
        return [Problem("device", f"station {station_id} has no registered devices")]
    if not isinstance(device_id, str) or not isinstance(signature, str):
        return [Problem("signature", "required: this station's protocols are signed by its device")]
    device = place.station.device(device_id)
    if device is None:
        return [Problem("device", f"{device_id!r} is not a device of station {station_id}")]
    if device.role is DeviceRole.BACKUP and device_id not in active_backups.get(
        place.station.id, ()
    ):
        return [
            Problem(
                "device",
                f"backup {device_id} signed, but no switch to it is recorded for station "
                f"{station_id}",
            )
        ]
    try:
        verify_canonical(device.public_key, PROTOCOL_PURPOSE, canonical, signature)
    except SignatureError as err:
        return [Problem("signature", f"device {device_id}: {err}")]
    return []
