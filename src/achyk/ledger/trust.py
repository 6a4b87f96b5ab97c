"""An election's trust anchors, pinned outside the record it vouches for.

The CEC publishes ``trust.json`` in its decree and observer missions print it in their statements::

    {"format": 1, "election": ID, "definition_sha256": HEX, "origin": ORIGIN, "log_key": VKEY,
     "witnesses": [{"name": NAME, "key": VKEY}, ...], "quorum": K}

A record is then believed only if its checkpoints verify under ``log_key`` with ``origin``, its
entry 0 names ``definition_sha256``, and its latest checkpoint carries valid cosignatures from at
least ``quorum`` of ``witnesses``. Pins may also be given one by one (``--log-key``,
``--witness``, ``--quorum``); then the fields not pinned are not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.canonical import canonical_json
from achyk.errors import VerificationError
from achyk.ledger.cosignature import WitnessKey, verify_cosignature
from achyk.ledger.note import NoteError, ed25519_verifier, parse_note

TRUST_FORMAT = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ORIGIN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?(/[A-Za-z0-9._~%-]+)+")


class TrustError(VerificationError):
    """A trust file or pin is malformed."""


@dataclass(frozen=True)
class TrustedWitness:
    name: str  # who the witness is, for people (e.g. "OSCE/ODIHR EOM")
    key: str  # C2SP verifier key, signature type 0x04 (cosignature/v1)

    @property
    def witness_key(self) -> WitnessKey:
        return WitnessKey.from_vkey(self.key)


@dataclass(frozen=True)
class Trust:
    """What a verifier believes before reading the record. ``None``: not pinned."""

    log_key: str | None = None
    origin: str | None = None
    election: str | None = None
    definition_sha256: str | None = None
    witnesses: tuple[TrustedWitness, ...] | None = None
    quorum: int | None = None

    @property
    def pinned(self) -> bool:
        return self.log_key is not None

    def document(self) -> dict[str, Any]:
        """The trust file's content (only a complete trust has one)."""
        if None in (self.log_key, self.origin, self.election, self.definition_sha256,
                    self.witnesses, self.quorum):  # fmt: skip
            raise TrustError("a trust file needs every field: log key, origin, election, "
                             "definition hash, witnesses and quorum")  # fmt: skip
        return {
            "format": TRUST_FORMAT, "election": self.election,
            "definition_sha256": self.definition_sha256, "origin": self.origin,
            "log_key": self.log_key,
            "witnesses": [{"name": w.name, "key": w.key} for w in self.witnesses or ()],
            "quorum": self.quorum,
        }  # fmt: skip

    def to_bytes(self) -> bytes:
        return canonical_json(self.document()) + b"\n"


def check_origin(origin: str) -> None:
    """An origin is URL-like, ``HOST/PATH`` (no scheme), as C2SP tlog-checkpoint recommends."""
    if not _ORIGIN.fullmatch(origin):
        raise TrustError(f"origin {origin!r} is not of the form HOST/PATH (e.g. "
                         "results.example.kg/2025-parliament)")  # fmt: skip


def _witness(doc: Any, where: str) -> TrustedWitness:
    if not isinstance(doc, dict) or set(doc) != {"name", "key"}:
        raise TrustError(f'{where}: a witness is {{"name", "key"}}')
    name, key = doc["name"], doc["key"]
    if not isinstance(name, str) or not name or not isinstance(key, str):
        raise TrustError(f"{where}: name and key must be non-empty strings")
    try:
        WitnessKey.from_vkey(key)
    except NoteError as err:
        raise TrustError(f"{where}.key: {err}") from None
    return TrustedWitness(name, key)


def parse_trust(data: bytes) -> Trust:
    """Read a trust file; every field is required and checked."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise TrustError(f"trust file is not JSON: {err}") from None
    fields = {"format", "election", "definition_sha256", "origin", "log_key", "witnesses",
              "quorum"}  # fmt: skip
    if not isinstance(doc, dict) or set(doc) != fields:
        raise TrustError(f"trust file must hold exactly the fields {sorted(fields)}")
    if doc["format"] != TRUST_FORMAT:
        raise TrustError(f"trust file format {doc['format']!r} is not {TRUST_FORMAT}")
    if not isinstance(doc["election"], str) or not doc["election"]:
        raise TrustError("trust file: election must be a non-empty string")
    if not isinstance(doc["definition_sha256"], str) or not _HEX64.fullmatch(
        doc["definition_sha256"]
    ):
        raise TrustError("trust file: definition_sha256 must be 64 lowercase hex digits")
    if not isinstance(doc["origin"], str):
        raise TrustError("trust file: origin must be a string")
    check_origin(doc["origin"])
    if not isinstance(doc["witnesses"], list):
        raise TrustError("trust file: witnesses must be a list")
    witnesses = tuple(_witness(w, f"witnesses[{i}]") for i, w in enumerate(doc["witnesses"]))
    if type(doc["quorum"]) is not int:
        raise TrustError("trust file: quorum must be a whole number")
    trust = pins(str(doc["log_key"]) if isinstance(doc["log_key"], str) else "",
                 [w.key for w in witnesses], doc["quorum"])  # fmt: skip
    return Trust(trust.log_key, doc["origin"], doc["election"], doc["definition_sha256"],
                 witnesses, trust.quorum)  # fmt: skip


def pins(log_key: str | None, witness_keys: Sequence[str], quorum: Any) -> Trust:
    """Pins given one by one. A quorum without witnesses, or above their number, is refused."""
    if log_key is not None:
        try:
            ed25519_verifier(log_key)
        except NoteError as err:
            raise TrustError(f"log key: {err}") from None
    witnesses = []
    for i, key in enumerate(witness_keys):
        try:
            witnesses.append(TrustedWitness(WitnessKey.from_vkey(key).name, key))
        except NoteError as err:
            raise TrustError(f"witness {i + 1}: {err}") from None
    if len({w.witness_key.name for w in witnesses}) != len(witnesses):
        raise TrustError("two pinned witness keys share a name")
    if quorum is None:
        quorum = len(witnesses) if witnesses else None
    elif type(quorum) is not int or not 0 <= quorum <= len(witnesses):
        raise TrustError(f"quorum {quorum!r} must be a whole number from 0 to the "
                         f"{len(witnesses)} witness(es) pinned")  # fmt: skip
    return Trust(log_key=log_key, witnesses=tuple(witnesses) if witness_keys else None,
                 quorum=quorum)  # fmt: skip


def count_cosignatures(
    note: str, witnesses: Sequence[TrustedWitness]
) -> tuple[list[str], list[str]]:
    """The witnesses with a valid cosignature on ``note``, and the problems found.

    A witness without a line is simply not counted; a line that names a witness's key but does
    not verify is a problem (someone forged or damaged it).
    """
    counted: list[str] = []
    problems: list[str] = []
    try:
        lines = parse_note(note).signatures
    except NoteError as err:
        return [], [f"the checkpoint is malformed: {err}"]
    for w in witnesses:
        key = w.witness_key
        if not any(s.name == key.name and s.key_id == key.key_id for s in lines):
            continue
        try:
            verify_cosignature(note, key)
            counted.append(w.name)
        except VerificationError as err:
            problems.append(f"{w.name}: {err}")
    return counted, problems
