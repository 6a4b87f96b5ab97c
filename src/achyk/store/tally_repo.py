"""Stored running totals (the `tallies` table): read by key, level or station; written in bulk."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from achyk.store.bulk import insert_rows, select_in, update_rows
from achyk.store.models import TallyRow

Key = tuple[str, str, str]  # (level, unit id, contest id)
Vectors = list[list[int]]
STATION = "station"
# One row per annulled station (contest ""): the decision that took it out of the count, as JSON.
# Kept beside the totals and written in the same transaction, so the totals and the set of
# stations they leave out never disagree, and a protocol's fold reads only its own station's.
ANNULLED = "annulled"
_CHUNK = 500  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits
# json.dumps(v, separators=(",", ":")) without making an encoder for every row: the same text.
_figures = json.JSONEncoder(separators=(",", ":")).encode
_TABLE = cast(Table, TallyRow.__table__)
_KEPT = 20_000  # series texts a unit of work keeps (a batch of 2,000 protocols makes ~4,000)


class _Figures:
    """A row's figures to and from their stored text, `_figures(row)`, without encoding or
    parsing one series twice. Turning integers into text and back was a third of the one
    writer's work, and most series of a batch's rows repeat: a station's first protocol makes
    its row [v, v, zeros], an official one after it [w, v, w] where v is read back. The text of
    a row is "[" + its series' texts joined by "," + "]", as json writes a list of lists; a
    series' text is made once and kept by its figures (integers: equal tuples of them have one
    text), and a series read is kept with the very text it was read from."""

    __slots__ = ("parsed", "texts")

    def __init__(self) -> None:
        self.texts: dict[tuple[int, ...], str] = {}
        self.parsed: dict[str, list[int]] = {}

    def read(self, stored: str) -> Vectors:
        # Every row of the table was written by `text` or `_figures`: no spaces, a list of
        # lists of integers, so "],[" only ever stands between two series.
        if not (stored.startswith("[[") and stored.endswith("]]")) or " " in stored:
            return cast(Vectors, json.loads(stored))
        if len(self.parsed) > _KEPT:  # a rebuild reads and writes every row: bounded memory
            self.parsed.clear()
        row = []
        for piece in stored[2:-2].split("],["):
            series = self.parsed.get(piece)
            if series is None:
                text = f"[{piece}]"
                series = self.parsed[piece] = json.loads(text)
                self.texts[tuple(series)] = text
            row.append(list(series))  # a copy: no two rows read share a series
        return row

    def text(self, row: Vectors) -> str:
        texts, parts = self.texts, []
        if len(texts) > _KEPT:
            texts.clear()
        for series in row:
            key = tuple(series)
            text = texts.get(key)
            if text is None:
                text = texts[key] = _figures(series)
            parts.append(text)
        return "[" + ",".join(parts) + "]"


class Tallies:
    def __init__(self, session: Session, election_id: str) -> None:
        self.s = session
        self.election_id = election_id
        self._figures = _Figures()  # what this unit of work read and wrote (a batch's worth)

    def _where(self) -> object:
        return TallyRow.election_id == self.election_id

    def units(self, level: str, unit_ids: Iterable[str]) -> dict[Key, Vectors]:
        """The rows of these units at one level, every contest."""
        rows = select_in(
            self.s.connection(),
            "SELECT unit_id, contest_id, figures FROM tallies"
            " WHERE election_id = {m} AND level = {m} AND unit_id IN ({ids})",
            (self.election_id, level), sorted(set(unit_ids)), _CHUNK,
        )  # fmt: skip
        read = self._figures.read
        return {(level, uid, cid): read(figures) for uid, cid, figures in rows}

    def stations_of(
        self, station_ids: Iterable[str]
    ) -> tuple[dict[Key, Vectors], dict[str, dict[str, object]]]:
        """`units(STATION, station_ids)` and `annulled(station_ids)`, read together."""
        found: dict[Key, Vectors] = {}
        out: dict[str, dict[str, object]] = {}
        rows = select_in(
            self.s.connection(),
            "SELECT level, unit_id, contest_id, figures FROM tallies"
            " WHERE election_id = {m} AND level IN ({m}, {m}) AND unit_id IN ({ids})",
            (self.election_id, STATION, ANNULLED), sorted(set(station_ids)), _CHUNK,
        )  # fmt: skip
        read = self._figures.read
        for level, uid, cid, figures in rows:
            if level == STATION:
                found[(level, uid, cid)] = read(figures)
            else:
                out[uid] = json.loads(figures)
        return found, out

    def aggregates(self) -> dict[Key, Vectors]:
        """Every row above the stations: the nation, regions, districts, abroad, countries."""
        q = select(TallyRow.level, TallyRow.unit_id, TallyRow.contest_id, TallyRow.figures).where(
            TallyRow.election_id == self.election_id, TallyRow.level.not_in((STATION, ANNULLED))
        )
        return {(a, b, c): json.loads(f) for a, b, c, f in self.s.execute(q)}

    def stations(self) -> Iterator[tuple[Key, Vectors]]:
        """Every station row, streamed in unit order."""
        q = (
            select(TallyRow.unit_id, TallyRow.contest_id, TallyRow.figures)
            .where(TallyRow.election_id == self.election_id, TallyRow.level == STATION)
            .order_by(TallyRow.unit_id, TallyRow.contest_id)
            .execution_options(yield_per=5_000)
        )
        for uid, cid, figures in self.s.execute(q):
            yield (STATION, uid, cid), json.loads(figures)

    def annulled(self, station_ids: Iterable[str] | None = None) -> dict[str, dict[str, object]]:
        """The annulled stations (of `station_ids`, or all), each with its decision's fields."""
        q = select(TallyRow.unit_id, TallyRow.figures).where(
            TallyRow.election_id == self.election_id, TallyRow.level == ANNULLED
        )
        if station_ids is None:
            return {uid: json.loads(f) for uid, f in self.s.execute(q)}
        ids, out = sorted(set(station_ids)), {}
        for at in range(0, len(ids), _CHUNK):
            chunk = q.where(TallyRow.unit_id.in_(ids[at : at + _CHUNK]))
            out.update({uid: json.loads(f) for uid, f in self.s.execute(chunk)})
        return out

    def mark_annulled(self, station_id: str, decision: Mapping[str, object]) -> None:
        self.s.execute(insert(TallyRow), [{
            "election_id": self.election_id, "level": ANNULLED, "unit_id": station_id,
            "contest_id": "", "figures": json.dumps(dict(decision), separators=(",", ":")),
        }])  # fmt: skip

    def any(self) -> bool:
        q = select(TallyRow.unit_id).where(TallyRow.election_id == self.election_id).limit(1)
        return self.s.scalar(q) is not None

    def write(self, changed: Mapping[Key, Vectors], existing: Sequence[Key]) -> None:
        """Store changed rows: an update where a row exists, an insert where it does not."""
        known = set(existing)
        eid = self.election_id
        text = self._figures.text
        updates = [(text(v), eid, *k) for k, v in changed.items() if k in known]
        inserts = [(eid, *k, text(v)) for k, v in changed.items() if k not in known]
        connection = self.s.connection()
        update_rows(connection, _TABLE, ["figures"],
                    ["election_id", "level", "unit_id", "contest_id"], updates)  # fmt: skip
        insert_rows(connection, _TABLE, ["election_id", "level", "unit_id", "contest_id",
                                         "figures"], inserts)  # fmt: skip

    def clear(self) -> None:
        self.s.execute(delete(TallyRow).where(TallyRow.election_id == self.election_id))
