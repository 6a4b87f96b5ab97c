"""Many rows at once, handed to the database driver as plain tuples.

A Core executemany (``insert(table)`` with a list of dicts) still has SQLAlchemy build and
process every row's parameters; at thousands of rows a batch that cost the one writer more than
the database's own work. Here the statement is written once per batch and the rows go to the
driver's executemany as they are. So the values must already be what the driver takes — str,
int, bytes, None — and a value whose column type converts it (a datetime, a bool: SQLite stores
them its own way) is converted once with :func:`bound`, as SQLAlchemy would have.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

Row = tuple[Any, ...]
# Rows from which PostgreSQL is sent COPY rather than INSERT: COPY costs a second round trip
# (the server answers COPY before it takes the rows), which a handful of rows does not repay.
COPY_FROM = 16


def marker(connection: Connection) -> str:
    """The placeholder of a positional parameter in the driver's own SQL."""
    style = connection.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"positional parameters in paramstyle {style!r}")


def bound(connection: Connection, column: Column[Any], value: object) -> object:
    """`value` as SQLAlchemy would bind it for `column` on this connection's database."""
    dialect = connection.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def _names(connection: Connection, names: Sequence[str]) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return ", ".join(quote(n) for n in names)


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """INSERT `rows` (tuples in the order of `columns`) in one executemany (or one COPY)."""
    if not rows:
        return
    if len(rows) >= COPY_FROM and connection.dialect.driver == "psycopg":
        _copy(connection, table, columns, rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    marks = ", ".join([marker(connection)] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({_names(connection, columns)}) VALUES ({marks})"
    connection.exec_driver_sql(sql, list(rows))


def _copy(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """COPY `rows` into `table` in the connection's transaction. In PostgreSQL's text format:
    the server reads each value by its column's type as it reads an INSERT's, so a value out of
    the column's range fails as it would there (psycopg's binary format would have cut an int to
    an INTEGER column's four bytes without a word). A failure is raised as SQLAlchemy raises a
    failed statement's (an IntegrityError for a slot already taken, an OperationalError for a
    lost connection), so callers and the API's fault handlers see no difference either."""
    import psycopg

    quote = connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({_names(connection, columns)}) FROM STDIN"
    dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as err:
        gone = connection.dialect.is_disconnect(err, dbapi, None)
        if gone:
            connection.invalidate(err)
        raise DBAPIError.instance(sql, None, err, psycopg.Error, connection_invalidated=gone,
                                  dialect=connection.dialect) from err  # fmt: skip


def update_rows(
    connection: Connection, table: Table, columns: Sequence[str], keys: Sequence[str],
    rows: Sequence[Row],
) -> None:  # fmt: skip
    """UPDATE each row: `columns` set to its first values, where `keys` equal the rest.

    No two rows may name the same keys. On PostgreSQL the rows go as one JSON array to one
    statement (so their values must be JSON's: str, int, None): per row, an executemany there
    cost us more than the server's own work, and the server an executor started and ended."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _update_joined(connection, table, columns, keys, rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    mark = marker(connection)
    sets = ", ".join(f"{quote(c)} = {mark}" for c in columns)
    where = " AND ".join(f"{quote(k)} = {mark}" for k in keys)
    connection.exec_driver_sql(f"UPDATE {quote(table.name)} SET {sets} WHERE {where}", list(rows))


def _update_joined(
    connection: Connection, table: Table, columns: Sequence[str], keys: Sequence[str],
    rows: Sequence[Row],
) -> None:  # fmt: skip
    quote = connection.dialect.identifier_preparer.quote
    dialect = connection.dialect
    fields = ", ".join(
        f"CAST(r->>{i} AS {table.c[name].type.compile(dialect=dialect)}) AS {quote(name)}"
        for i, name in enumerate((*columns, *keys))
    )
    sets = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
    where = " AND ".join(f"t.{quote(k)} = v.{quote(k)}" for k in keys)
    connection.exec_driver_sql(
        f"UPDATE {quote(table.name)} AS t SET {sets} FROM (SELECT {fields} FROM "
        f"json_array_elements(CAST({marker(connection)} AS JSON)) AS r) AS v WHERE {where}",
        (json.dumps(rows, separators=(",", ":")),),
    )


def select_in(
    connection: Connection, sql: str, params: Sequence[object], ids: Sequence[object],
    chunk: int = 500,
) -> list[Sequence[Any]]:  # fmt: skip
    """The rows of `sql` for every id of `ids`, `chunk` ids a statement, read at the driver.

    `sql` marks each of `params` with ``{m}`` and the list of ids with ``{ids}`` (inside
    ``IN (…)``). A hot read done a batch at a time: SQLAlchemy's building, caching and
    compiling of a statement with an IN list of hundreds cost more than SQLite's answer.

    On PostgreSQL each chunk's ids go as one array, ``= ANY(…)``: psycopg parsed and bound a
    statement of 500 placeholders in Python each time. The chunks stay: the planner costs an
    array as the IN list of as many constants, and at 2,000 stations it chose to scan all the
    totals rather than probe their index 4,000 times.
    """
    mark = marker(connection)
    array = connection.dialect.name == "postgresql" and " IN ({ids})" in sql
    if array:
        sql = sql.replace(" IN ({ids})", " = ANY({ids})")
    out: list[Sequence[Any]] = []
    for at in range(0, len(ids), chunk):
        part = list(ids[at : at + chunk])
        if array:
            text, values = sql.format(m=mark, ids=mark), (*params, part)
        else:
            text, values = sql.format(m=mark, ids=", ".join([mark] * len(part))), (*params, *part)
        out += connection.exec_driver_sql(text, values).all()
    return out
