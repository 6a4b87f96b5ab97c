"""The election definition file (YAML or JSON) ⇄ the core `Election`.

Validation happens here, at the edge, with pydantic for shapes, a pass over the valid shape for
the rules between fields, and — whatever the shapes — a pass for references and ids
(definition_refs); every error carries its path in the file (`contests[0].parties[3].name: required`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from achyk.canonical import Canonical, canonical_json, sha256_hex
from achyk.domain.definition import (
    Authority,
    BoardMember,
    Contest,
    ContestKind,
    Device,
    DeviceRole,
    District,
    Election,
    Option,
    Region,
    Station,
    Witness,
)
from achyk.errors import DefinitionError, Problem
from achyk.formats.definition_document import (
    FORMAT_VERSION,
    DefinitionText,
    definition_hash,
    definition_text,
    election_to_document,
)
from achyk.formats.definition_head import stored_election
from achyk.formats.definition_models import (
    _Authority,
    _Contest,
    _Definition,
    _Device,
    _District,
    _Header,
    _names,
    _Option,
    _Region,
    _Station,
)
from achyk.formats.definition_refs import duplicates, nearest, reference_problems
from achyk.formats.definition_stations import (
    PlainStations,
    core_stations,
    no_cycle_collection,
    plain_stations,
)
from achyk.formats.dispute_rules import rules_to_core
from achyk.formats.located_yaml import Located, load_located
from achyk.formats.protocol_forms import FormModel, form_problems, form_to_core, preset_document
from achyk.ledger.cosignature import WitnessKey
from achyk.ledger.note import NoteError


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
    with no_cycle_collection():
        return _from_document(doc, source)


def _from_document(doc: Any, source: str) -> Election:
    if not isinstance(doc, Mapping):
        raise DefinitionError(
            source, [Problem("", "the definition must be a mapping at top level")]
        )
    doc = _with_preset(doc)
    plain = _plain(doc)
    if plain is not None:
        return _with_stations(plain)
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


def _with_preset(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(doc.get("form"), str):  # a preset, written out in full (see protocol_forms)
        return {**doc, "form": preset_document(doc["form"])}
    return doc


@dataclasses.dataclass(frozen=True)
class _Plain:
    """A valid definition whose stations are plain: its election without the stations (every
    district's list empty) and the stations apart (formats.definition_stations)."""

    head: Election
    stations: PlainStations


def _plain(doc: Mapping[str, Any], *, stored: bool = False) -> _Plain | None:
    """The definition the fast way when its stations are plain and it is valid; else None.

    Everything but the stations is read the full way (pydantic, cross-checks, references, with
    the stations' ids for the authorities' units); the stations are checked as the full way
    would. Any problem at all answers None: the full way then reads it and names each problem.
    `stored`: read back from our own database, where it passed every check when it was loaded;
    the cross-checks and references are not run again.
    """
    stations = plain_stations(doc.get("regions"))
    if stations is None:
        return None
    head = {**doc, "regions": [
        {**r, "districts": [{**d, "stations": []} for d in r["districts"]]} for r in doc["regions"]
    ]}  # fmt: skip
    if stored:  # the canonical shape is read without pydantic (formats.definition_head)
        core = stored_election(head)
        if core is not None:
            return _Plain(core, stations)
    elif reference_problems(head, stations.ids):
        return None
    try:
        model = _Definition.model_validate(head)
    except ValidationError:
        return None
    if not stored and _cross_checks(model):
        return None
    return _Plain(_to_core(model), stations)


def _with_stations(p: _Plain) -> Election:
    """The whole election (each district's documents are taken from `p` as it is built)."""
    docs = p.stations.documents
    regions = tuple(
        dataclasses.replace(r, districts=tuple(
            dataclasses.replace(d, stations=core_stations(docs.pop((ri, di))))
            for di, d in enumerate(r.districts)
        ))
        for ri, r in enumerate(p.head.regions)
    )  # fmt: skip
    return dataclasses.replace(p.head, regions=regions)


def _plain_text(p: _Plain) -> DefinitionText:
    """The canonical document and text of a plain definition without building its stations.

    The stations' documents are already canonical in shape (plain_stations); written with
    sorted keys and no spaces by the standard library's C encoder they are their RFC 8785 text
    (text, integers within 2^53 and ASCII keys only; the same string encoder as
    achyk.canonical), embedded as they are in the rest, which is canonicalised as ever.
    """
    document = election_to_document(p.head)
    docs = p.stations.documents
    embedded = []
    for ri, region in enumerate(document["regions"]):
        districts = []
        for di, district in enumerate(region["districts"]):
            district["stations"] = docs[(ri, di)]
            text = json.dumps(docs[(ri, di)], ensure_ascii=False, sort_keys=True,
                              separators=(",", ":"))  # fmt: skip
            districts.append({**district, "stations": Canonical(text.encode("utf-8"))})
        embedded.append({**region, "districts": districts})
    data = canonical_json({**document, "regions": embedded})
    return DefinitionText(p.head.id, p.head.name, len(p.head.contests), len(p.stations.ids),
                          data.decode("utf-8"), sha256_hex(data), document)  # fmt: skip


def election_from_stored(text: str) -> Election:
    """A definition read back from our own database: it passed every check when it was loaded.

    Its stations are canonical, so plain: read the fast way (formats.definition_stations), a
    definition of 100,000 stations in a fraction of the time pydantic takes. Anything else is
    shaped by pydantic straight from the JSON text. Anything read from outside (a file, a
    record) goes through `election_from_document`.
    """
    with no_cycle_collection():
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        plain = _plain(doc, stored=True) if isinstance(doc, dict) else None
        del doc  # its stations are freed as they are built (reused memory, a lower peak)
        if plain is not None:
            return _with_stations(plain)
        try:
            model = _Definition.model_validate_json(text)
        except ValidationError as err:
            raise DefinitionError("stored definition", _pydantic_problems(err)) from None
        return _to_core(model)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        problem = Problem(f"byte {err.start}", "the file is not UTF-8 text")
        raise DefinitionError(str(path), [problem]) from None
    except OSError as err:
        raise DefinitionError(str(path), [Problem("", err.strerror or str(err))]) from None


def load_election(path: Path) -> Election:
    """Read a YAML (or JSON, which is YAML) definition file.

    Every problem is reported in one pass with its line in the file: keys given twice, shapes,
    and cross-references alike (a file whose shape is wrong is still checked for duplicate keys).
    """
    return _load(path, _read_text(path))


def read_definition(path: Path) -> DefinitionText:
    """A definition file checked as `load_election` checks it, as it is stored: its canonical
    text and hash. A plain JSON definition never has its stations built (`_plain_text`)."""
    text = _read_text(path)
    with no_cycle_collection():
        fast = _fast_json(path, text)
        if isinstance(fast, Mapping):
            try:
                plain = _plain(_with_preset(fast))
                if plain is not None:
                    return _plain_text(plain)
            except (DefinitionError, UnicodeEncodeError):
                pass  # the full way names the problem
        return definition_text(_load(path, text))


def _load(path: Path, text: str) -> Election:
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
    "DefinitionText",
    "definition_hash",
    "definition_text",
    "election_from_document",
    "election_from_stored",
    "election_to_document",
    "load_election",
    "read_definition",
]  # fmt: skip
