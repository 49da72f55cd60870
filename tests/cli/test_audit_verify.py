"""End-to-end: ``followup audit verify`` says the trail is intact (exit 0) or names the first
broken event or the missing trigger (exit 1), with no patient data; ``followup init`` on an
up-to-date database puts a missing trigger back and says so. Another client (the sqlite3
module) cannot overwrite an event with ``INSERT OR REPLACE``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.conftest import PG_ADMIN_URL

PG_ADMIN = PG_ADMIN_URL.replace("+psycopg", "")


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    path = str(tmp_path / "demo.db")
    done = run("demo", db=path)
    assert done.returncode == 0, done.stderr
    return path


def _intact(done) -> int:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("audit trail intact: ")
    assert first.endswith(" events, chain verified, triggers present")
    return int(first.split(": ")[1].split()[0])


def test_verify_then_a_dropped_trigger_is_named_and_init_restores_it(demo_db: str) -> None:
    events = _intact(run("audit", "verify", db=demo_db))
    assert events >= 5
    with sqlite3.connect(demo_db) as conn:
        conn.execute("DROP TRIGGER audit_event_no_delete")
    done = run("audit", "verify", db=demo_db)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"followup: audit trail chain verified: {events} events\n"
        "followup: audit trail unprotected: trigger audit_event_no_delete is missing; "
        "run `followup init` to restore it"
    )
    done = run("init", db=demo_db, stdin="")
    assert done.returncode == 0, done.stderr
    assert "database up to date" in done.stdout
    assert "restored the audit trail's protective triggers: audit_event_no_delete" in done.stdout
    assert _intact(run("audit", "verify", db=demo_db)) == events
    assert "restored" not in run("init", db=demo_db).stdout


def test_an_edited_event_is_named_by_id_without_its_contents(demo_db: str) -> None:
    with sqlite3.connect(demo_db) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE id = 3")
        names = [r[0] for r in conn.execute("SELECT name FROM patient")]
    done = run("audit", "verify", db=demo_db)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("followup: audit trail broken at event 3: ")
    assert "trigger audit_event_no_update is missing" in lines[1]
    assert done.stdout == ""
    assert not any(name in done.stderr for name in names)
    assert "someone else" not in done.stderr


def test_insert_or_replace_from_another_client_is_refused(demo_db: str) -> None:
    with sqlite3.connect(demo_db) as conn:
        before = conn.execute("SELECT * FROM audit_event WHERE id = 2").fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(
                "INSERT OR REPLACE INTO audit_event (id, at, actor, action, entity) "
                "VALUES (2, '2026-01-01 00:00:00', 'forger', 'x', 'x')"
            )
        conn.rollback()
        assert conn.execute("SELECT * FROM audit_event WHERE id = 2").fetchone() == before
    _intact(run("audit", "verify", db=demo_db))


@pytest.mark.postgres
def test_verify_and_restore_on_postgresql(pg_url: str) -> None:
    import psycopg

    assert run("init", db=pg_url).returncode == 0
    assert _intact(run("audit", "verify", db=pg_url)) == 0
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
    done = run("audit", "verify", db=pg_url)
    assert done.returncode == 1
    assert "trigger audit_event_no_change is disabled" in done.stderr
    done = run("init", db=pg_url)
    assert "restored the audit trail's protective triggers: audit_event_no_change" in done.stdout
    _intact(run("audit", "verify", db=pg_url))


@pytest.mark.postgres
def test_a_runtime_role_can_add_events_but_not_rewrite_or_unprotect_them(pg_url: str) -> None:
    import uuid

    import psycopg
    from sqlalchemy import text

    from followup.services.audit import committed_mark
    from followup.store.engine import write_session
    from tests.conftest import make_context
    from tests.store.test_audit_chain import _write_events

    role = f"followup_runtime_{uuid.uuid4().hex[:8]}"
    owner = pg_url.replace("+psycopg", "")
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
    try:
        assert run("init", "--runtime-role", "nobody_such_role", db=pg_url).returncode == 1
        done = run("init", "--runtime-role", role, db=pg_url)
        assert done.returncode == 0, done.stderr
        assert f"role {role!r} may read and write the records" in done.stdout
        runtime_url = pg_url.replace("postgres@", f"{role}@")
        ctx = make_context(runtime_url)
        try:
            _write_events(ctx, 3)
            assert committed_mark(ctx.engine) == 3
            for statement in (
                "UPDATE audit_event SET actor = 'x'",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
                "ALTER TABLE audit_event DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_event_no_change ON audit_event",
            ):
                with pytest.raises(Exception, match="permission denied|must be owner"):
                    with write_session(ctx.engine) as session:
                        session.execute(text(statement))
        finally:
            ctx.close()
        _intact(run("audit", "verify", db=runtime_url))
    finally:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
