"""Replaying the log: every entry judged in order against the definition and what came before.

The replay is the fold that produces the results: the current protocol of each slot (station,
contest, kind), after every correction. Each problem is named by the entry's index.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from achyk.domain.correction import examine_correction
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol
from achyk.domain.station_files import Switch
from achyk.domain.submission import ENVELOPE_LIMITS, examine, parse_envelope
from achyk.errors import DefinitionError
from achyk.formats.definition import election_from_document
from achyk.verify.audit import AUDIT_KINDS, AuditEntries
from achyk.verify.disputes import KINDS as DISPUTE_KINDS
from achyk.verify.disputes import DisputeEntries
from achyk.verify.entries import canonical, load
from achyk.verify.imported import IMPORTED_KINDS, imported_entry
from achyk.verify.observers import KINDS as OBSERVER_KINDS
from achyk.verify.observers import ObserverEntries
from achyk.verify.parallel import Far, Judged
from achyk.verify.remote import REMOTE_KINDS, RemoteEntries

KINDS = (
    "definition", "protocol", "rejection", "device-switch", "correction",
    "register-commitment", "register-move", "log-key-rotation", *REMOTE_KINDS, *DISPUTE_KINDS,
    *IMPORTED_KINDS, *AUDIT_KINDS, *OBSERVER_KINDS,
)  # fmt: skip


Slot = tuple[str, str, str]  # (station, contest, kind)


class FarProtocols(typing.Protocol):
    """Where protocols judged and kept on a Dask cluster's workers are fetched from."""

    def fetch(self, indices: list[int], /) -> dict[int, tuple[Protocol, str | None, str | None]]:
        """Each log index's protocol, its device and its signature."""
        ...


@dataclass
class Replay:
    election: Election | None = None
    definition_sha256: str = ""
    backups: dict[str, set[str]] = field(default_factory=dict)
    # (log index, document hash, protocol): a `Far` protocol is on a cluster's worker (`far`)
    slots: dict[Slot, tuple[int, str, Protocol | Far]] = field(default_factory=dict)
    rejections: dict[int, str] = field(default_factory=dict)  # index → submission sha256
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    register_parts: dict[str, dict[int, int]] = field(default_factory=dict)  # root → part → voters
    register_abroad: dict[str, int] = field(default_factory=dict)  # root → voters abroad
    remote: RemoteEntries = field(default_factory=RemoteEntries)  # checked by verify.remote
    disputes: DisputeEntries = field(default_factory=DisputeEntries)  # complaints and decisions
    imported: dict[str, Any] | None = None  # the imported-results entry (verify.imported)
    unsigned: int = 0  # imported protocols: no device signature
    audit: AuditEntries = field(default_factory=AuditEntries)  # checked by verify.audit
    observers: ObserverEntries = field(default_factory=ObserverEntries)  # missions, observations
    signers: dict[int, str] = field(default_factory=dict)  # protocol entry index → its device
    signatures: dict[int, str] = field(default_factory=dict)  # protocol or correction → its own
    refused: dict[str, list[tuple[int, list[str]]]] = field(default_factory=dict)  # by station
    switches: dict[str, list[Switch]] = field(default_factory=dict)  # by station, in log order
    far: FarProtocols | None = None  # where the slots' `Far` protocols are

    def protocols(self) -> list[Protocol]:
        return [p for _, _, p in self.current().values()]

    def current(self) -> dict[Slot, tuple[int, str, Protocol]]:
        """The slots, each with its protocol here: those kept on a cluster's workers fetched
        (with their devices and signatures) the first time they are asked for."""
        far = [i for i, _, p in self.slots.values() if isinstance(p, Far)]
        if far:
            assert self.far is not None
            got = self.far.fetch(far)
            for slot, (i, digest, p) in self.slots.items():
                if isinstance(p, Far):
                    protocol, device, signature = got[i]
                    self.slots[slot] = (i, digest, protocol)
                    if device is not None:
                        self.signers[i] = device
                    if signature is not None:
                        self.signatures[i] = signature
        return typing.cast(dict[Slot, tuple[int, str, Protocol]], self.slots)

    def fail(self, index: int, what: str) -> None:
        self.problems.append(f"log entry {index}: {what}")


class Lookup(typing.Protocol):
    """Outcomes by log index (a mapping, or `achyk.verify.parallel.Verdicts`)."""

    def get(self, index: int, /) -> Judged | None: ...


@dataclass(frozen=True)
class Definition:
    """The published definition as the replay needs it: its canonical hash, and the election
    built from it (or why it does not validate). Made once, so the document itself (hundreds
    of megabytes of objects at 100,000 stations) need not be held through the replay."""

    sha256: str
    election: Election | None
    error: str = ""

    @classmethod
    def of(cls, document: Any, election: Election | None = None, plain: bool = False) -> Definition:
        """`plain`: `document` as `achyk.verify.entries.load` read it, plain (hashed in C)."""
        digest = hashlib.sha256(canonical(document, plain)).hexdigest()
        if election is not None:
            return cls(digest, election)
        try:
            return cls(digest, election_from_document(document, "definition.json"))
        except DefinitionError as err:
            return cls(digest, None, str(err))


def replay(
    entries: Iterable[bytes],
    definition: Any,
    evidence: Mapping[int, bytes] | None = None,
    judged: Lookup | None = None,
    election: Election | None = None,
    far: FarProtocols | None = None,
) -> Replay:
    """Judge every entry in order; `definition` is the published definition document, or the
    `Definition` made from it.

    `judged`: protocol entries already judged by workers (achyk.verify.parallel), taken in log
    order here; `election`: the definition already built from `definition`, not built again;
    `far`: where the protocols `judged` gives as `Far` are (achyk.verify.by_region).
    """
    state = Replay(far=far)
    if not isinstance(definition, Definition):
        definition = Definition.of(definition, election)
    for index, raw in enumerate(entries):
        done = judged.get(index) if judged is not None and state.election is not None else None
        if done is not None:  # canonical, a protocol of this election: a worker examined it
            state.counts["protocol"] = state.counts.get("protocol", 0) + 1
            _protocol(state, index, {}, done)
            continue
        try:
            entry, plain = load(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            state.fail(index, f"not JSON: {err}")
            continue
        if not isinstance(entry, dict) or canonical(entry, plain) != raw:
            state.fail(index, "not in RFC 8785 canonical form")
            continue
        kind = entry.get("kind")
        state.counts[str(kind)] = state.counts.get(str(kind), 0) + 1
        if index == 0:
            _definition(state, entry, definition)
            continue
        if kind not in KINDS or kind == "definition":
            state.fail(index, f"unexpected entry kind {kind!r}")
            continue
        if state.election is None:
            continue
        if entry.get("election") != state.election.id:
            state.fail(index, f"belongs to election {entry.get('election')!r}")
            continue
        if kind == "protocol":
            _protocol(state, index, entry)
        elif kind == "correction":
            _correction(state, index, entry)
            state.disputes.correction(index, entry)
        elif kind == "device-switch":
            _switch(state, index, entry)
        elif kind == "rejection":
            _rejection(state, index, entry, (evidence or {}).get(index))
        elif kind in REMOTE_KINDS:
            state.remote.add(index, entry)
            if kind == "remote-ceremony":  # a mission may be declared one of its trustees
                state.observers.note_ceremony(entry)
        elif kind in AUDIT_KINDS:
            state.audit.add(index, entry, state.election, state.protocols)
        elif kind in ("register-commitment", "register-move"):
            _register(state, index, entry)
        elif kind in DISPUTE_KINDS:
            state.disputes.add(state.election, index, entry)
        elif kind in IMPORTED_KINDS:
            imported_entry(state, index, entry)
        elif kind in OBSERVER_KINDS:
            state.observers.add(state.election, index, entry)
    state.problems.extend(state.disputes.problems)
    state.problems.extend(state.observers.problems)
    return state


def _definition(state: Replay, entry: dict[str, Any], definition: Definition) -> None:
    if entry.get("kind") != "definition":
        state.fail(0, "the first entry must be the election definition")
        return
    digest = definition.sha256
    if entry.get("definition_sha256") != digest:
        state.fail(0, f"definition.json hashes to {digest}, the log says "
                      f"{entry.get('definition_sha256')}")  # fmt: skip
        return
    if definition.election is None:
        state.fail(0, f"the definition does not validate: {definition.error}")
        return
    state.election = definition.election
    if entry.get("election") != state.election.id:
        state.fail(
            0, f"names election {entry.get('election')!r}, the definition {state.election.id!r}"
        )
    state.definition_sha256 = digest


def _protocol(
    state: Replay, index: int, entry: dict[str, Any], judged: Judged | None = None
) -> None:
    assert state.election is not None
    if judged is None:
        envelope = {k: entry.get(k) for k in ("protocol", "device", "signature")}
        result = examine(state.election, envelope, state.backups)
        signature = entry.get("signature")
        judged = Judged(tuple(map(str, result.problems)), result.document_hash or "",
                        result.device_id, result.protocol if result.ok else None,
                        signature if isinstance(signature, str) else None)  # fmt: skip
    if judged.problems or judged.protocol is None:
        state.fail(index, "accepted protocol fails: " + "; ".join(judged.problems))
        return
    p = judged.protocol
    slot = (p.station_id, p.contest_id, p.kind.value)
    if slot in state.slots:
        state.fail(index, f"second protocol for station {slot[0]} {slot[1]}/{slot[2]} "
                          f"(entry {state.slots[slot][0]}) without a correction")  # fmt: skip
        return
    state.slots[slot] = (index, judged.document_hash, p)
    if judged.device_id is not None:
        state.signers[index] = judged.device_id
    if judged.signature is not None:
        state.signatures[index] = judged.signature


def _correction(state: Replay, index: int, entry: dict[str, Any]) -> None:
    assert state.election is not None
    envelope = {
        "protocol": entry.get("protocol"), "supersedes": entry.get("supersedes_hash"),
        "reason": entry.get("reason"), "authority": entry.get("authority"),
        "signature": entry.get("signature"),
    }  # fmt: skip
    result = examine_correction(state.election, envelope)
    if result.protocol is None:
        state.fail(index, "correction fails: " + "; ".join(map(str, result.problems)))
        return
    p = result.protocol
    slot = (p.station_id, p.contest_id, p.kind.value)
    held = state.slots.get(slot)
    if held is None or held[0] != entry.get("supersedes") or held[1] != result.supersedes:
        state.fail(index, f"correction supersedes entry {entry.get('supersedes')}, which is not "
                          f"the current protocol of station {slot[0]} {slot[1]}/{slot[2]}")  # fmt: skip
        return
    state.slots[slot] = (index, result.document_hash, p)
    if isinstance(entry.get("signature"), str):
        state.signatures[index] = entry["signature"]


def _switch(state: Replay, index: int, entry: dict[str, Any]) -> None:
    assert state.election is not None
    place = state.election.place(str(entry.get("station")))
    if place is None:
        state.fail(index, f"device switch at unknown station {entry.get('station')!r}")
        return
    for key in ("from", "to"):
        if place.station.device(str(entry.get(key))) is None:
            state.fail(index, f"device switch names unregistered device {entry.get(key)!r}")
            return
    state.backups.setdefault(place.station.id, set()).add(str(entry["to"]))
    state.switches.setdefault(place.station.id, []).append(
        Switch(index, str(entry["from"]), str(entry["to"]), str(entry.get("reason", "")))
    )


def _rejection(state: Replay, index: int, entry: dict[str, Any], raw: bytes | None) -> None:
    """A rejection must have been justified: its evidence, judged at this point of the log both as
    a protocol and as a correction, must be neither a valid protocol for an empty slot nor a valid
    correction of a slot's current protocol. No field of the evidence chooses how it is judged."""
    digest = entry.get("submission_sha256")
    state.rejections[index] = str(digest)
    if isinstance(entry.get("station"), str) and isinstance(entry.get("reasons"), list):
        state.refused.setdefault(entry["station"], []).append((index, list(entry["reasons"])))
    if raw is None:
        state.fail(index, f"rejection without its evidence (evidence/{index}.bin is not published)")
        return
    if "evidence_sha256" in entry:  # over the size limit: its first bytes were kept, and hashed
        if hashlib.sha256(raw).hexdigest() != entry["evidence_sha256"]:
            state.fail(index, "published evidence does not match the rejection's evidence_sha256")
        elif not isinstance(entry.get("submission_bytes"), int) or entry["submission_bytes"] <= (
            ENVELOPE_LIMITS.max_bytes
        ):
            state.fail(index, "a submission kept in part must be over the size limit")
        return
    if hashlib.sha256(raw).hexdigest() != digest:
        state.fail(index, "published evidence does not match the rejection's submission_sha256")
        return
    assert state.election is not None
    envelope, _ = parse_envelope(raw)
    if envelope is None:
        return  # not even a JSON object: rightly refused
    # Only the signed parts count: extra fields added to the bytes cannot make them look invalid.
    as_protocol = {k: envelope.get(k) for k in ("protocol", "device", "signature")}
    result = examine(state.election, as_protocol, state.backups)
    if result.ok and result.protocol is not None:
        p = result.protocol
        if (p.station_id, p.contest_id, p.kind.value) not in state.slots:
            state.fail(index, f"a valid protocol for station {p.station_id} was rejected")
            return
    signed = ("protocol", "supersedes", "reason", "authority", "signature")
    fixed = examine_correction(state.election, {k: envelope.get(k) for k in signed})
    c = fixed.protocol
    if c is not None and not fixed.problems:
        held = state.slots.get((c.station_id, c.contest_id, c.kind.value))
        if held is not None and held[1] == fixed.supersedes:
            state.fail(index, f"a valid correction for station {c.station_id} was rejected")


def _register(state: Replay, index: int, entry: dict[str, Any]) -> None:
    """Register entries carry no personal data; check they speak of this election's stations."""
    assert state.election is not None
    if entry["kind"] == "register-move":
        stations = [entry.get("from"), entry.get("to")]
    else:
        per_station = entry.get("voters_per_station")
        if not isinstance(per_station, dict) or not all(
            isinstance(n, int) and n >= 0 for n in per_station.values()
        ):
            state.fail(index, "register commitment without valid voters_per_station")
            return
        if "parts" in entry:  # one of several: the sum is checked over all of them at the end
            key = str(entry.get("merkle_root"))
            parts = state.register_parts.setdefault(key, {})
            parts[int(entry.get("part", 0))] = sum(per_station.values())
            total, expected = sum(parts.values()), entry.get("count")
            if len(parts) == entry.get("parts") and total != expected:
                state.fail(index, f"register commitment: count {expected} ≠ sum over the "
                                  f"stations of its {len(parts)} parts {total}")  # fmt: skip
        elif sum(per_station.values()) != entry.get("count"):
            state.fail(index, f"register commitment: count {entry.get('count')} ≠ "
                              f"sum over stations {sum(per_station.values())}")  # fmt: skip
        stations = list(per_station)
        # Voters abroad on the register: no more remote credentials than this (issue 10).
        abroad = sum(n for st, n in per_station.items()
                     if (p := state.election.place(str(st))) is not None and p.station.abroad)  # fmt: skip
        root = str(entry.get("merkle_root"))
        state.register_abroad[root] = state.register_abroad.get(root, 0) + abroad
        state.remote.abroad_voters = state.register_abroad[root]
    for station in stations:
        if state.election.place(str(station)) is None:
            state.fail(index, f"{entry['kind']} names unknown station {station!r}")
            return
