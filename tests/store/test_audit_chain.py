"""The audit trail is tamper-evident: each event's hash chains it to the one before, on SQLite
and PostgreSQL; editing or removing an event breaks the chain at a named ID, a missing or
disabled trigger is noticed, ``INSERT OR REPLACE`` (or an upsert) cannot overwrite an event,
simultaneous writers keep one chain, and the migration chains the events already stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from followup.services import audit
from followup.services.audit_check import restore_guards, verify_trail
from followup.services.context import Context
from followup.store.engine import write_session
from tests.conftest import FROZEN_NOW, make_context


def _write_events(ctx: Context, count: int, actor: str = "test") -> None:
    for i in range(count):
        with write_session(ctx.engine) as session:
            audit.record(
                session,
                at=FROZEN_NOW + timedelta(seconds=i),
                actor=actor,
                action="update",
                entity="patient",
                entity_id="P1",
                patient_id="P1",
                old={"phone": "1"},
                new={"phone": f"{i}"},
                reason="test",
            )


def _drop_trigger_sql(ctx: Context, name: str) -> str:
    return f"DROP TRIGGER {name}" + ("" if ctx.is_sqlite else " ON audit_event")


def test_the_demo_trail_verifies(any_ctx: Context) -> None:
    from followup.services.demo import load_demo

    load_demo(any_ctx, "test")
    verdict = verify_trail(any_ctx.engine)
    assert verdict.intact, verdict.lines()
    assert verdict.events >= 5
    assert verdict.lines()[0] == (
        f"audit trail intact: {verdict.events} events, chain verified, triggers present"
    )


def test_an_edited_event_breaks_the_chain_at_its_id(any_ctx: Context) -> None:
    _write_events(any_ctx, 5)
    with any_ctx.engine.begin() as conn:
        target = conn.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars().all()[2]
        update_guard = "audit_event_no_update" if any_ctx.is_sqlite else "audit_event_no_change"
        conn.execute(text(_drop_trigger_sql(any_ctx, update_guard)))
        conn.execute(text("UPDATE audit_event SET reason = 'quietly' WHERE id = :i"), {"i": target})
    verdict = verify_trail(any_ctx.engine)
    assert not verdict.intact
    assert verdict.broken_id == target
    assert verdict.guard_problems == {update_guard: "missing"}
    lines = verdict.lines()
    assert lines[0].startswith(f"audit trail broken at event {target}: ")
    assert "quietly" not in " ".join(lines) and "P1" not in " ".join(lines)
    # Restoring the trigger protects what is left; it does not make the edit unseen.
    assert restore_guards(any_ctx.engine) == [update_guard]
    verdict = verify_trail(any_ctx.engine)
    assert verdict.broken_id == target and not verdict.guard_problems


def test_a_removed_event_breaks_the_chain_at_the_next(ctx: Context) -> None:
    _write_events(ctx, 4)
    with ctx.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text("DELETE FROM audit_event WHERE id = 2"))
    assert verify_trail(ctx.engine).broken_id == 3


def test_an_event_cannot_be_overwritten_by_insert_or_replace_or_upsert(any_ctx: Context) -> None:
    _write_events(any_ctx, 2)
    columns = "(id, at, actor, action, entity, hash) VALUES (1, :at, 'forger', 'x', 'x', 'h')"
    statements = [
        f"INSERT INTO audit_event {columns} ON CONFLICT (id) DO UPDATE SET actor = 'forger'"
    ]
    if any_ctx.is_sqlite:
        statements += [
            f"INSERT OR REPLACE INTO audit_event {columns}",
            f"REPLACE INTO audit_event {columns}",
            f"INSERT INTO audit_event {columns} ON CONFLICT (id) DO NOTHING",
        ]
    with any_ctx.engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM audit_event ORDER BY id")).all()
    for statement in statements:
        with pytest.raises(Exception, match="append-only"):
            with any_ctx.engine.begin() as conn:
                conn.execute(text(statement), {"at": FROZEN_NOW})
    with any_ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM audit_event ORDER BY id")).all() == before
    assert verify_trail(any_ctx.engine).intact


def test_a_disabled_trigger_is_noticed_and_restored(pg_url: str) -> None:
    ctx = make_context(pg_url)
    try:
        with ctx.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
        assert verify_trail(ctx.engine).guard_problems == {"audit_event_no_truncate": "disabled"}
        assert restore_guards(ctx.engine) == ["audit_event_no_truncate"]
        assert verify_trail(ctx.engine).intact
    finally:
        ctx.close()


def test_simultaneous_writers_keep_one_chain(any_url: str) -> None:
    writers, each = 8, 15
    make_context(any_url).close()
    start = threading.Barrier(writers)

    def work(n: int) -> None:
        ctx = make_context(any_url)
        try:
            start.wait(timeout=60)
            _write_events(ctx, each, actor=f"writer{n}")
        finally:
            ctx.close()

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for future in [pool.submit(work, n) for n in range(writers)]:
            future.result(timeout=300)
    ctx = make_context(any_url)
    try:
        verdict = verify_trail(ctx.engine)
        assert verdict.intact, verdict.lines()
        assert verdict.events == writers * each
    finally:
        ctx.close()


def test_the_migration_chains_the_events_already_stored(sqlite_url: str) -> None:
    from alembic import command

    from followup.store.engine import make_engine
    from followup.store.schema import _config, upgrade

    engine = make_engine(sqlite_url, create=True)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0009")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, actor, action, entity, new) "
                    "VALUES (:at, 'cli:x', 'import', 'patients', :new)"
                ),
                {"at": f"2026-01-0{i + 1} 10:00:00.000000", "new": f'{{"rows": {i}}}'},
            )
    upgrade(engine)
    verdict = verify_trail(engine)
    assert verdict.intact, verdict.lines()
    assert verdict.events == 3
    engine.dispose()
