"""The stored log: entries, node hashes, head (size and frontier), checkpoints, keys."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from achyk.store.bulk import bound, insert_rows, marker
from achyk.store.models import (
    CheckpointRow,
    CosignatureRow,
    LogEntryRow,
    LogHeadRow,
    LogNodeRow,
    SigningKeyRow,
)
from achyk.store.repositories import now


class LogStore:
    def __init__(self, session: Session, election_id: str) -> None:
        self.s = session
        self.election_id = election_id

    def lock_head(self) -> tuple[int, list[bytes]]:
        """The head, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite has one writer)."""
        connection = self.s.connection()
        lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
        row = connection.exec_driver_sql(
            f"SELECT size, frontier FROM log_heads WHERE election_id = {marker(connection)}{lock}",
            (self.election_id,),
        ).first()
        if row is None:
            self.s.add(LogHeadRow(election_id=self.election_id, size=0, frontier="[]"))
            self.s.flush()
            return self.lock_head()
        return int(row[0]), [bytes.fromhex(h) for h in json.loads(row[1])]

    def head(self) -> int:
        connection = self.s.connection()
        found = connection.exec_driver_sql(
            f"SELECT size FROM log_heads WHERE election_id = {marker(connection)}",
            (self.election_id,),
        ).scalar()
        return int(found) if found is not None else 0

    # The head is read, locked and advanced at the driver, never through the session's
    # identity map: every append takes the lock, and in a small group of protocols the ORM's
    # select, load and flush of one row cost as much as writing the protocols.
    def write(
        self,
        start: int,
        entries: Sequence[tuple[str, str]],
        nodes: Iterable[tuple[int, int, bytes]],
        size: int,
        frontier: Sequence[bytes],
    ) -> None:
        eid = self.election_id
        connection = self.s.connection()
        entry_table = cast(Table, LogEntryRow.__table__)
        if entries:  # plain tuples to the driver: no per-row bookkeeping (achyk.store.bulk)
            stamp = bound(connection, entry_table.c.appended_at, now())
            insert_rows(connection, entry_table, ("election_id", "idx", "kind", "entry",
                                                  "appended_at"),
                        [(eid, start + i, kind, text, stamp)
                         for i, (kind, text) in enumerate(entries)])  # fmt: skip
        insert_rows(connection, cast(Table, LogNodeRow.__table__),
                    ("election_id", "level", "idx", "hash"),
                    [(eid, lv, i, h) for lv, i, h in nodes])  # fmt: skip
        m = marker(connection)
        done = connection.exec_driver_sql(
            f"UPDATE log_heads SET size = {m}, frontier = {m} WHERE election_id = {m}",
            (size, json.dumps([h.hex() for h in frontier]), eid),
        )
        assert done.rowcount == 1  # the caller locked (and so read) the head

    def node(self, level: int, idx: int) -> bytes:
        q = select(LogNodeRow.hash).where(
            LogNodeRow.election_id == self.election_id, LogNodeRow.level == level,
            LogNodeRow.idx == idx,
        )  # fmt: skip
        found = self.s.scalar(q)
        if found is None:
            raise KeyError(f"no node ({level}, {idx})")
        return bytes(found)

    def nodes(self, level: int, start: int, end: int) -> list[bytes]:
        q = (
            select(LogNodeRow.hash)
            .where(LogNodeRow.election_id == self.election_id, LogNodeRow.level == level,
                   LogNodeRow.idx >= start, LogNodeRow.idx < end)
            .order_by(LogNodeRow.idx)
        )  # fmt: skip
        return [bytes(h) for h in self.s.scalars(q)]

    def entries(self, start: int, end: int) -> list[str]:
        q = (
            select(LogEntryRow.entry)
            .where(LogEntryRow.election_id == self.election_id, LogEntryRow.idx >= start,
                   LogEntryRow.idx < end)
            .order_by(LogEntryRow.idx)
        )  # fmt: skip
        return list(self.s.scalars(q))

    def entries_of_kind(self, kind: str, below: int) -> list[tuple[int, str]]:
        """(index, entry) of every entry of one kind under `below` (rejections: a few)."""
        q = (
            select(LogEntryRow.idx, LogEntryRow.entry)
            .where(LogEntryRow.election_id == self.election_id, LogEntryRow.kind == kind,
                   LogEntryRow.idx < below)
            .order_by(LogEntryRow.idx)
        )  # fmt: skip
        return [(int(i), e) for i, e in self.s.execute(q)]

    def entries_at(self, indexes: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for at in range(0, len(indexes), 500):
            q = select(LogEntryRow.idx, LogEntryRow.entry).where(
                LogEntryRow.election_id == self.election_id,
                LogEntryRow.idx.in_(indexes[at : at + 500]),
            )
            out.update((int(i), e) for i, e in self.s.execute(q))
        return out

    def entry(self, idx: int) -> str | None:
        row = self.s.get(LogEntryRow, (self.election_id, idx))
        return row.entry if row else None

    def add_checkpoint(self, size: int, root: bytes, note: str) -> None:
        connection = self.s.connection()
        table = cast(Table, CheckpointRow.__table__)
        insert_rows(connection, table, ("election_id", "size", "root", "note", "signed_at"),
                    [(self.election_id, size, root.hex(), note,
                      bound(connection, table.c.signed_at, now()))])  # fmt: skip

    def latest_checkpoint(self) -> CheckpointRow | None:
        """The checkpoint of the head: the last one signed at the log's current size.

        Not the largest size ever signed: a checkpoint ahead of the stored entries would promise
        tiles the log cannot serve.
        """
        q = (
            select(CheckpointRow)
            .where(CheckpointRow.election_id == self.election_id,
                   CheckpointRow.size == self.head())
            .order_by(CheckpointRow.id.desc())
            .limit(1)
        )  # fmt: skip
        return self.s.scalars(q).first()

    def checkpoints(self) -> list[CheckpointRow]:
        q = select(CheckpointRow).where(CheckpointRow.election_id == self.election_id)
        return list(self.s.scalars(q.order_by(CheckpointRow.id)))

    def add_cosignature(self, size: int, witness: str, line: str) -> None:
        self.s.add(CosignatureRow(election_id=self.election_id, size=size, witness=witness,
                                  line=line, received_at=now()))  # fmt: skip

    def cosignatures_at(self, size: int) -> list[CosignatureRow]:
        q = select(CosignatureRow).where(CosignatureRow.election_id == self.election_id,
                                         CosignatureRow.size == size)  # fmt: skip
        return list(self.s.scalars(q.order_by(CosignatureRow.id)))

    def cosignatures(self) -> list[CosignatureRow]:
        q = select(CosignatureRow).where(CosignatureRow.election_id == self.election_id)
        return list(self.s.scalars(q.order_by(CosignatureRow.id)))


def stored_key(session: Session, name: str) -> SigningKeyRow | None:
    return session.get(SigningKeyRow, name)


def stored_keys(session: Session, names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """name → (secret, vkey) of the stored key rows among `names`, in one statement at the
    driver: what the session holds unflushed is not seen (the caller checks it has none)."""
    connection = session.connection()
    marks = ", ".join([marker(connection)] * len(names))
    rows = connection.exec_driver_sql(
        f"SELECT name, secret, vkey FROM signing_keys WHERE name IN ({marks})", tuple(names)
    )
    return {name: (secret, vkey) for name, secret, vkey in rows}


def store_key(session: Session, name: str, secret: str, vkey: str) -> None:
    session.add(SigningKeyRow(name=name, secret=secret, vkey=vkey, created_at=now()))


def as_json(text: str) -> Any:
    return json.loads(text)
