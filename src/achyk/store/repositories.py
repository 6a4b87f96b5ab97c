"""Repositories: the narrow ways the services read and write rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, NamedTuple, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from achyk.store.bulk import bound, insert_rows, select_in
from achyk.store.models import DeviceSwitchRow, ElectionRow, ProtocolRow, RejectionRow


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StoredProtocol:
    id: int
    station_id: str
    contest_id: str
    kind: str
    document: str
    document_hash: str
    device_id: str | None
    signature: str | None
    received_at: datetime
    log_index: int
    superseded: bool
    correction_reason: str | None


class CurrentDocument(NamedTuple):
    """A current protocol's stored document and the log entry that carries it."""

    station_id: str
    id: int
    log_index: int
    document_hash: str
    device_id: str | None
    document: str
    signature: str | None


def _stored(r: ProtocolRow) -> StoredProtocol:
    return StoredProtocol(
        r.id, r.station_id, r.contest_id, r.kind, r.document, r.document_hash, r.device_id,
        r.signature, r.received_at, r.log_index, r.superseded, r.correction_reason,
    )  # fmt: skip


class Elections:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, election_id: str) -> ElectionRow | None:
        return self.s.get(ElectionRow, election_id)

    def heads(self) -> list[tuple[str, str]]:
        """(id, definition hash) of every election, oldest first — without the documents."""
        q = select(ElectionRow.id, ElectionRow.definition_hash).order_by(ElectionRow.loaded_at)
        return [(a, b) for a, b in self.s.execute(q)]

    def summaries(self) -> list[tuple[str, str, str]]:
        """(id, name, definition hash), oldest first."""
        q = select(ElectionRow.id, ElectionRow.name, ElectionRow.definition_hash)
        return [(a, b, c) for a, b, c in self.s.execute(q.order_by(ElectionRow.loaded_at))]

    def definition(self, election_id: str) -> str:
        q = select(ElectionRow.definition).where(ElectionRow.id == election_id)
        return str(self.s.scalar(q))

    def outline(self, election_id: str) -> str | None:
        return self.s.scalar(select(ElectionRow.outline).where(ElectionRow.id == election_id))

    def add(
        self, election_id: str, name: str, definition: str, definition_hash: str,
        outline: str | None = None,
    ) -> None:  # fmt: skip
        self.s.add(
            ElectionRow(
                id=election_id,
                name=name,
                definition=definition,
                definition_hash=definition_hash,
                outline=outline,
                loaded_at=now(),
            )
        )


class Protocols:
    def __init__(self, session: Session) -> None:
        self.s = session

    def slots(
        self, election_id: str, station_ids: Iterable[str] | None = None
    ) -> dict[tuple[str, str, str], str]:
        """(station, contest, kind) → document hash of what is already accepted."""
        q = select(
            ProtocolRow.station_id,
            ProtocolRow.contest_id,
            ProtocolRow.kind,
            ProtocolRow.document_hash,
        ).where(ProtocolRow.election_id == election_id, ProtocolRow.superseded.is_(False))
        if station_ids is None:
            return {(a, b, c): h for a, b, c, h in self.s.execute(q)}
        # by the (election, station) index, never the table; at the driver (achyk.store.bulk)
        connection = self.s.connection()
        fresh = bound(connection, cast(Table, ProtocolRow.__table__).c.superseded, False)
        rows = select_in(
            connection,
            "SELECT station_id, contest_id, kind, document_hash FROM protocols"
            " WHERE election_id = {m} AND superseded = {m} AND station_id IN ({ids})",
            (election_id, fresh), sorted(set(station_ids)),
        )  # fmt: skip
        return {(a, b, c): h for a, b, c, h in rows}

    def add_many(self, election_id: str, rows: Iterable[dict[str, object]]) -> None:
        stamp = now()
        values = [{**row, "election_id": election_id, "received_at": stamp} for row in rows]
        if values:  # a core executemany: thousands of rows without building ORM objects
            self.s.connection().execute(insert(cast(Table, ProtocolRow.__table__)), values)

    # What `add_rows` takes of each protocol, in this order (then the log index).
    ROW = ("station_id", "contest_id", "kind", "document", "document_hash", "device_id",
           "signature", "log_index")  # fmt: skip

    def add_rows(self, election_id: str, rows: Sequence[tuple[object, ...]]) -> None:
        """`add_many` of accepted protocols (none superseded, none a correction), each a tuple
        in the order of `ROW`, handed to the driver as they are (achyk.store.bulk)."""
        if not rows:
            return
        connection = self.s.connection()
        table = cast(Table, ProtocolRow.__table__)
        stamp = bound(connection, table.c.received_at, now())
        fresh = bound(connection, table.c.superseded, False)
        insert_rows(connection, table, ("election_id", *self.ROW, "received_at", "superseded"),
                    [(election_id, *row, stamp, fresh) for row in rows])  # fmt: skip

    def documents(self, election_id: str) -> list[str]:
        q = select(ProtocolRow.document).where(
            ProtocolRow.election_id == election_id, ProtocolRow.superseded.is_(False)
        )
        return list(self.s.scalars(q.order_by(ProtocolRow.id)))

    def for_station(
        self, election_id: str, station_id: str, *, include_superseded: bool = False
    ) -> list[StoredProtocol]:
        q = (
            select(ProtocolRow)
            .where(ProtocolRow.election_id == election_id, ProtocolRow.station_id == station_id)
            .order_by(ProtocolRow.id)
        )
        if not include_superseded:
            q = q.where(ProtocolRow.superseded.is_(False))
        return [_stored(r) for r in self.s.scalars(q)]

    def for_stations(
        self, election_id: str, station_ids: Sequence[str]
    ) -> dict[str, list[StoredProtocol]]:
        """Every protocol (superseded too) of these stations, by the (election, station) index."""
        out: dict[str, list[StoredProtocol]] = {sid: [] for sid in station_ids}
        ids = list(station_ids)
        for at in range(0, len(ids), 500):
            q = (
                select(ProtocolRow)
                .where(ProtocolRow.election_id == election_id,
                       ProtocolRow.station_id.in_(ids[at : at + 500]))
                # (station, id), not id alone: ordered by id, SQLite walked the election's index
                # (every protocol of the election) instead of the (election, station) one
                .order_by(ProtocolRow.station_id, ProtocolRow.id)
            )  # fmt: skip
            for r in self.s.scalars(q):
                out[r.station_id].append(_stored(r))
        return out

    def current_documents(
        self, election_id: str, station_ids: Sequence[str]
    ) -> Iterator[CurrentDocument]:
        """The current (not superseded) protocols of these stations, ordered by (station, id):
        only the columns publishing reads, as plain rows (no ORM objects, no timestamps to
        convert): 200,000 protocols are read this way twice by `achyk publish`."""
        ids = list(station_ids)
        for at in range(0, len(ids), 500):
            q = (
                select(ProtocolRow.station_id, ProtocolRow.id, ProtocolRow.log_index,
                       ProtocolRow.document_hash, ProtocolRow.device_id, ProtocolRow.document,
                       ProtocolRow.superseded, ProtocolRow.signature)
                .where(ProtocolRow.election_id == election_id,
                       ProtocolRow.station_id.in_(ids[at : at + 500]))
                # as for_stations: the (election, station) index, not the election's
                .order_by(ProtocolRow.station_id, ProtocolRow.id)
            )  # fmt: skip
            for sid, pid, index, digest, device, document, superseded, sig in self.s.execute(q):
                if not superseded:  # filtered here: the query keeps for_stations' plan
                    yield CurrentDocument(sid, pid, index, digest, device, document, sig)

    def current(
        self, election_id: str, station_id: str, contest_id: str, kind: str
    ) -> ProtocolRow | None:
        q = select(ProtocolRow).where(
            ProtocolRow.election_id == election_id, ProtocolRow.station_id == station_id,
            ProtocolRow.contest_id == contest_id, ProtocolRow.kind == kind,
            ProtocolRow.superseded.is_(False),
        )  # fmt: skip
        return self.s.scalars(q).one_or_none()

    def any(self, election_id: str) -> bool:
        q = select(ProtocolRow.id).where(ProtocolRow.election_id == election_id).limit(1)
        return self.s.scalar(q) is not None

    def last_id(self, election_id: str) -> int:
        q = select(func.max(ProtocolRow.id)).where(ProtocolRow.election_id == election_id)
        return int(self.s.scalar(q) or 0)

    def count(self, election_id: str) -> int:
        q = (
            select(func.count())
            .select_from(ProtocolRow)
            .where(ProtocolRow.election_id == election_id)
        )
        return int(self.s.scalar(q) or 0)


class Rejections:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        election_id: str | None,
        station_id: str | None,
        source: str,
        raw: bytes,
        raw_hash: str,
        reasons: Sequence[str],
        log_index: int | None = None,
    ) -> None:
        self.s.add(
            RejectionRow(
                log_index=log_index,
                election_id=election_id,
                station_id=station_id,
                source=source,
                raw=raw,
                raw_hash=raw_hash,
                reasons=json.dumps(list(reasons), ensure_ascii=False),
                received_at=now(),
            )
        )

    def at_index(self, election_id: str, log_index: int) -> RejectionRow | None:
        q = select(RejectionRow).where(RejectionRow.election_id == election_id,
                                       RejectionRow.log_index == log_index)  # fmt: skip
        return self.s.scalars(q).first()

    def for_election(self, election_id: str) -> Sequence[RejectionRow]:
        q = select(RejectionRow).where(RejectionRow.election_id == election_id)
        return self.s.scalars(q.order_by(RejectionRow.id)).all()

    def evidence(self, election_id: str, below: int) -> Iterator[tuple[int, bytes]]:
        """(log index, raw bytes) of each logged rejection under `below`, a few at a time."""
        q = (
            select(RejectionRow.log_index, RejectionRow.raw)
            .where(RejectionRow.election_id == election_id, RejectionRow.log_index < below)
            .order_by(RejectionRow.log_index)
            .execution_options(yield_per=256)
        )
        for index, raw in self.s.execute(q):
            yield int(index or 0), bytes(raw)

    def at(self, election_id: str, log_index: int) -> RejectionRow | None:
        """The rejection recorded by log entry `log_index`."""
        q = select(RejectionRow).where(
            RejectionRow.election_id == election_id, RejectionRow.log_index == log_index
        )
        return self.s.scalars(q).first()

    def for_station(self, election_id: str, station_id: str) -> Sequence[RejectionRow]:
        """One station's refusals, by the (election, station) index: never the whole table."""
        q = select(RejectionRow).where(
            RejectionRow.election_id == election_id, RejectionRow.station_id == station_id
        )
        return self.s.scalars(q.order_by(RejectionRow.id)).all()

    def for_stations(
        self, election_id: str, station_ids: Sequence[str]
    ) -> dict[str, list[RejectionRow]]:
        out: dict[str, list[RejectionRow]] = {sid: [] for sid in station_ids}
        ids = list(station_ids)
        for at in range(0, len(ids), 500):
            q = select(RejectionRow).where(
                RejectionRow.election_id == election_id,
                RejectionRow.station_id.in_(ids[at : at + 500]),
            )
            for r in self.s.scalars(q.order_by(RejectionRow.id)):
                out[str(r.station_id)].append(r)
        return out

    def count_for_station(self, election_id: str, station_id: str) -> int:
        q = (
            select(func.count())
            .select_from(RejectionRow)
            .where(RejectionRow.election_id == election_id, RejectionRow.station_id == station_id)
        )
        return int(self.s.scalar(q) or 0)

    def count(self, election_id: str) -> int:
        q = (
            select(func.count())
            .select_from(RejectionRow)
            .where(RejectionRow.election_id == election_id)
        )
        return int(self.s.scalar(q) or 0)


class DeviceSwitches:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self, election_id: str, station_id: str, from_device: str, to_device: str, reason: str
    ) -> None:
        self.s.add(
            DeviceSwitchRow(
                election_id=election_id,
                station_id=station_id,
                from_device=from_device,
                to_device=to_device,
                reason=reason,
                switched_at=now(),
            )
        )

    def for_station(self, election_id: str, station_id: str) -> list[DeviceSwitchRow]:
        q = (
            select(DeviceSwitchRow)
            .where(
                DeviceSwitchRow.election_id == election_id,
                DeviceSwitchRow.station_id == station_id,
            )
            .order_by(DeviceSwitchRow.id)
        )
        return list(self.s.scalars(q))

    def active_backups(self, election_id: str) -> dict[str, set[str]]:
        q = select(DeviceSwitchRow.station_id, DeviceSwitchRow.to_device).where(
            DeviceSwitchRow.election_id == election_id
        )
        out: dict[str, set[str]] = {}
        for station, device in self.s.execute(q):
            out.setdefault(station, set()).add(device)
        return out


class Statistics:
    """PostgreSQL plans each query by its statistics of the tables. The tables election night
    fills (protocols, totals, the log) start empty, and until they are analysed again the planner
    believes them so: a lookup of 500 stations by the primary key then became a scan of every
    station row of a level (90 ms, at each batch). Autovacuum analyses late under a steady write
    load, or not at all where it is off; so the writer asks, each time what it wrote doubled."""

    TABLES = ("protocols", "tallies", "rejections", "log_entries", "log_nodes")
    # Of each, the columns its queries select rows by: not the wide ones (a protocol's document,
    # an entry's text, a hash), which no plan uses and whose samples, sorted and compared for a
    # histogram, were half of each analysis.
    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "protocols": ("election_id", "station_id", "contest_id", "kind", "superseded",
                      "log_index"),
        "tallies": ("election_id", "level", "unit_id", "contest_id"),
        "rejections": ("election_id", "station_id", "log_index"),
        "log_entries": ("election_id", "idx", "kind"),
        "log_nodes": ("election_id", "level", "idx"),
    }  # fmt: skip

    def __init__(self) -> None:
        self._next = 1_000  # rows written before the first analysis

    def written(self, session: Session, count: int) -> None:
        if session.get_bind().dialect.name != "postgresql":
            return
        self._next -= count
        if self._next > 0:
            return
        tables = (f"{t} ({', '.join(self.COLUMNS[t])})" for t in self.TABLES)
        session.execute(text(f"ANALYZE {', '.join(tables)}"))
        size = int(session.scalar(select(func.count()).select_from(ProtocolRow)) or 0)
        self._next = max(1_000, size)
