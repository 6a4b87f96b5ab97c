"""The election definition as frozen dataclasses: what the CEC declares before election day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from achyk.disputes.rules import DisputeRules
from achyk.domain.forms import ProtocolForm
from achyk.domain.identifiers import ID_PATTERN, id_problem
from achyk.errors import DefinitionError, Problem


class ElectionType(StrEnum):
    PARLIAMENTARY = "parliamentary"
    PRESIDENTIAL = "presidential"
    LOCAL = "local"


class ContestKind(StrEnum):
    PARTY_LIST = "party-list"  # national list, proportional
    DISTRICT = "district"  # single- or multi-member district, plurality, k seats
    PRESIDENTIAL = "presidential"  # absolute majority of those who voted, else runoff


class PercentBase(StrEnum):
    VOTED = "voted"  # everyone who took part, invalid ballots included
    VALID = "valid"  # valid votes only


class Method(StrEnum):
    HARE = "hare"  # Hare–Niemeyer largest remainder
    DHONDT = "dhondt"
    SAINTE_LAGUE = "sainte-lague"


# A name's translations, as (language, name) pairs sorted by language: "ky" → "Чүй облусу".
# Optional everywhere: a definition without them keeps its hash, and a language with none shows
# the default `name` (see achyk.domain.names).
Names = tuple[tuple[str, str], ...]


class DeviceRole(StrEnum):
    SCANNER = "scanner"
    BACKUP = "backup"


@dataclass(frozen=True)
class Option:
    """A line on the ballot: a party (list contests) or a candidate."""

    id: str
    name: str
    party: str | None = None
    names: Names = ()


@dataclass(frozen=True)
class Contest:
    id: str
    name: str
    kind: ContestKind
    seats: int
    options: tuple[Option, ...]
    against_all: bool = False
    method: Method = Method.HARE
    threshold_pct: Decimal = Decimal(0)
    region_threshold_pct: Decimal = Decimal(0)
    seat_cap: int | None = None
    base: PercentBase = PercentBase.VOTED
    districts: tuple[str, ...] = ()  # empty: the whole country (and abroad) votes in it
    names: Names = ()

    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def covers(self, district_id: str) -> bool:
        return not self.districts or district_id in self.districts


@dataclass(frozen=True, slots=True)
class Device:
    """A station's counting device (ASU scanner) or a registered backup, with its Ed25519 key."""

    id: str
    role: DeviceRole
    public_key: str  # base64 of the 32 raw bytes


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    name: str
    address: str
    registered_voters: int
    devices: tuple[Device, ...] = ()
    country: str | None = None  # set for stations abroad (ISO 3166-1 alpha-2)
    city: str | None = None
    # "remote": not a place but the unit that stands for remote (internet) voting abroad; its
    # protocol is the decrypted tally of the remote ballots (achyk.services.remote.voting).
    channel: str = "station"

    @property
    def abroad(self) -> bool:
        return self.country is not None

    @property
    def remote(self) -> bool:
        return self.channel == "remote"

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)


@dataclass(frozen=True)
class District:
    id: str
    name: str
    stations: tuple[Station, ...]
    names: Names = ()


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    districts: tuple[District, ...]
    abroad: bool = False
    names: Names = ()


@dataclass(frozen=True, slots=True)
class StationPlace:
    """Where a station sits in the geography: resolved once, used by tabulation and checks."""

    station: Station
    district_id: str
    region_id: str


@dataclass(frozen=True)
class Election:
    id: str
    name: str
    type: ElectionType
    date: str  # ISO 8601 date of election day
    contests: tuple[Contest, ...]
    regions: tuple[Region, ...]
    authorities: tuple[Authority, ...] = ()
    # Any voter on the register may check in at any station abroad, not only at the one their
    # entry names: Kyrgyzstan since the 2025 amendments (online identification abroad; MFA
    # statement, 24.kg, 2025-10-11), Kazakhstan by article 25(1) of its Constitutional Law on
    # Elections (added to the list on application with a passport). One vote per person still
    # holds: it is keyed on the person, not on the list.
    abroad_any_station: bool = False
    # The protocol form its law prescribes (achyk.domain.forms); None: the standard nine lines.
    form: ProtocolForm | None = None
    # The credential authority's Ed25519 key (base64) for remote voting: only credential lists it
    # signed are accepted (issue 10). None: no remote credentials can be valid.
    credential_authority: str | None = None
    # The witnesses (observer missions, parties) whose cosignatures of the log's checkpoints
    # count, and how many of them a verifier requires on the latest checkpoint.
    witnesses: tuple[Witness, ...] = ()
    witness_quorum: int = 0
    # Audit-board members (hand counts of sampled stations); optional: absent, existing
    # definitions keep their hashes.
    audit_boards: tuple[BoardMember, ...] = ()
    # The statutory clock of complaints (`disputes:` in the definition); None: the Kyrgyz preset.
    dispute_rules: DisputeRules | None = None
    names: Names = ()  # the title's translations
    _places: dict[str, StationPlace] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        places = {
            s.id: StationPlace(s, d.id, r.id)
            for r in self.regions
            for d in r.districts
            for s in d.stations
        }
        object.__setattr__(self, "_places", places)
        bad = [Problem(where, what) for where, what in _id_problems(self)]
        if bad:  # built in code, not read from a file: the same rule (the file's loader names it)
            raise DefinitionError(f"election {self.id!r}", bad)

    def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in self.contests if c.id == contest_id), None)

    def place(self, station_id: str) -> StationPlace | None:
        return self._places.get(station_id)

    def stations(self) -> Iterator[StationPlace]:
        return iter(self._places.values())

    def station_count(self) -> int:
        return len(self._places)

    def open_to_all(self, station_id: str) -> bool:
        """True where any voter on the register may check in (see ``abroad_any_station``)."""
        place = self._places.get(station_id)
        return (
            self.abroad_any_station
            and place is not None
            and place.station.abroad
            and not place.station.remote
        )

    # Cached: every page asks (the menu), and at 100,000 stations each answer walked them all.
    @cached_property
    def has_abroad(self) -> bool:
        """Stations abroad (or a region for them): the site then has an "Abroad" section."""
        return any(r.abroad for r in self.regions) or any(
            p.station.abroad for p in self._places.values()
        )

    @cached_property
    def has_remote(self) -> bool:
        """Remote (internet) voting: the site then has a tracking-code page."""
        return any(p.station.remote for p in self._places.values())

    def stations_in(self, contest: Contest) -> list[StationPlace]:
        return [p for p in self._places.values() if contest.covers(p.district_id)]


@dataclass(frozen=True)
class Authority:
    """A commission's (or court's) key: corrections, Form 2 moves, complaint decisions.

    `body` is its level in the dispute hierarchy (station, territorial, central, court,
    supreme-court) and `unit` the station, district or region it covers (None: the whole election).
    """

    id: str
    name: str
    public_key: str  # base64 of the 32 raw Ed25519 bytes
    body: str = "central"
    unit: str | None = None


def _ids(e: Election) -> Iterator[tuple[str, str]]:
    yield "election.id", e.id
    for a in e.authorities:
        yield "authority", a.id
    for c in e.contests:
        yield "contest", c.id
        yield from (("district of contest " + c.id, d) for d in c.districts)
        for o in c.options:
            yield "option", o.id
            if o.party is not None:
                yield "party of option " + o.id, o.party
    for r in e.regions:
        yield "region", r.id
        for d in r.districts:
            yield "district", d.id
            for s in d.stations:
                yield "station", s.id
                yield from (("device", v.id) for v in s.devices)


def _id_problems(e: Election) -> Iterator[tuple[str, str]]:
    for where, value in _ids(e):
        if not (isinstance(value, str) and ID_PATTERN.fullmatch(value) and ".." not in value):
            yield f"{where} {value!r}", id_problem(value) or "not a valid id"


@dataclass(frozen=True)
class Witness:
    """A witness of the log: its display name and its C2SP verifier key (signature type 0x04)."""

    name: str
    key: str


@dataclass(frozen=True)
class BoardMember:
    """A member of an audit board: signs the hand counts of sampled stations (achyk.audit.record)."""

    id: str
    name: str
    party: str  # the party (or body) that nominated the member: a board's two differ
    public_key: str  # base64 of the 32 raw Ed25519 bytes
