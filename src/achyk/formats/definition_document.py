"""The core `Election` → its canonical definition document, and the definition hash over it.

Written only as the loader reads it (`formats.definition`): optional sections and `names` appear
only when given, so that existing definitions keep their hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from achyk.canonical import canonical_hash, canonical_json, sha256_hex
from achyk.domain.definition import Contest, ContestKind, Election, Names, Station
from achyk.formats.dispute_rules import rules_to_document
from achyk.formats.protocol_forms import form_to_document

FORMAT_VERSION = 1


def _with_names(doc: dict[str, Any], names: Names) -> dict[str, Any]:
    """`doc` with its `names` mapping where it has one (only then, so hashes stay as they were)."""
    if names:
        doc["names"] = dict(names)
    return doc


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def election_to_document(e: Election) -> dict[str, Any]:
    """The canonical document of an election (the shape `election_from_document` reads).

    Percentages are strings so that the canonical bytes never depend on float formatting.
    """

    def contest(c: Contest) -> dict[str, Any]:
        key = "parties" if c.kind is ContestKind.PARTY_LIST else "candidates"
        doc: dict[str, Any] = {
            "id": c.id,
            "name": c.name,
            "kind": c.kind.value,
            "seats": c.seats,
            key: [
                _with_names(
                    {"id": o.id, "name": o.name, **({"party": o.party} if o.party else {})},
                    o.names,
                )
                for o in c.options
            ],
            "against_all": c.against_all,
            "method": c.method.value,
            "threshold_pct": _pct(c.threshold_pct),
            "region_threshold_pct": _pct(c.region_threshold_pct),
            "base": c.base.value,
            "districts": list(c.districts),
        }
        if c.seat_cap is not None:
            doc["seat_cap"] = c.seat_cap
        return _with_names(doc, c.names)

    def station(s: Station) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": s.id,
            "name": s.name,
            "address": s.address,
            "registered_voters": s.registered_voters,
            "devices": [
                {"id": v.id, "role": v.role.value, "public_key": v.public_key} for v in s.devices
            ],
        }
        if s.country is not None:
            doc["country"] = s.country
        if s.city is not None:
            doc["city"] = s.city
        if s.channel != "station":  # only when set, so existing definitions keep their hashes
            doc["channel"] = s.channel
        return doc

    extra: dict[str, Any] = {}
    if e.witnesses:  # only when set, so existing definitions keep their hashes
        extra["witnesses"] = [{"name": w.name, "key": w.key} for w in e.witnesses]
        extra["witness_quorum"] = e.witness_quorum
    header = _with_names(
        {"id": e.id, "name": e.name, "type": e.type.value, "date": e.date}, e.names
    )
    if e.abroad_any_station:  # only when set, so existing definitions keep their hashes
        header["abroad_any_station"] = True
    if e.credential_authority is not None:  # likewise
        header["credential_authority"] = e.credential_authority
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "election": header,
        "authorities": [
            # body and unit only when set, so definitions without them keep their hashes
            {
                "id": a.id,
                "name": a.name,
                "public_key": a.public_key,
                **({"body": a.body} if a.body != "central" else {}),
                **({"unit": a.unit} if a.unit is not None else {}),
            }
            for a in e.authorities
        ],
        "contests": [contest(c) for c in e.contests],
        "regions": [
            _with_names(
                {
                    "id": r.id,
                    "name": r.name,
                    "abroad": r.abroad,
                    "districts": [
                        _with_names(
                            {
                                "id": d.id,
                                "name": d.name,
                                "stations": [station(s) for s in d.stations],
                            },
                            d.names,
                        )
                        for d in r.districts
                    ],
                },
                r.names,
            )
            for r in e.regions
        ],
        **extra,
    }
    if e.form is not None:  # only when set, so existing definitions keep their hashes
        document["form"] = form_to_document(e.form)
    if e.audit_boards:  # likewise
        document["audit_boards"] = [
            {"id": b.id, "name": b.name, "party": b.party, "public_key": b.public_key}
            for b in e.audit_boards
        ]
    if e.dispute_rules is not None:  # likewise
        document["disputes"] = rules_to_document(e.dispute_rules)
    return document


def definition_hash(e: Election) -> str:
    """The election's identity: hex SHA-256 of its canonical document (the log's first entry)."""
    return canonical_hash(election_to_document(e))


@dataclass(frozen=True)
class DefinitionText:
    """A valid definition as it is stored and logged: its canonical text and its hash (hex
    SHA-256 of the text's UTF-8 bytes, `definition_hash`), with what `election load` says of it."""

    election_id: str
    name: str
    contests: int
    stations: int
    text: str
    digest: str
    document: dict[str, Any] = field(repr=False, compare=False)  # the canonical document


def definition_text(e: Election) -> DefinitionText:
    document = election_to_document(e)
    data = canonical_json(document)
    return DefinitionText(e.id, e.name, len(e.contests), e.station_count(), data.decode("utf-8"),
                          sha256_hex(data), document)  # fmt: skip
