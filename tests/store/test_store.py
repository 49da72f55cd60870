"""The store on a temporary SQLite file and on PostgreSQL: schema creation through Alembic,
CHECK constraints, the append-only audit table, refusal of outdated schemas, SQLite pragmas."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from followup.cli import _database_error
from followup.services.context import open_context
from followup.settings import Settings
from followup.store.engine import make_engine, read_session, write_session
from followup.store.schema import SchemaError, ensure_schema, head_revision, init_schema
from tests.conftest import another_writer_can_begin, make_context

TABLES = {
    "site", "patient", "treatment", "assessment", "contact", "staff_user", "patient_code",
    "flag", "review_decision", "audit_event", "alembic_version",
}  # fmt: skip


def _insert_patient(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO patient (id, name, birth_date, created_at, created_by) "
            "VALUES ('P1', 'Test Person', :born, :now, 'test')"
        ),
        {"born": date(1960, 1, 1), "now": "2026-01-01 00:00:00"},
    )


def test_a_new_database_gets_the_current_schema(any_url: str) -> None:
    ctx = make_context(any_url)
    assert TABLES <= set(inspect(ctx.engine).get_table_names())
    with ctx.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
    ctx.close()


def test_migrated_schema_matches_the_models(any_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    ctx = make_context(any_url)
    with ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    ctx.close()
    assert diff == []


def test_audit_events_cannot_be_changed_or_deleted(any_url: str) -> None:
    ctx = make_context(any_url)
    with ctx.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (at, actor, action, entity) "
                "VALUES ('2026-01-01 00:00:00', 'x', 'create', 'patient')"
            )
        )
    for statement in ("UPDATE audit_event SET actor = 'y'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ctx.engine.begin() as conn:
                conn.execute(text(statement))
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_event")).scalars().all() == ["x"]
    ctx.close()


@pytest.mark.parametrize(
    "column, value",
    [("p1", 5), ("p1", -1), ("pain_nrs", 11), ("patient_global", 101), ("knee", "both"),
     ("source", "email"), ("total_score", 100.5)],
)  # fmt: skip
def test_check_constraints_back_every_range(any_url: str, column: str, value: object) -> None:
    ctx = make_context(any_url)
    with ctx.engine.begin() as conn:
        _insert_patient(conn)
    row = {
        "patient_id": "P1", "knee": "left", "assessed_on": date(2026, 1, 1), "source": "phone",
        "instrument_version": "v", "answered": 24, "imputed": 0, "entered_in_error": False,
        "created_at": "2026-01-01 00:00:00", "created_by": "t",
    }  # fmt: skip
    row[column] = value
    cols = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    with pytest.raises(IntegrityError):
        with ctx.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO assessment ({cols}) VALUES ({marks})"), row)
    ctx.close()


def test_error_messages_hide_parameters(any_url: str) -> None:
    """A refused write's messages must not carry the bound values (patient data): the engine
    hides SQL parameters, PostgreSQL's DETAIL line (the failing row) is cut, and the command
    line's one-line report shows neither. The secret is bound as a parameter, through the
    store's write session, in a row the database refuses (a sex outside the CHECK)."""
    secret = "Secret Name 7Q4"
    ctx = make_context(any_url)
    row = {"id": "P9", "name": secret, "birth": date(1960, 1, 1), "sex": "Q",
           "at": "2026-01-01 00:00:00", "by": "t"}  # fmt: skip
    try:
        with pytest.raises(IntegrityError) as info:
            with write_session(ctx.engine) as session:
                session.execute(
                    text(
                        "INSERT INTO patient (id, name, birth_date, sex, created_at, created_by) "
                        "VALUES (:id, :name, :birth, :sex, :at, :by)"
                    ),
                    row,
                )
    finally:
        ctx.close()
    error = info.value
    # The secret really went to the database as a parameter (so there was something to hide).
    assert error.params is not None and secret in str(error.params)
    for message in (str(error), repr(error), str(error.orig), _database_error(error)):
        assert secret not in message, message
    assert "hidden" in str(error)
    assert _database_error(error).startswith("database error (")


def test_a_refused_bulk_insert_names_no_values(any_url: str) -> None:
    """A bulk insert the database refuses (COPY on PostgreSQL) raises as any statement does,
    and its messages carry none of the row's values (PostgreSQL's COPY error names the line's
    values)."""
    from followup.store.bulk import bulk_insert
    from followup.store.models import Patient

    secret = "Secret Name 8R5"
    columns = ["id", "name", "birth_date", "sex", "created_at", "created_by"]
    row = ["P9", secret, date(1960, 1, 1), "Q", datetime(2026, 1, 1, tzinfo=UTC), "t"]
    ctx = make_context(any_url)
    try:
        with pytest.raises(IntegrityError) as info:
            with write_session(ctx.engine) as session:
                bulk_insert(session.connection(), Patient.__table__, columns, [row])  # type: ignore[attr-defined]
        with read_session(ctx.engine) as session:
            assert session.exec(text("SELECT count(*) FROM patient")).one()[0] == 0  # type: ignore[call-overload]
    finally:
        ctx.close()
    error = info.value
    for message in (str(error), repr(error), str(error.orig), _database_error(error)):
        assert secret not in message and "8R5" not in message, message
    assert _database_error(error).startswith("database error (")


def test_check_constraints_in_the_database_are_the_models(any_url: str) -> None:
    """The CHECK constraints a migrated database holds are exactly those derived from the
    models' field rules: each range is stated once, and the migrations agree with it."""
    from sqlalchemy import CheckConstraint, inspect
    from sqlmodel import SQLModel

    def normal(sql: object) -> str:
        return " ".join(str(sql).replace("(", " ").replace(")", " ").split()).lower()

    ctx = make_context(any_url)
    inspector = inspect(ctx.engine)
    for table in ("patient", "treatment", "assessment", "contact"):
        model = {
            c.name: normal(c.sqltext)
            for c in SQLModel.metadata.tables[table].constraints
            if isinstance(c, CheckConstraint)
        }
        stored = {c["name"]: normal(c["sqltext"]) for c in inspector.get_check_constraints(table)}
        assert set(model) == set(stored), table
        for name, sql in model.items():
            # PostgreSQL rewrites IN lists as = ANY (ARRAY[...]) and adds casts: compare the
            # values named rather than the spelling there.
            if ctx.engine.dialect.name == "sqlite":
                assert stored[name] == sql, name
            else:
                for word in sql.replace(",", " ").split():
                    if word.startswith("'") or word.replace(".", "").isdigit():
                        assert word.strip("'") in stored[name], (name, word)
    ctx.close()


def test_an_older_schema_is_refused_until_init_upgrades_it(any_url: str) -> None:
    ctx = make_context(any_url)
    with ctx.engine.begin() as conn:
        _insert_patient(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaError, match="newer"):
        ensure_schema(ctx.engine)
    # An older, known revision: simulate by pointing at the first revision when head moved on.
    with ctx.engine.begin() as conn:
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
    ensure_schema(ctx.engine)  # at head: fine
    what, _backup = init_schema(ctx.engine, any_url)
    assert what == "up to date"
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
    ctx.close()


def test_init_upgrades_a_0003_database_and_fills_in_search_names(any_url: str) -> None:
    from alembic import command

    from followup.services.find_patient import search_patients
    from followup.store.schema import _config

    engine = make_engine(any_url, create=True)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0003")
    names = ["José Muñoz", "Ahmet Çelik", "Halina Wójcik"]
    names += [f"Plain Person{i}" for i in range(len(names), 6000)]  # more than one batch
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patient (id, name, birth_date, created_at, created_by) "
                "VALUES (:id, :name, :born, :now, 'test')"
            ),
            [
                {"id": f"P{i:05d}", "name": name, "born": date(1960, 1, 1), "now": "2026-01-01"}
                for i, name in enumerate(names)
            ],
        )
    with pytest.raises(SchemaError, match="older"):
        ensure_schema(engine)
    what, _backup = init_schema(engine, any_url)
    assert what == "upgraded"
    engine.dispose()
    ctx = make_context(any_url)
    assert [h.name for h in search_patients(ctx, "jose munoz")] == ["José Muñoz"]
    assert [h.name for h in search_patients(ctx, "celik")] == ["Ahmet Çelik"]
    assert [h.id for h in search_patients(ctx, "person5999")] == ["P05999"]
    with ctx.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM patient WHERE search_name = ''")).scalar() == 0
        )
    ctx.close()


def test_a_foreign_database_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something (x int)"))
    engine.dispose()
    with pytest.raises(SchemaError, match="no followup schema"):
        open_context(Settings(database_url=f"sqlite:///{path}"))


def test_new_sqlite_file_is_private_and_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sub" / "f.db"
    ctx = make_context(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    ctx.close()


def test_writes_begin_immediate_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A write session holds SQLite's write lock from its first statement (BEGIN IMMEDIATE),
    a read does not: a deferred BEGIN that later writes fails under concurrency."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url, create=True)
    ensure_schema(engine, create=True)

    with write_session(engine) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        assert not another_writer_can_begin(url)
    assert another_writer_can_begin(url)
    with read_session(engine) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        assert another_writer_can_begin(url)
    engine.dispose()


def test_foreign_keys_are_enforced(any_url: str) -> None:
    ctx = make_context(any_url)
    with pytest.raises(IntegrityError):
        with ctx.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO contact (patient_id, contacted_at, outcome, created_at, "
                    "created_by) VALUES ('NOPE', '2026-01-01', 'reached', '2026-01-01', 't')"
                )
            )
    ctx.close()


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from followup.store.schema import HEAD_REVISION, script_head_revision

    assert script_head_revision() == HEAD_REVISION
