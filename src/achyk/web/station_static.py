"""The published copy's station pages: one page per language, drawn in the browser (station.js).

400,000 pages (100,000 stations in four languages) rendered one by one took hours; the district
files `data/protocols/<district>.json` (achyk.domain.station_files), one per district, carry every
station's protocols, and one page per language carries the words. A link to a station names it and
its district: `<lang>/e/<election>/station/?s=STATION&d=DISTRICT`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol

from achyk.disputes.effects import annulments
from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.domain.protocol import protocol_from_json
from achyk.domain.station_files import (
    STATION_INDEX,
    Current,
    Switch,
    district_document,
    district_file,
    line_table,
    station_index_document,
)
from achyk.files import Writer
from achyk.services.disputes.docket import fold_docket
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Protocols
from achyk.web.i18n import translations
from achyk.web.pages import Page, base_path

WORDS = {
    "address": "Address", "country": "Country", "registered": "Registered voters",
    "devices": "Counting devices", "scanner_device": "scanner", "backup": "backup",
    "protocol": "Protocol", "caption": "Scanner count beside hand count", "line": "Line",
    "scanner": "Scanner (preliminary)", "hand": "Hand count (official)",
    "difference": "Difference", "evidence": "Evidence", "document_hash": "Document hash (SHA-256)",
    "device": "Signed by device", "signature": "Signature (Ed25519)", "log_entry": "Log entry", "not_received": "Not received yet.",
    "flagged": "Accepted and counted, but flagged: the protocol breaks a relation its form marks "
               "as an anomaly.",
    "differs": "The hand count differs from the scanner count on %(n)s lines (marked ≠).",
    "refused": "Refused submissions", "refused_note": "Kept as evidence with every reason; they "
                                                      "are not counted.",
    "results": "Results at this station", "party-list": "Party", "candidates": "Candidate",
    "votes": "Votes", "share": "Share", "against_all": "Against all",
    "download": "Download this data", "not_found": "Station not found.",
    "station": "Polling station",
    "switches": "Device switches",
    "switches_note": "A failed scanner was replaced by the station's registered backup; from then "
                     "on the backup's signature counts. Each switch is a log entry.",
    "annulled": "Annulled by decision #%(decision)s of %(body)s", "complaint": "complaint",
    "executed": "executed at log entry #%(n)s",
    "annulled_note": "The station's result is not counted in any total above it. Its protocols "
                     "stay on show below, as they were received.",
}  # fmt: skip


def station_shell_path(election: Election) -> str:
    return f"{base_path(election)}station/"


def words(election: Election, lang: str) -> dict[str, Any]:
    """The station page's words in `lang`, and the labels of the election's form lines."""
    t = translations(lang)
    out: dict[str, Any] = {k: t.gettext(v) for k, v in WORDS.items()}
    out["labels"] = {key: t.gettext(label) for key, _, label in line_table(election)}
    out["group"], out["decimal"] = get_group_symbol(lang), get_decimal_symbol(lang)
    out["option"] = out["party-list"]
    return out


def shell_page(election: Election, lang: str) -> Page:
    base = base_path(election)
    w = words(election, lang)
    return Page(
        "station_static.html", station_shell_path(election), str(w["station"]),
        {"election": election, "base": base, "crumbs": [(election.name, base)], "words": w},
    )  # fmt: skip


def _entries(db: Database, election_id: str, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, entry) of every log entry of one kind (rejections, device switches: a few)."""
    with db.read() as s:
        store = LogStore(s, election_id)
        return [(i, json.loads(text)) for i, text in store.entries_of_kind(kind, store.head())]


def _rejections(db: Database, election_id: str) -> dict[str, list[tuple[int, list[str]]]]:
    """Each station's refusals as the log names them (the log's reasons, as a verifier reads)."""
    out: dict[str, list[tuple[int, list[str]]]] = {}
    for index, entry in _entries(db, election_id, "rejection"):
        if isinstance(entry.get("station"), str):
            out.setdefault(entry["station"], []).append((index, list(entry["reasons"])))
    return out


def _switches(db: Database, election_id: str) -> dict[str, list[Switch]]:
    """Each station's device switches as the log carries them, in log order."""
    out: dict[str, list[Switch]] = {}
    for index, entry in _entries(db, election_id, "device-switch"):
        out.setdefault(str(entry["station"]), []).append(
            Switch(index, str(entry["from"]), str(entry["to"]), str(entry.get("reason", "")))
        )
    return out


def _annulled(db: Database, election: Election) -> dict[str, Annulment]:
    with db.read() as s:
        return annulments(fold_docket(s, election))


def district_documents(
    db: Database, election: Election, share: tuple[int, int] = (0, 1)
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path under data/, document) of every district file and the station index; `share`
    (k, n): the k-th of every n districts (the index goes with k = 0)."""
    rejections = _rejections(db, election.id)
    switches, annulled = _switches(db, election.id), _annulled(db, election)
    part, parts = share
    districts = [(r, d) for r in election.regions for d in r.districts]
    for i, (region, district) in enumerate(districts):
        if i % parts == part:
            ids = [st.id for st in district.stations]
            with db.read() as s:
                rows = list(Protocols(s).current_documents(election.id, ids))
            current: dict[str, list[Current]] = {}
            for row in rows:
                protocol, problems = protocol_from_json(json.loads(row.document), election.form)
                assert protocol is not None, problems  # stored ones passed every check
                current.setdefault(row.station_id, []).append(
                    Current(
                        row.log_index, row.document_hash, row.device_id, row.signature, protocol
                    )
                )
            doc = district_document(
                election, region, district, current, rejections, switches, annulled
            )
            yield district_file(district.id), doc
    if part == 0:
        yield STATION_INDEX, station_index_document(election)


def station_file_bytes(doc: dict[str, Any]) -> bytes:
    """Compact JSON: these files are fetched by every visitor of a station page."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def write_district_files(
    db: Database, election: Election, data: Path, root: Path, share: tuple[int, int] = (0, 1)
) -> int:
    n, out = 0, Writer(root)
    for path, doc in district_documents(db, election, share):
        out.write(data / path, station_file_bytes(doc))
        n += 1
    return n
