"""Fast bulk reads and writes for whole-cohort work.

SQLAlchemy's per-row result and parameter processing costs more than the database's own work at
a million rows, so these go to the driver directly: plain tuples in, plain tuples out. Only the
columns whose type needs converting (dates, timestamps, booleans) are converted, once per value.
Statements are written with ``?`` placeholders and adapted to the driver's style.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

FETCH_SIZE = 5000
_cursor_names = itertools.count()


def adapt(conn: Connection, sql: str) -> str:
    """``?`` placeholders in the driver's own style."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def marks(count: int) -> str:
    """Placeholders for a parameterised ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


IN_LIST_SIZE = 500


def chunks(ids: Sequence[Any], size: int = IN_LIST_SIZE) -> Iterator[Sequence[Any]]:
    """Slices of ``ids`` for ``IN (...)`` lists: drivers bound the number of parameters of one
    statement (SQLite's default limit is a few thousand)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def driver_rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
    """Run a query on the driver's cursor, inside the connection's transaction, and iterate its
    rows as plain tuples (a server-side cursor on PostgreSQL, so a cohort is never held twice).
    The cursor itself is the iterator: no Python-level step per row."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"followup_stream_{next(_cursor_names)}")  # type: ignore[union-attr]
        cursor.itersize = FETCH_SIZE
    else:
        cursor = raw.cursor()  # type: ignore[union-attr]
        cursor.arraysize = FETCH_SIZE
    cursor.execute(adapt(conn, sql), tuple(params))
    return iter(cursor)


def _bind_processor(conn: Connection, table: Table, name: str) -> Any:
    """The dialect's converter for values of a column (None: taken as they are)."""
    return table.c[name].type._cached_bind_processor(conn.dialect)


def as_stored(conn: Connection, table: Table, name: str, value: Any) -> Any:
    """One value as the driver takes it for a column (a date or timestamp as SQLite's text)."""
    process = _bind_processor(conn, table, name)
    return value if process is None or value is None else process(value)


def _convert(conn: Connection, table: Table, columns: Sequence[str], rows: list[list[Any]]) -> None:
    """Convert values of typed columns in place, once per distinct value (a batch repeats the
    same dates and the same ``created_at`` over and over)."""
    for position, name in enumerate(columns):
        process = _bind_processor(conn, table, name)
        if process is None:
            continue
        done: dict[Any, Any] = {}
        for row in rows:
            value = row[position]
            if value is not None:
                try:
                    row[position] = done[value]
                except KeyError:
                    row[position] = done[value] = process(value)


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[list[Any]],
    *,
    convert: bool = True,
) -> None:
    """Insert ``rows`` (lists of values in ``columns`` order; converted in place, unless
    ``convert`` is False: values already as stored, dates as ISO text, which both drivers take)."""
    if not rows:
        return
    if convert:
        _convert(conn, table, columns, rows)
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if conn.dialect.name == "postgresql":
        _copy(conn, f"COPY {quote(table.name)} ({names}) FROM STDIN", rows)
        return
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks(len(columns))})"
    conn.exec_driver_sql(adapt(conn, sql), [tuple(r) for r in rows])


def _copy(conn: Connection, statement: str, rows: list[list[Any]]) -> None:
    """Rows into PostgreSQL with COPY (five times faster than batches of INSERTs at 150,000
    rows), in the connection's transaction. A failure is raised as SQLAlchemy raises a failed
    statement's, and, as ``engine`` does for those, with only its first line: PostgreSQL names
    the row's values in the rest ("COPY assessment, line 3: ...")."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        exc.args = (str(exc).strip().splitlines()[0] if str(exc).strip() else "",)
        raise DBAPIError.instance(
            statement, None, exc, psycopg.Error, hide_parameters=True
        ) from None
    finally:
        cursor.close()


def bulk_update(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    key: str,
    rows: list[list[Any]],
    *,
    convert: bool = True,
) -> None:
    """Update rows by ``key``: each row holds the new ``columns`` values, then the key (see
    ``bulk_insert`` for ``convert``)."""
    if not rows:
        return
    if convert:
        _convert(conn, table, [*columns, key], rows)
    quote = conn.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(c)} = ?" for c in columns)
    sql = f"UPDATE {quote(table.name)} SET {assignments} WHERE {quote(key)} = ?"
    conn.exec_driver_sql(adapt(conn, sql), [tuple(r) for r in rows])
