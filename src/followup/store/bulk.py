"""Fast bulk inserts: one driver-level executemany of plain tuples.

SQLAlchemy's per-row parameter processing costs more than SQLite's own insert; here only the
columns whose type needs conversion (dates, timestamps, booleans) are converted, once per value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[list[Any]]
) -> None:
    """Insert ``rows`` (lists of values in ``columns`` order; converted in place)."""
    if not rows:
        return
    dialect = conn.dialect
    for position, name in enumerate(columns):
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is None:
            continue
        for row in rows:
            value = row[position]
            if value is not None:
                row[position] = process(value)
    quote = dialect.identifier_preparer.quote
    marks = _placeholders(dialect.paramstyle, len(columns))
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES ({marks})"
    )
    conn.exec_driver_sql(sql, [tuple(r) for r in rows])


def _placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle in ("format", "pyformat"):
        return ", ".join(["%s"] * count)
    if paramstyle == "numeric":
        return ", ".join(f":{i + 1}" for i in range(count))
    raise NotImplementedError(f"paramstyle {paramstyle}")
