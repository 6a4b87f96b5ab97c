"""Importing a CEC's published station-level results as an election marked "imported, not signed".

The definition is built from the file itself (its regions, districts and stations, each station's
register taken from line 1 of its protocol). The log then holds, after the definition:

1. one `imported-results` entry naming the file and the mapping by their SHA-256, so anyone holding
   the published file can check that the log is that file and nothing else;
2. one `imported-protocol` entry per station, with the control relations the protocol breaks
   listed in it: such a protocol is kept (it is what the CEC published) and flagged, never dropped;
3. a `rejection` entry, with the row as evidence, for each row that cannot be a protocol at all.

None of these carries a device signature: the record is exactly as trustworthy as the publication
it was copied from, and every page that shows it says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.canonical import Canonical, canonical_json, sha256_hex
from achyk.domain.definition import (
    Contest,
    District,
    Election,
    Option,
    Region,
    Station,
)
from achyk.domain.protocol import check_relations, protocol_from_json
from achyk.errors import ConflictError, InputError, Problem
from achyk.formats.results_import import (
    ImportedRow,
    ResultsMapping,
    decode,
    parse_mapping,
    read_results,
)
from achyk.services.elections import load_election
from achyk.services.ledger import append_entries
from achyk.services.outline import IMPORTED_RESULTS
from achyk.services.tally import record_protocols
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Rejections

IMPORTED_PROTOCOL = "imported-protocol"
BATCH = 5_000  # entries per append (one signed checkpoint each) and per insert
UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned: an imported station abroad of unknown country


@dataclass(frozen=True)
class ImportReport:
    election_id: str
    stations: int
    flagged: int  # protocols kept though they break a control relation
    refused: int  # rows that could not be read as a protocol (kept as evidence)


def build_election(mapping: ResultsMapping, rows: Sequence[ImportedRow]) -> Election:
    regions: dict[str, dict[str, list[Station]]] = {}
    for row in rows:
        abroad = row.region in mapping.abroad_regions
        station = Station(row.station, f"Station {row.station}", row.district,
                          int(row.document["voters_on_list"]),
                          country=UNKNOWN_COUNTRY if abroad else None)  # fmt: skip
        regions.setdefault(row.region, {}).setdefault(row.district, []).append(station)
    built, district_no = [], 0
    for r_no, (region, districts) in enumerate(regions.items(), start=1):
        ds = []
        for district, stations in districts.items():
            district_no += 1
            ds.append(District(f"d{district_no:05d}", district, tuple(stations)))
        built.append(Region(f"r{r_no:03d}", region, tuple(ds),
                            abroad=region in mapping.abroad_regions))  # fmt: skip
    contest = Contest(
        mapping.contest_id, mapping.contest_name, mapping.kind, mapping.seats,
        tuple(Option(p.id, p.name) for p in mapping.parties),
        against_all=mapping.against_all is not None, method=mapping.method,
        threshold_pct=mapping.threshold_pct,
    )  # fmt: skip
    return Election(mapping.election_id, mapping.election_name, mapping.type, mapping.date,
                    (contest,), tuple(built))  # fmt: skip


def is_imported(db: Database, election_id: str) -> bool:
    """Entry 1 of an imported election's log is always its `imported-results` entry."""
    with db.read() as s:
        text = LogStore(s, election_id).entry(1)
    return text is not None and json.loads(text).get("kind") == IMPORTED_RESULTS


def import_results(
    db: Database, data: bytes, mapping_text: str, source: str, mapping_source: str = "mapping"
) -> ImportReport:
    mapping = parse_mapping(mapping_text, mapping_source)
    rows, refused = read_results(decode(data, mapping, source), mapping, source)
    if not rows:
        raise InputError(source, [Problem("", "no row could be read as a protocol"),
                                  *(Problem(f"line {r.line}", "; ".join(r.reasons))
                                    for r in refused)])  # fmt: skip
    election = build_election(mapping, rows)
    if not load_election(db, election).created:
        raise ConflictError(f"election {election.id} is already loaded: import it once")
    header: dict[str, Any] = {
        "kind": IMPORTED_RESULTS, "election": election.id, "source": source,
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "mapping_sha256": hashlib.sha256(mapping_text.encode()).hexdigest(),
        "rows": len(rows) + len(refused),
    }  # fmt: skip
    flagged = 0
    with db.session() as s:
        [index] = append_entries(s, election.id, [header])
        assert index == 1  # the definition is entry 0, so the status is found at entry 1
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            entries, stored, parsed = [], [], []
            for row in chunk:
                protocol, _ = protocol_from_json(row.document)
                assert protocol is not None  # built field by field from the mapping
                parsed.append(protocol)
                problems = [str(p) for p in check_relations(protocol)]
                flagged += bool(problems)
                raw = canonical_json(row.document)  # encoded once: entry, row and hash share it
                entries.append({"kind": IMPORTED_PROTOCOL, "election": election.id,
                                "protocol": Canonical(raw), "line": row.line,
                                "problems": problems})  # fmt: skip
                stored.append({"station_id": row.station, "contest_id": mapping.contest_id,
                               "kind": "official", "document": raw.decode(),
                               "document_hash": sha256_hex(raw), "device_id": None,
                               "signature": None, "superseded": False})  # fmt: skip
            indexes = append_entries(s, election.id, entries)
            # through the running totals (achyk.services.tally), like every accepted protocol
            record_protocols(s, election, [{**row, "log_index": i}
                                           for row, i in zip(stored, indexes, strict=True)], parsed)  # fmt: skip
        rejections = Rejections(s)
        for bad in refused:
            reasons = [f"line {bad.line}: {r}" for r in bad.reasons]
            digest = sha256_hex(bad.raw)
            [i] = append_entries(s, election.id, [
                {"kind": "rejection", "election": election.id, "source": f"{source}:{bad.line}",
                 "station": bad.station, "submission_sha256": digest, "reasons": reasons}
            ])  # fmt: skip
            rejections.add(election.id, bad.station, f"{source}:{bad.line}", bad.raw, digest,
                           reasons, i)  # fmt: skip
    return ImportReport(election.id, len(rows), flagged, len(refused))
