"""The definition file's shapes, as pydantic models (read by formats.definition).

Each model forbids keys it does not know, so a misspelt key is named, not ignored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from achyk.domain.definition import (
    ContestKind,
    DeviceRole,
    ElectionType,
    Method,
    Names,
    PercentBase,
)
from achyk.domain.identifiers import id_problem
from achyk.domain.names import names_of
from achyk.formats.dispute_rules import DisputesModel
from achyk.formats.protocol_forms import FormModel

# A checkpoint carries the log's signature and one cosignature per witness; signed-note readers
# must accept at least 16 signatures and achyk's accept 100, so 32 witnesses always fit.
MAX_WITNESSES = 32


def _valid_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# Checked where it stands, so the problem names its place in the file (docs/1-define.md, "Ids").
Id = Annotated[str, AfterValidator(_valid_id)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# `names:` beside `name:` — the name in other languages (achyk.domain.names); absent, a
# definition keeps its hash.
Translations = dict[Literal["ru", "ky", "kk", "en"], Annotated[str, Field(min_length=1)]] | None


def _names(given: Translations) -> Names:
    return names_of({str(lang): name for lang, name in (given or {}).items()})


class _Option(_Model):
    id: Id
    name: str = Field(min_length=1)
    names: Translations = None
    party: Id | None = None


class _Contest(_Model):
    id: Id
    name: str = Field(min_length=1)
    names: Translations = None
    kind: ContestKind
    seats: int = Field(ge=1)
    parties: list[_Option] | None = None
    candidates: list[_Option] | None = None
    against_all: bool = False
    method: Method = Method.HARE
    threshold_pct: Decimal = Field(default=Decimal(0), ge=0, le=100)
    region_threshold_pct: Decimal = Field(default=Decimal(0), ge=0, le=100)
    seat_cap: int | None = Field(default=None, ge=1)
    base: PercentBase = PercentBase.VOTED
    districts: list[Id] = []


class _Device(_Model):
    id: Id
    role: DeviceRole
    public_key: str


class _Station(_Model):
    id: Id
    name: str = Field(min_length=1)
    address: str = ""
    registered_voters: int = Field(ge=0)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    city: str | None = None
    channel: Literal["station", "remote"] = "station"
    devices: list[_Device] = []


class _District(_Model):
    id: Id
    name: str = Field(min_length=1)
    names: Translations = None
    stations: list[_Station]


class _Region(_Model):
    id: Id
    name: str = Field(min_length=1)
    names: Translations = None
    abroad: bool = False
    districts: list[_District]


class _Authority(_Model):
    id: Id
    name: str = Field(min_length=1)
    public_key: str
    body: Literal["station", "territorial", "central", "court", "supreme-court"] = "central"
    unit: str | None = None  # the station, district or region it covers


class _Witness(_Model):
    name: str = Field(min_length=1)
    key: str


class _BoardMember(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    party: str = Field(min_length=1)
    public_key: str


class _Header(_Model):
    id: Id
    name: str = Field(min_length=1)
    names: Translations = None
    type: ElectionType
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    abroad_any_station: bool = False
    credential_authority: str | None = None

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        # The pattern lets 2025-02-30 through; a calendar does not.
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a date in the calendar") from None
        return value


class _Definition(_Model):
    format: Literal[1] = 1
    election: _Header
    authorities: list[_Authority] = []
    audit_boards: list[_BoardMember] = []
    contests: list[_Contest] = Field(min_length=1)
    regions: list[_Region] = Field(min_length=1)
    # The protocol form: a preset's id ("ru-duma") or the form in full; none: the standard form.
    form: FormModel | None = None
    witnesses: list[_Witness] = Field(default=[], max_length=MAX_WITNESSES)
    witness_quorum: int | None = Field(default=None, ge=1)
    disputes: DisputesModel | None = None  # the statutory clock (formats/dispute_rules.py)
