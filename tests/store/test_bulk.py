"""Bulk inserts (of rows, or of rows given column by column) and updates convert typed values on
copies, a part at a time: every row arrives whole on both databases, and the caller's rows are
not changed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from followup.store import bulk
from followup.store.bulk import bulk_insert, bulk_insert_columns, bulk_update, columns_of
from followup.store.engine import read_session, write_session
from followup.store.models import Patient
from tests.conftest import make_context


def test_rows_sent_in_parts_arrive_whole(any_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "INSERT_ROWS", 2)
    at = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    columns = ["id", "name", "birth_date", "sex", "smoker", "created_at", "created_by"]
    rows = [
        (
            f"P{i}",
            f"Name {i}",
            date(1950 + i, 1 + i, 1),
            "F",
            i % 2 == 0 if i < 4 else None,
            at,
            "t",
        )
        for i in range(5)
    ]
    given = list(rows)
    updates = [[f"New {i}", date(1960, 1, 1 + i), f"P{i}"] for i in (4, 0, 2)]
    ctx = make_context(any_url)
    try:
        table = Patient.__table__  # type: ignore[attr-defined]
        with write_session(ctx.engine) as session:
            bulk_insert(session.connection(), table, columns, rows[:3])
            by_column = [list(values) for values in zip(*rows[3:], strict=True)]
            bulk_insert_columns(session.connection(), table, columns, by_column)
            bulk_update(session.connection(), table, ["name", "birth_date"], "id", updates)
        with read_session(ctx.engine) as session:
            stored = session.exec(  # type: ignore[call-overload]
                text("SELECT id, name, birth_date, smoker, created_at FROM patient ORDER BY id")
            ).all()
    finally:
        ctx.close()
    assert rows == given and updates[0] == ["New 4", date(1960, 1, 5), "P4"]
    assert [(r[0], r[1], str(r[2]), r[3]) for r in stored] == [
        ("P0", "New 0", "1960-01-01", True),
        ("P1", "Name 1", "1951-02-01", False),
        ("P2", "New 2", "1960-01-03", True),
        ("P3", "Name 3", "1953-04-01", False),
        ("P4", "New 4", "1960-01-05", None),
    ]
    assert len({str(r[4])[:16] for r in stored}) == 1


def test_rows_made_as_they_are_read_become_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "TRANSPOSE_ROWS", 2)
    rows = ((i, f"P{i}", None) for i in range(5))
    assert columns_of(rows, 3) == [[0, 1, 2, 3, 4], ["P0", "P1", "P2", "P3", "P4"], [None] * 5]
    assert columns_of([], 2) == [[], []]


def test_a_bulk_insert_outside_a_transaction_is_refused(tmp_path) -> None:
    # On SQLite the rows go to the driver's own cursor, which begins nothing: outside a
    # transaction each row would be committed alone, and a failure would leave some written.
    ctx = make_context(f"sqlite:///{tmp_path / 'f.db'}")
    try:
        with ctx.engine.connect() as conn:
            conn.rollback()  # nothing begun
            with pytest.raises(RuntimeError, match="inside a transaction"):
                bulk_insert(conn, Patient.__table__, ["id"], [("P1",)])  # type: ignore[attr-defined]
        with read_session(ctx.engine) as session:
            assert session.connection().execute(text("SELECT count(*) FROM patient")).scalar() == 0
    finally:
        ctx.close()
