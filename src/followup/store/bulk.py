"""Fast bulk reads and writes for whole-cohort work.

SQLAlchemy's per-row result and parameter processing costs more than the database's own work at
a million rows, so these go to the driver directly: plain tuples in, plain tuples out. Only the
columns whose type needs converting (dates, timestamps, booleans) are converted, once per value.
Statements are written with ``?`` placeholders and adapted to the driver's style.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
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


# Rows are turned into columns this many at a time: unpacking a million rows into one call of
# zip() would hold an iterator for each, and holding every row until the end would keep millions
# of containers alive, for the garbage collector to walk again and again.
TRANSPOSE_ROWS = 256


def columns_of(rows: Iterable[Iterable[Any]], width: int) -> list[list[Any]]:
    """``rows`` (each of ``width`` values) column by column; ``rows`` may be made as they are
    read, a few hundred at a time."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    rows = iter(rows)
    while part := list(itertools.islice(rows, TRANSPOSE_ROWS)):
        for column, values in zip(columns, zip(*part, strict=True), strict=True):
            column.extend(values)
    return columns


def _bind_processor(conn: Connection, table: Table, name: str) -> Any:
    """The dialect's converter for values of a column (None: taken as they are)."""
    return table.c[name].type._cached_bind_processor(conn.dialect)


def from_stored(conn: Connection, table: Table, name: str) -> Callable[[Any], Any]:
    """The converter of a column's value as the driver gives it (a date as SQLite's text) into
    the Python value (a date)."""
    process = table.c[name].type._cached_result_processor(conn.dialect, None)
    return process or _as_it_is


def _as_it_is(value: Any) -> Any:
    return value


def as_stored(conn: Connection, table: Table, name: str, value: Any) -> Any:
    """One value as the driver takes it for a column (a date or timestamp as SQLite's text)."""
    process = _bind_processor(conn, table, name)
    return value if process is None or value is None else process(value)


# Rows given as rows are converted this many at a time: a batch of a million rows is not copied
# whole, and each part is gone before the garbage collector's next pass.
INSERT_ROWS = 2000


class _Converter:
    """The typed columns of a statement (dates, timestamps, booleans) and the dialect's converter
    for each; a value is converted once (a batch repeats the same dates and the same
    ``created_at`` over and over)."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        self.typed = [
            (position, process, {None: None})
            for position, name in enumerate(columns)
            if (process := _bind_processor(conn, table, name)) is not None
            # SQLite's converter for a float column only makes a number a float: the driver
            # takes a Python number as it is, and the column stores it as a float.
            and not (conn.dialect.name == "sqlite" and _is_float(table, name))
        ]

    def columns(self, values: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """Columns of values as the driver takes them (new lists: ``values`` is left as is)."""
        converted = list(values)
        for position, process, done in self.typed:
            column = converted[position]
            for value in set(column).difference(done):
                done[value] = process(value)
            converted[position] = list(map(done.__getitem__, column))
        return converted

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple]:
        """Rows as tuples of values as the driver takes them."""
        if not self.typed:
            return [tuple(row) for row in rows]
        return list(zip(*self.columns(list(zip(*rows, strict=True))), strict=True))


def _is_float(table: Table, name: str) -> bool:
    from sqlalchemy import Float

    kind = table.c[name].type
    return isinstance(kind, Float) and not kind.asdecimal


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    convert: bool = True,
) -> None:
    """Insert ``rows`` (sequences of values in ``columns`` order, converted for the driver on the
    way, unless ``convert`` is False: values already as stored, dates as ISO text, which both
    drivers take). ``rows`` themselves are left as they are."""
    if not rows:
        return
    converter = _Converter(conn, table, columns if convert else ())
    parts = (converter.rows(part) for part in chunks(rows, INSERT_ROWS))
    _insert(conn, table, columns, itertools.chain.from_iterable(parts))


def bulk_insert_columns(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
    *,
    convert: bool = True,
) -> None:
    """``bulk_insert`` of rows given column by column (``values[i]`` holds ``columns[i]``):
    each typed column is converted whole, and the rows are made a part at a time."""
    if not values or not len(values[0]):
        return
    converter = _Converter(conn, table, columns if convert else ())
    _insert(conn, table, columns, zip(*converter.columns(values), strict=True))


def _insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterator[tuple]) -> None:
    """Insert ``rows`` (tuples ready for the driver), taken one by one as they are made."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if conn.dialect.name == "postgresql":
        _copy(conn, f"COPY {quote(table.name)} ({names}) FROM STDIN", rows)
        return
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks(len(columns))})"
    _execute_many(conn, adapt(conn, sql), rows)


def _execute_many(conn: Connection, statement: str, rows: Iterator[tuple]) -> None:
    """One statement for each of ``rows`` on the driver's cursor, in the connection's
    transaction: the driver reads the rows as they are made, so they are never all held at
    once. A failure is raised as SQLAlchemy raises a failed statement's, without the values."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    # The driver's cursor begins nothing (the engine leaves that to SQLAlchemy): outside a
    # transaction each row would be committed on its own, and a refused row would leave the
    # rows before it written.
    if not conn.in_transaction():
        raise RuntimeError("bulk inserts are made inside a transaction")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(statement, rows)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(
            statement, None, exc, sqlite3.Error, hide_parameters=True
        ) from None
    finally:
        cursor.close()


def _copy(conn: Connection, statement: str, rows: Iterator[tuple]) -> None:
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
    rows: Sequence[Sequence[Any]],
    *,
    convert: bool = True,
) -> None:
    """Update rows by ``key``: each row holds the new ``columns`` values, then the key (see
    ``bulk_insert`` for ``convert``)."""
    if not rows:
        return
    converter = _Converter(conn, table, [*columns, key] if convert else ())
    quote = conn.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(c)} = ?" for c in columns)
    sql = adapt(conn, f"UPDATE {quote(table.name)} SET {assignments} WHERE {quote(key)} = ?")
    for part in chunks(rows, INSERT_ROWS):
        conn.exec_driver_sql(sql, converter.rows(part))
