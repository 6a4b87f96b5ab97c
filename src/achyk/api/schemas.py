"""Response shapes of the public read API (they are its OpenAPI document)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Language(StrEnum):
    """A language names can be asked in (``?lang=``): those of the site."""

    RU = "ru"
    KY = "ky"
    KK = "kk"
    EN = "en"


class ElectionSummary(BaseModel):
    id: str
    name: str
    definition_hash: str


class OptionVotes(BaseModel):
    option: str
    name: str
    votes: int
    share_pct: str  # truncated to 2 decimals: shares never sum above 100
    scanner: int | None  # null where no station of the unit has a scanner count
    hand: int | None  # null where none has a hand count yet


class UnitResult(BaseModel):
    level: str
    unit: str
    name: str
    parent: str | None
    contest: str
    stations_expected: int
    stations_reported: int
    stations_annulled: int = 0  # out of the count by an executed decision (not in `reported`)
    reported_pct: str
    registered: int
    voters_on_list: int
    issued: int
    turnout_pct: str
    found: int
    invalid: int
    valid: int
    base: str
    base_total: int
    options: list[OptionVotes]


class SeatsOut(BaseModel):
    contest: str
    status: str  # final | provisional (stations still reporting) | undetermined (see reason)
    reason: str | None = None
    seats: dict[str, int]
    qualified: list[str]
    excluded: dict[str, str]


class ProtocolOut(BaseModel):
    contest: str
    kind: str
    document_hash: str
    device: str | None
    signature: str | None
    received_at: str
    protocol: dict[str, object]
    superseded: bool
    correction_reason: str | None
    log_entry: int  # index of the log entry that carries it
    tree_size: int  # the size of the checkpoint the proof is against
    inclusion_proof: list[str]  # RFC 9162 audit path, hex, against /log/checkpoint's root


class StationOut(BaseModel):
    id: str
    name: str
    address: str
    district: str
    region: str
    registered_voters: int
    country: str | None
    city: str | None
    protocols: list[ProtocolOut]
    rejected_submissions: int
