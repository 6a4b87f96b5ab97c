"""The register's rows: bulk imports, the atomic check-in insert, batch judging, turnout counts.

Times are stored in UTC. On SQLite, SQLAlchemy keeps a DateTime as naive text, so everything read
back is made aware again here; the raw bulk path writes that same text format itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from achyk.domain.register import Channel, PriorVote
from achyk.store.checkin_statements import SQLITE_MARK, SQLITE_SPEND
from achyk.store.register_models import (
    CheckinRefusalRow,
    CheckinRow,
    DeviceNonceRow,
    DoubleVoteRow,
    RegisterCommitmentRow,
    VoterMoveRefusalRow,
    VoterMoveRow,
    VoterRow,
)
from achyk.store.timestamps import now, sqlite_time, utc

_T: dict[str, Table] = {
    "voters": cast(Table, VoterRow.__table__),
    "checkins": cast(Table, CheckinRow.__table__),
    "nonces": cast(Table, DeviceNonceRow.__table__),
}


_first, _others = itemgetter(0), itemgetter(1, 2, 3)


@dataclass(frozen=True)
class StoredCheckin:
    station_id: str
    channel: Channel
    device_id: str
    at: datetime

    def prior(self) -> PriorVote:
        return PriorVote(self.station_id, self.channel, self.at)


@dataclass(frozen=True)
class FirstAnswer:
    """What was recorded for a signed request whose nonce is spent (see :meth:`first_answer`)."""

    kind: str  # "issued", "refused", "unjudged" or "replay"
    at: datetime | None = None
    station_id: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class BatchVerdict:
    """A staged check-in that was not recorded, with what the database held for its voter."""

    seq: int
    home_station: str | None
    held: StoredCheckin | None


class RegisterRepo:
    def __init__(self, session: Session, election_id: str) -> None:
        self.s = session
        self.e = election_id
        self.dialect = session.get_bind().dialect.name

    # --- bulk -----------------------------------------------------------------------------------

    def _insert(self, table: Table) -> Insert:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        return insert(table)

    def _bulk(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            # The driver's executemany on tuples is several times faster than ORM or Core dicts,
            # which matters for a register of millions.
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
            cursor = self.s.connection().connection.cursor()
            try:
                # A register's indexes outgrow SQLite's default 2 MB page cache many times over.
                cursor.execute("PRAGMA cache_size=-262144")
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
        else:
            self.s.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])

    def add_voters(self, rows: list[tuple[bytes, str, int, str | None]]) -> None:
        """(voter hash, station, birth year, country) rows; a repeated hash breaks uq_voter."""
        if self.dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 38):
            self._add_voters_sqlite(rows)
            return
        cols = ("election_id", "voter_hash", "station_id", "birth_year", "country")
        self._bulk(_T["voters"], cols, [(self.e, *r) for r in rows])

    def _add_voters_sqlite(self, rows: list[tuple[bytes, str, int, str | None]]) -> None:
        """One statement per chunk: the hashes as one blob, the rest as one JSON array.

        Binding four parameters per row costs the driver more than SQLite's insert itself; here
        SQLite unpacks the chunk in C (``->>`` needs SQLite 3.38). Same rows, same column types.
        """
        sql = (
            "INSERT INTO voters (election_id, voter_hash, station_id, birth_year, country) "
            "SELECT ?1, substr(?2, j.key * 32 + 1, 32), j.value ->> 0, j.value ->> 1, "
            "j.value ->> 2 FROM json_each(?3) AS j"
        )
        cursor = self.s.connection().connection.cursor()
        try:
            # A register's indexes outgrow SQLite's default 2 MB page cache many times over.
            cursor.execute("PRAGMA cache_size=-262144")
            for start in range(0, len(rows), 50_000):
                chunk = rows[start : start + 50_000]
                hashes = b"".join(map(_first, chunk))
                if len(hashes) != 32 * len(chunk):
                    raise ValueError("a voter hash is not 32 bytes")
                rest = json.dumps(list(map(_others, chunk)), separators=(",", ":"))
                cursor.execute(sql, (self.e, hashes, rest))
        finally:
            cursor.close()

    def _inserted(self, stmt: Insert) -> bool:
        # RETURNING, not rowcount: with PostgreSQL's implicit RETURNING of the key, rowcount of
        # an INSERT .. ON CONFLICT DO NOTHING does not tell a skipped row from a written one.
        table = cast(Table, stmt.table)
        done = stmt.on_conflict_do_nothing().returning(*table.primary_key.columns)  # type: ignore[attr-defined]
        return self.s.execute(done).first() is not None

    def voter_count(self) -> int:
        q = select(func.count()).select_from(VoterRow).where(VoterRow.election_id == self.e)
        return int(self.s.scalar(q) or 0)

    def sorted_register(self, chunk: int = 100_000) -> Iterator[tuple[bytes, str]]:
        q = (
            select(VoterRow.voter_hash, VoterRow.station_id)
            .where(VoterRow.election_id == self.e)
            .order_by(VoterRow.voter_hash)
            .execution_options(yield_per=chunk)
        )
        for h, station in self.s.execute(q):
            yield bytes(h), station

    # --- commitment ------------------------------------------------------------------------------

    def commitment(self) -> RegisterCommitmentRow | None:
        return self.s.get(RegisterCommitmentRow, self.e)

    def save_commitment(
        self, count: int, root: str, per_station: dict[str, int], log_index: int | None
    ) -> None:
        text = json.dumps(dict(sorted(per_station.items())), separators=(",", ":"))
        row = self.commitment()
        if row is None:
            self.s.add(
                RegisterCommitmentRow(
                    election_id=self.e,
                    count=count,
                    merkle_root=root,
                    voters_per_station=text,
                    log_index=log_index,
                    committed_at=now(),
                )
            )
        else:
            row.count, row.merkle_root, row.voters_per_station = count, root, text
            row.log_index, row.committed_at = log_index, now()

    # --- voters ----------------------------------------------------------------------------------

    def station_of(self, voter: bytes, *, for_update: bool = False) -> str | None:
        """The voter's station; ``for_update`` holds the row until the transaction ends (on
        PostgreSQL; SQLite's writers are serialised anyway), so two changes cannot both start
        from the same station."""
        q = select(VoterRow.station_id).where(
            VoterRow.election_id == self.e, VoterRow.voter_hash == voter
        )
        return self.s.scalar(q.with_for_update() if for_update else q)

    def move(self, voter: bytes, from_station: str, to_station: str, country: str | None) -> None:
        self.s.execute(
            update(VoterRow)
            .where(VoterRow.election_id == self.e, VoterRow.voter_hash == voter)
            .values(station_id=to_station, country=country)
        )
        self.s.add(
            VoterMoveRow(
                election_id=self.e,
                voter_hash=voter,
                from_station=from_station,
                to_station=to_station,
                moved_at=now(),
            )
        )

    def moves(self) -> int:
        q = select(func.count()).select_from(VoterMoveRow).where(VoterMoveRow.election_id == self.e)
        return int(self.s.scalar(q) or 0)

    # --- check-in --------------------------------------------------------------------------------

    def add_nonce(self, device_id: str, nonce: str, voter: bytes | None = None) -> bool:
        """Record a request nonce; False when the device already used it (a replay)."""
        stmt = self._insert(_T["nonces"]).values(
            device_id=device_id, nonce=nonce, seen_at=now(), voter_hash=voter
        )
        return self._inserted(stmt)

    def first_answer(self, device_id: str, nonce: str, voter: bytes | None) -> FirstAnswer:
        """The answer recorded for the request that first spent this device's nonce.

        "issued": the check-in row carries the nonce; "refused": a refusal row does; "unjudged":
        the nonce was spent and nothing recorded with it (PostgreSQL's one-statement path spent
        it, then the refusal that was to follow never committed, so no answer was ever given);
        "replay": the nonce was spent for another voter (or is forgotten).
        """
        # Locked until the caller's transaction ends: two sendings of one request, judged at
        # once, take turns, and the second finds the answer the first recorded.
        spent = self.s.execute(
            select(DeviceNonceRow.voter_hash)
            .where(DeviceNonceRow.device_id == device_id, DeviceNonceRow.nonce == nonce)
            .with_for_update()
        ).first()
        if spent is None or (None if spent[0] is None else bytes(spent[0])) != voter:
            return FirstAnswer("replay")
        if voter is not None:
            row = self.s.execute(
                select(CheckinRow.station_id, CheckinRow.checked_in_at).where(
                    CheckinRow.election_id == self.e, CheckinRow.voter_hash == voter,
                    CheckinRow.device_id == device_id, CheckinRow.nonce == nonce,
                )
            ).first()  # fmt: skip
            if row is not None:
                return FirstAnswer("issued", utc(row[1]), row[0])
        refused = self.s.execute(
            select(CheckinRefusalRow.station_id, CheckinRefusalRow.refused_at,
                   CheckinRefusalRow.reason, CheckinRefusalRow.message)
            .where(CheckinRefusalRow.election_id == self.e,
                   CheckinRefusalRow.device_id == device_id, CheckinRefusalRow.nonce == nonce)
            .order_by(CheckinRefusalRow.id)
            .limit(1)
        ).first()  # fmt: skip
        if refused is not None:
            return FirstAnswer("refused", utc(refused[1]), refused[0], refused[2], refused[3])
        return FirstAnswer("unjudged")

    def spend_and_mark(
        self, voter: bytes, station_id: str, channel: Channel, device_id: str, at: datetime,
        hour: int, nonce: str, open_here: bool,
    ) -> tuple[bool, bool]:  # fmt: skip
        """SQLite's fast path, inside the caller's transaction: spend the nonce, then mark the
        voter if on this station's list (or ``open_here``) and not yet checked in.

        Returns (nonce was fresh, voter was marked), as
        :func:`achyk.store.checkin_statements.fast_checkin_async` does on PostgreSQL;
        two plain statements on the driver's cursor, since this runs for every check-in.
        """
        cursor = self.s.connection().connection.cursor()
        try:
            cursor.execute(SQLITE_SPEND, (device_id, nonce, sqlite_time(now()), voter))
            if cursor.rowcount != 1:
                return False, False
            cursor.execute(SQLITE_MARK, (station_id, channel.value, device_id, sqlite_time(at),
                                          hour, nonce, self.e, voter, station_id, open_here))  # fmt: skip
            return True, cursor.rowcount == 1
        finally:
            cursor.close()

    def prune_nonces(self, seen_before: datetime) -> int:
        """Forget nonces first seen before `seen_before`; how many were forgotten."""
        table = _T["nonces"]
        result = self.s.execute(delete(table).where(table.c.seen_at < seen_before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def add_move_refusal(
        self, subject: str, requests: list[dict[str, Any]], reasons: list[dict[str, str]]
    ) -> None:
        self.s.add(
            VoterMoveRefusalRow(
                election_id=self.e, subject=subject[:200], requests=json.dumps(requests),
                reasons=json.dumps(reasons, ensure_ascii=False), refused_at=now(),
            )
        )  # fmt: skip

    def insert_checkin(
        self,
        voter: bytes,
        station_id: str,
        channel: Channel,
        device_id: str,
        at: datetime,
        hour: int,
        offline: bool = False,
        nonce: str | None = None,
    ) -> bool:
        """Mark the voter as voted; False when any check-in of theirs already exists.

        ON CONFLICT DO NOTHING on uq_checkin_voter: a concurrent second insert waits for the first
        transaction and then inserts nothing, so exactly one wins without an exception.
        """
        stmt = self._insert(_T["checkins"]).values(
            election_id=self.e, voter_hash=voter, station_id=station_id, channel=channel.value,
            device_id=device_id, checked_in_at=utc(at), hour=hour, offline=int(offline),
            nonce=nonce,
        )  # fmt: skip
        return self._inserted(stmt)

    def checkin_of(self, voter: bytes) -> StoredCheckin | None:
        q = select(
            CheckinRow.station_id,
            CheckinRow.channel,
            CheckinRow.device_id,
            CheckinRow.checked_in_at,
        ).where(CheckinRow.election_id == self.e, CheckinRow.voter_hash == voter)
        row = self.s.execute(q).first()
        if row is None:
            return None
        return StoredCheckin(row[0], Channel(row[1]), row[2], utc(row[3]))

    def add_refusals(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            stamp = now()
            self.s.add_all(
                CheckinRefusalRow(**{"election_id": self.e, "refused_at": stamp, **r}) for r in rows
            )

    # --- batches ---------------------------------------------------------------------------------

    def judge_batch(
        self,
        rows: list[tuple[int, bytes, str, str, str, datetime, int]],
        open_to_all: frozenset[str] = frozenset(),
    ) -> list[BatchVerdict]:
        """Record every (seq, voter, station, channel, device, at, hour) whose voter is registered
        at that station (or anywhere, for a station in ``open_to_all``) and has no check-in yet;
        return the others with what the database holds.

        One INSERT .. SELECT per row, run by the driver's executemany: the voter's row supplies
        the check-in only if it is on that station's list, and the primary key of ``checkins``
        drops the row if the voter has one already. Only when fewer rows went in than were sent
        are the check-ins of the batch read back to tell which.
        """
        if not rows:
            return []
        rows = sorted(rows, key=lambda r: r[1])  # index order: lookups and inserts stay local
        sql = (
            "INSERT INTO checkins (election_id, voter_hash, station_id, channel, device_id, "
            "checked_in_at, hour, offline) SELECT v.election_id, v.voter_hash, ?, "
            "?, ?, ?, ?, 0 FROM voters v WHERE v.election_id = ? AND v.voter_hash = ? "
            "AND (v.station_id = ? OR ?) ON CONFLICT (election_id, voter_hash) DO NOTHING"
        )
        if self.dialect == "sqlite":
            times: dict[datetime, str] = {}
            params: list[tuple[Any, ...]] = []
            for _, voter, station, channel, device, at, hour in rows:
                text = times.get(at)
                if text is None:
                    text = times[at] = sqlite_time(at)
                params.append((station, channel, device, text, hour, self.e, voter, station,
                               station in open_to_all))  # fmt: skip
        else:
            sql = sql.replace("?", "%s")
            params = [(st, ch, d, utc(at), h, self.e, v, st, st in open_to_all)
                      for _, v, st, ch, d, at, h in rows]  # fmt: skip
        cursor = self.s.connection().connection.cursor()
        try:
            if self.dialect == "sqlite":
                cursor.execute("PRAGMA cache_size=-262144")
            cursor.executemany(sql, params)
            inserted = cursor.rowcount
        finally:
            cursor.close()
        if inserted == len(rows):
            return []
        held = self._held([r[1] for r in rows])
        out: list[BatchVerdict] = []
        lost: list[tuple[int, bytes, StoredCheckin | None]] = []
        for seq, voter, station, channel, device, at, _ in rows:
            mine = StoredCheckin(station, Channel(channel), device, utc(at))
            h = held.get(voter)
            if h != mine:
                lost.append((seq, voter, h))
        homes = self._homes([v for _, v, _ in lost])
        out = [BatchVerdict(seq, homes.get(v), h) for seq, v, h in lost]
        return out

    def _held(self, voters: list[bytes]) -> dict[bytes, StoredCheckin]:
        c = CheckinRow
        out: dict[bytes, StoredCheckin] = {}
        for start in range(0, len(voters), 500):
            q = select(c.voter_hash, c.station_id, c.channel, c.device_id, c.checked_in_at).where(
                c.election_id == self.e, c.voter_hash.in_(voters[start : start + 500])
            )
            for v, st, ch, d, at in self.s.execute(q):
                out[bytes(v)] = StoredCheckin(st, Channel(ch), d, utc(at))
        return out

    def _homes(self, voters: list[bytes]) -> dict[bytes, str]:
        out: dict[bytes, str] = {}
        for start in range(0, len(voters), 500):
            q = select(VoterRow.voter_hash, VoterRow.station_id).where(
                VoterRow.election_id == self.e, VoterRow.voter_hash.in_(voters[start : start + 500])
            )
            out.update((bytes(v), st) for v, st in self.s.execute(q))
        return out

    # --- counts ----------------------------------------------------------------------------------

    def registered_per_station(self) -> dict[str, int]:
        """The committed counts, moved by Form 2 (cheaper than counting millions of rows)."""
        row = self.commitment()
        counts: dict[str, int] = json.loads(row.voters_per_station) if row else {}
        q = select(VoterMoveRow.from_station, VoterMoveRow.to_station).where(
            VoterMoveRow.election_id == self.e
        )
        for a, b in self.s.execute(q):
            counts[a] = counts.get(a, 0) - 1
            counts[b] = counts.get(b, 0) + 1
        return counts

    def checkins_per_station_hour(self) -> Iterable[tuple[str, int, int]]:
        q = (
            select(CheckinRow.station_id, CheckinRow.hour, func.count())
            .where(CheckinRow.election_id == self.e)
            .group_by(CheckinRow.station_id, CheckinRow.hour)
        )
        return [(st, int(h), int(n)) for st, h, n in self.s.execute(q)]

    def counts(self) -> dict[str, int]:
        def n(model: Any) -> int:
            q = select(func.count()).select_from(model).where(model.election_id == self.e)
            return int(self.s.scalar(q) or 0)

        return {
            "voters": n(VoterRow),
            "abroad": int(
                self.s.scalar(
                    select(func.count())
                    .select_from(VoterRow)
                    .where(VoterRow.election_id == self.e, VoterRow.country.is_not(None))
                )
                or 0
            ),
            "moves": n(VoterMoveRow),
            "moves_refused": n(VoterMoveRefusalRow),
            "checkins": n(CheckinRow),
            "refusals": n(CheckinRefusalRow),
            "double_votes": n(DoubleVoteRow),
        }
