"""The election definition file (YAML or JSON) ⇄ the core `Election`.

Validation happens here, at the edge, with pydantic for shapes, a pass over the valid shape for
the rules between fields, and — whatever the shapes — a pass for references and ids
(definition_refs); every error carries its path in the file (`contests[0].parties[3].name: required`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from achyk.domain.definition import (
    Authority,
    BoardMember,
    Contest,
    ContestKind,
    Device,
    DeviceRole,
    District,
    Election,
    ElectionType,
    Method,
    Names,
    Option,
    PercentBase,
    Region,
    Station,
    Witness,
)
from achyk.domain.identifiers import id_problem
from achyk.domain.names import names_of
from achyk.errors import DefinitionError, Problem
from achyk.formats.definition_document import FORMAT_VERSION, definition_hash, election_to_document
from achyk.formats.definition_refs import duplicates, nearest, reference_problems
from achyk.formats.dispute_rules import DisputesModel, rules_to_core
from achyk.formats.located_yaml import Located, load_located
from achyk.formats.protocol_forms import (
    FormModel,
    form_problems,
    form_to_core,
    preset_document,
)
from achyk.ledger.cosignature import WitnessKey
from achyk.ledger.note import NoteError

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


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _known_keys() -> set[str]:
    models: list[type[BaseModel]] = [_Definition, _Header, _Authority, _Contest, _Option,
                                     _Region, _District, _Station, _Device]  # fmt: skip
    return {name for m in models for name in m.model_fields}


def _pydantic_problems(err: ValidationError) -> list[Problem]:
    problems = []
    for e in err.errors():
        what = "required" if e["type"] == "missing" else e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden" and e["loc"]:
            what = f"unknown key{nearest(str(e['loc'][-1]), _known_keys())}"
        problems.append(Problem(_path(e["loc"]), what))
    return problems


def _key_problem(path: str, key: str) -> Problem | None:
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return Problem(path, "not valid base64")
    if len(raw) != 32:
        return Problem(path, f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return None


def _cross_checks(d: _Definition) -> list[Problem]:
    """What a valid shape may still get wrong, besides references (definition_refs)."""
    problems: list[Problem] = []
    if isinstance(d.form, FormModel):
        problems += form_problems(d.form)
    for ci, c in enumerate(d.contests):
        at = f"contests[{ci}]"
        given = [k for k in ("parties", "candidates") if getattr(c, k) is not None]
        if len(given) != 1:
            problems.append(Problem(at, "give exactly one of 'parties' or 'candidates'"))
        if not (c.parties or c.candidates):
            problems.append(Problem(at, "a contest needs at least one party or candidate"))
        if c.kind is ContestKind.PRESIDENTIAL and c.seats != 1:
            problems.append(Problem(f"{at}.seats", "a presidential contest elects 1"))
        if c.kind is ContestKind.DISTRICT and not c.districts:
            problems.append(Problem(f"{at}.districts", "a district contest names its districts"))
        if c.kind is not ContestKind.PARTY_LIST and (c.threshold_pct or c.region_threshold_pct):
            problems.append(Problem(at, "thresholds apply to party-list contests only"))
    for ri, r in enumerate(d.regions):
        for di, dist in enumerate(r.districts):
            for si, s in enumerate(dist.stations):
                at = f"regions[{ri}].districts[{di}].stations[{si}]"
                if r.abroad and s.country is None and s.channel != "remote":
                    problems.append(Problem(f"{at}.country", "required for a station abroad"))
                if s.channel == "remote" and not r.abroad:
                    problems.append(Problem(f"{at}.channel", "the remote unit belongs abroad"))
                if s.devices and not any(dev.role is DeviceRole.SCANNER for dev in s.devices):
                    problems.append(Problem(f"{at}.devices", "no device has the role 'scanner'"))
                for vi, dev in enumerate(s.devices):
                    bad = _key_problem(f"{at}.devices[{vi}].public_key", dev.public_key)
                    if bad:
                        problems.append(bad)
    for ai, a in enumerate(d.authorities):
        bad = _key_problem(f"authorities[{ai}].public_key", a.public_key)
        if bad:
            problems.append(bad)
    if d.election.credential_authority is not None:
        bad = _key_problem("election.credential_authority", d.election.credential_authority)
        if bad:
            problems.append(bad)
    return problems + _witness_checks(d)


def _witness_checks(d: _Definition) -> list[Problem]:
    problems: list[Problem] = []
    names: list[tuple[str, str]] = []
    for wi, w in enumerate(d.witnesses):
        try:
            names.append((WitnessKey.from_vkey(w.key).name, f"witnesses[{wi}].key"))
        except NoteError as err:
            problems.append(Problem(f"witnesses[{wi}].key", f"not a witness verifier key: {err}"))
    problems += duplicates(names, "witness key name")
    problems += duplicates(
        [(w.name, f"witnesses[{wi}].name") for wi, w in enumerate(d.witnesses)], "witness"
    )
    if d.witnesses and d.witness_quorum is None:
        problems.append(Problem("witness_quorum", "required when witnesses are named"))
    if d.witness_quorum is not None and d.witness_quorum > len(d.witnesses):
        problems.append(Problem("witness_quorum", f"{d.witness_quorum} is more than the "
                                                  f"{len(d.witnesses)} witnesses named"))  # fmt: skip
    for bi, b in enumerate(d.audit_boards):
        bad = _key_problem(f"audit_boards[{bi}].public_key", b.public_key)
        if bad:
            problems.append(bad)
    problems += duplicates(
        [(b.id, f"audit_boards[{i}].id") for i, b in enumerate(d.audit_boards)],
        "audit-board member",
    )
    return problems


def _to_core(d: _Definition) -> Election:
    contests = tuple(
        Contest(
            id=c.id,
            name=c.name,
            kind=c.kind,
            seats=c.seats,
            options=tuple(
                Option(o.id, o.name, o.party, _names(o.names))
                for o in (c.parties or c.candidates or [])
            ),
            against_all=c.against_all,
            method=c.method,
            threshold_pct=c.threshold_pct,
            region_threshold_pct=c.region_threshold_pct,
            seat_cap=c.seat_cap,
            base=c.base,
            districts=tuple(c.districts),
            names=_names(c.names),
        )
        for c in d.contests
    )
    regions = tuple(
        Region(
            id=r.id,
            name=r.name,
            abroad=r.abroad,
            districts=tuple(
                District(
                    id=dist.id,
                    name=dist.name,
                    stations=tuple(
                        Station(
                            id=s.id,
                            name=s.name,
                            address=s.address,
                            registered_voters=s.registered_voters,
                            country=s.country,
                            city=s.city,
                            devices=tuple(Device(v.id, v.role, v.public_key) for v in s.devices),
                            channel=s.channel,
                        )
                        for s in dist.stations
                    ),
                    names=_names(dist.names),
                )
                for dist in r.districts
            ),
            names=_names(r.names),
        )
        for r in d.regions
    )
    authorities = tuple(
        Authority(a.id, a.name, a.public_key, a.body, a.unit) for a in d.authorities
    )
    h = d.election
    form = form_to_core(d.form) if isinstance(d.form, FormModel) else None
    witnesses = tuple(Witness(w.name, w.key) for w in d.witnesses)
    boards = tuple(BoardMember(b.id, b.name, b.party, b.public_key) for b in d.audit_boards)
    return Election(h.id, h.name, h.type, h.date, contests, regions, authorities,
                    abroad_any_station=h.abroad_any_station, form=form,
                    credential_authority=h.credential_authority, witnesses=witnesses,
                    witness_quorum=d.witness_quorum or 0, audit_boards=boards,
                    dispute_rules=rules_to_core(d.disputes) if d.disputes else None,
                    names=_names(h.names))  # fmt: skip


def election_from_document(doc: Any, source: str = "definition") -> Election:
    """Validate a parsed definition document; raise DefinitionError with every problem and its path."""
    if not isinstance(doc, Mapping):
        raise DefinitionError(
            source, [Problem("", "the definition must be a mapping at top level")]
        )
    if isinstance(doc.get("form"), str):  # a preset, written out in full (see protocol_forms)
        doc = {**doc, "form": preset_document(doc["form"])}
    # References and ids are checked whatever the shapes: one run names every problem.
    references = reference_problems(doc)
    try:
        model = _Definition.model_validate(doc)
    except ValidationError as err:
        raise DefinitionError(source, _pydantic_problems(err) + references) from None
    problems = _cross_checks(model) + references
    if problems:
        raise DefinitionError(source, problems)
    return _to_core(model)


def election_from_stored(text: str) -> Election:
    """A definition read back from our own database: it passed every check when it was loaded.

    Parsed and shaped by pydantic straight from the JSON text (in Rust, without building Python
    dicts first); the cross-reference pass is not run again. A definition of 100,000 stations is
    read several times faster this way, which is what a cold `achyk results` or first page waits
    on. Anything read from outside (a file, a record) goes through `election_from_document`.
    """
    try:
        model = _Definition.model_validate_json(text)
    except ValidationError as err:
        raise DefinitionError("stored definition", _pydantic_problems(err)) from None
    return _to_core(model)


def _read_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        # JSON is YAML, but PyYAML reads a 30 MB definition in minutes; json in about a second.
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # let the YAML reader name the problem with its line and column
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where it is installed
    return yaml.load(text, Loader=loader)


def load_election(path: Path) -> Election:
    """Read a YAML (or JSON, which is YAML) definition file.

    Every problem is reported in one pass with its line in the file: keys given twice, shapes,
    and cross-references alike (a file whose shape is wrong is still checked for duplicate keys).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        problem = Problem(f"byte {err.start}", "the file is not UTF-8 text")
        raise DefinitionError(str(path), [problem]) from None
    except OSError as err:
        raise DefinitionError(str(path), [Problem("", err.strerror or str(err))]) from None
    fast = _fast_json(path, text)
    if fast is not None:
        # A 30 MB JSON definition reads in about a second; only a failing one is read again,
        # slowly, to name each problem's line.
        try:
            return election_from_document(fast, str(path))
        except DefinitionError:
            pass
    try:
        located = load_located(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DefinitionError(str(path), [Problem(where, f"not valid YAML: {err}")]) from None
    problems = list(located.problems)
    try:
        election = election_from_document(located.document, str(path))
    except DefinitionError as err:
        problems += [_with_line(p, located) for p in err.problems]
    if problems:
        raise DefinitionError(str(path), problems)
    return election


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey  # the located reader names the key and both lines
    return out


def _fast_json(path: Path, text: str) -> Any | None:
    """The document when the file is JSON without a repeated key, else None (read it as YAML)."""
    if path.suffix.lower() != ".json" and not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (json.JSONDecodeError, _DuplicateKey):
        return None


def _with_line(problem: Problem, located: Located) -> Problem:
    line = located.line_of(problem.where)
    return problem if line is None else Problem(f"{problem.where} (line {line})", problem.what)


__all__ = [
    "FORMAT_VERSION",
    "definition_hash",
    "election_from_document",
    "election_from_stored",
    "election_to_document",
    "load_election",
]  # fmt: skip
