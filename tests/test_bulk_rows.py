"""Rows written in bulk (achyk.store.bulk) are stored exactly as row-by-row statements store them.

On PostgreSQL a batch of rows goes in by COPY and a batch of updates as one joined statement;
these tests hold both to what the plain INSERT and UPDATE store (on SQLite, the plain ones run
and the same assertions hold), and to failing as those do: a taken key is an IntegrityError,
a value out of its column's range an error, never a value cut short.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from achyk.store.bulk import COPY_FROM, bound, insert_rows, select_in, update_rows
from achyk.store.database import Database
from achyk.store.models import LogEntryRow, LogNodeRow, TallyRow

ENTRIES = cast(Table, LogEntryRow.__table__)
NODES = cast(Table, LogNodeRow.__table__)
TALLIES = cast(Table, TallyRow.__table__)
# What a text format could get wrong: its own delimiters and escapes, the null marker, quotes,
# letters beyond ASCII, and the empty string.
AWKWARD = ["plain", "tab\there", "line\nbreak", "back\\slash", "\\N", "", "«Ошибка» ‘q’ \"q\" '",
           "\r\n", "a\\tb", "{\"kind\": \"protocol\"}", "𝔘nicode beyond the BMP"]  # fmt: skip


def _statements(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(*args: Any) -> None:
        seen.append(args[2])

    return seen


def test_a_batch_is_stored_as_its_rows_one_by_one(db: Database) -> None:
    n = COPY_FROM + len(AWKWARD)
    at = datetime(2026, 11, 30, 20, 15, 7, 123456, tzinfo=UTC)
    texts = [AWKWARD[i % len(AWKWARD)] + str(i) * (i % 3) for i in range(n)]
    hashes = [bytes([i, 0, 92, 9, 10, 255]) * (i % 4) for i in range(n)]
    seen = _statements(db)
    with db.session() as s:
        c = s.connection()
        stamp = bound(c, ENTRIES.c.appended_at, at)
        columns = ("election_id", "idx", "kind", "entry", "appended_at")
        insert_rows(c, ENTRIES, columns, [("batch", i, "k", t, stamp) for i, t in enumerate(texts)])
        insert_rows(c, NODES, ("election_id", "level", "idx", "hash"),
                    [("batch", i % 3, i, h) for i, h in enumerate(hashes)])  # fmt: skip
        batched = list(seen)
        for i, (t, h) in enumerate(zip(texts, hashes, strict=True)):  # below COPY_FROM: INSERTs
            insert_rows(c, ENTRIES, columns, [("single", i, "k", t, stamp)])
            insert_rows(
                c, NODES, ("election_id", "level", "idx", "hash"), [("single", i % 3, i, h)]
            )
    if db.dialect == "postgresql":  # the batch went by COPY, not by INSERT
        assert not [q for q in batched if q.startswith("INSERT")]
    with db.read() as s:

        def stored(eid: str) -> tuple[list[Any], list[Any]]:
            entries = s.execute(select(LogEntryRow.idx, LogEntryRow.kind, LogEntryRow.entry,
                                       LogEntryRow.appended_at)
                                .where(LogEntryRow.election_id == eid)
                                .order_by(LogEntryRow.idx)).all()  # fmt: skip
            nodes = s.execute(select(LogNodeRow.level, LogNodeRow.idx, LogNodeRow.hash)
                              .where(LogNodeRow.election_id == eid)
                              .order_by(LogNodeRow.idx)).all()  # fmt: skip
            return [tuple(r) for r in entries], [(lv, i, bytes(h)) for lv, i, h in nodes]

        batch, single = stored("batch"), stored("single")
    assert batch == single
    assert [e[2] for e in batch[0]] == texts
    assert [n[2] for n in batch[1]] == hashes
    assert {e[3].replace(tzinfo=UTC) if e[3].tzinfo is None else e[3] for e in batch[0]} == {at}


def test_a_batch_that_takes_a_taken_key_fails_as_an_insert_does(db: Database) -> None:
    rows = [("e", 0, i, bytes(32)) for i in range(COPY_FROM * 2)]
    with db.session() as s:
        insert_rows(s.connection(), NODES, ("election_id", "level", "idx", "hash"), rows)
    with pytest.raises(IntegrityError), db.session() as s:
        insert_rows(s.connection(), NODES, ("election_id", "level", "idx", "hash"),
                    [(*r[:2], r[2] + COPY_FROM, r[3]) for r in rows])  # fmt: skip
    with db.read() as s:  # nothing of the failed batch, and the database still answers
        count = s.scalar(text("SELECT count(*) FROM log_nodes"))
    assert count == len(rows)


def test_a_value_out_of_its_columns_range_is_refused_not_cut(db: Database) -> None:
    if db.dialect != "postgresql":
        return  # SQLite's INTEGER holds eight bytes, whatever the column says
    rows = [("e", 2**40 if i == COPY_FROM else 0, i, bytes(32)) for i in range(COPY_FROM * 2)]
    with pytest.raises(DBAPIError), db.session() as s:
        insert_rows(s.connection(), NODES, ("election_id", "level", "idx", "hash"), rows)


def test_updates_in_one_statement_change_the_rows_named_and_no_other(db: Database) -> None:
    n = COPY_FROM * 2
    columns = ("election_id", "level", "unit_id", "contest_id", "figures")
    with db.session() as s:
        insert_rows(s.connection(), TALLIES, columns,
                    [("e", lv, str(i), "c", f"[[{i}]]") for i in range(n)
                     for lv in ("station", "district")])  # fmt: skip
    seen = _statements(db)
    with db.session() as s:
        update_rows(s.connection(), TALLIES, ["figures"],
                    ["election_id", "level", "unit_id", "contest_id"],
                    [(f"[[{i},{AWKWARD[i % len(AWKWARD)]!r}]]", "e", "station", str(i), "c")
                     for i in range(0, n, 2)])  # fmt: skip
    if db.dialect == "postgresql":
        assert len([q for q in seen if q.startswith("UPDATE")]) == 1
    with db.read() as s:
        stored = {(lv, u): f for lv, u, f in s.execute(
            select(TallyRow.level, TallyRow.unit_id, TallyRow.figures))}  # fmt: skip
    assert stored == {
        (lv, str(i)): f"[[{i},{AWKWARD[i % len(AWKWARD)]!r}]]"
        if lv == "station" and i % 2 == 0 else f"[[{i}]]"
        for i in range(n) for lv in ("station", "district")
    }  # fmt: skip


def test_a_read_by_many_ids_finds_the_rows_of_each(db: Database) -> None:
    columns = ("election_id", "level", "unit_id", "contest_id", "figures")
    with db.session() as s:
        insert_rows(s.connection(), TALLIES, columns,
                    [("e", "station", str(i), "c", f"[[{i}]]") for i in range(1_500)])  # fmt: skip
    wanted = [str(i) for i in range(0, 1_500, 2)] + ["none"]  # more than a chunk of 500
    seen = _statements(db)
    with db.read() as s:
        sql = ("SELECT unit_id, figures FROM tallies"
               " WHERE election_id = {m} AND level = {m} AND unit_id IN ({ids})")  # fmt: skip
        found = select_in(s.connection(), sql, ("e", "station"), wanted)
        assert select_in(s.connection(), sql, ("e", "station"), []) == []
    assert sorted(tuple(r) for r in found) == sorted(
        (i, f"[[{i}]]") for i in set(wanted) - {"none"}
    )
    if db.dialect == "postgresql":  # a statement a chunk of 500, its ids as one array
        assert len(seen) == 2 and all("ANY" in q and "IN" not in q for q in seen)


def test_a_batch_on_a_lost_connection_is_an_operational_error(db: Database) -> None:
    """What the API answers 503 (achyk.api.faults), and the pool then works on."""
    if db.dialect != "postgresql":
        return  # no server to lose
    rows = [("e", 0, i, bytes(32)) for i in range(COPY_FROM)]
    raised: list[Exception] = []
    with pytest.raises(OperationalError), db.session() as s:
        c = s.connection()
        pid = c.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
        try:
            insert_rows(c, NODES, ("election_id", "level", "idx", "hash"), rows)
        except Exception as err:  # as the COPY raised it, not as the session's ending may
            raised.append(err)
            raise
    [err] = raised
    assert isinstance(err, OperationalError) and err.connection_invalidated
    with db.session() as s:  # a fresh connection takes the same batch
        insert_rows(s.connection(), NODES, ("election_id", "level", "idx", "hash"), rows)
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM log_nodes")) == len(rows)
