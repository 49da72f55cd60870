"""The triggers that keep ``audit_event`` append-only in the database itself, whatever client
writes to it: what they must be, which are missing or altered, and putting them back.

SQLite: UPDATE and DELETE are refused, and so is an INSERT that names an existing ID
(``INSERT OR REPLACE`` deletes the old row without firing delete triggers unless the connection
turned on ``recursive_triggers``; a BEFORE INSERT trigger runs before that deletion, always).
PostgreSQL: UPDATE, DELETE (hence ``INSERT ... ON CONFLICT DO UPDATE``) and TRUNCATE are
refused, and the triggers must be enabled.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

REFUSE = "SELECT RAISE(ABORT, 'audit_event is append-only')"
SQLITE_TRIGGERS = {
    "audit_event_no_update": (
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN {REFUSE}; END"
    ),
    "audit_event_no_delete": (
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN {REFUSE}; END"
    ),
    "audit_event_no_replace": (
        "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
        "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
        f"BEGIN {REFUSE}; END"
    ),
}
PG_FUNCTION = """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END $$"""
PG_TRIGGERS = {
    "audit_event_no_change": (
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        "BEFORE DELETE OR UPDATE ON",
    ),
    "audit_event_no_truncate": (
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
        "BEFORE TRUNCATE ON",
    ),
}


def _squeeze(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip().lower()


def _sqlite_problems(conn: Connection) -> dict[str, str]:
    found = dict(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'audit_event'"
        ).all()
    )
    problems = {}
    for name, sql in SQLITE_TRIGGERS.items():
        if name not in found:
            problems[name] = "missing"
        elif _squeeze(found[name]) != _squeeze(sql):
            problems[name] = "altered"
    return problems


def _pg_problems(conn: Connection) -> dict[str, str]:
    source = conn.exec_driver_sql(
        "SELECT prosrc FROM pg_proc WHERE proname = 'audit_event_append_only' "
        "AND pronamespace = current_schema()::regnamespace"
    ).scalar()
    function_ok = "raise exception 'audit_event is append-only'" in _squeeze(source)
    rows = conn.exec_driver_sql(
        "SELECT t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), p.proname "
        "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgrelid = to_regclass('audit_event') AND NOT t.tgisinternal"
    ).all()
    found = {r[0]: r[1:] for r in rows}
    problems = {}
    for name, (_sql, clause) in PG_TRIGGERS.items():
        if name not in found:
            problems[name] = "missing"
            continue
        enabled, definition, function = found[name]
        if enabled not in ("O", "A"):
            problems[name] = "disabled"
        elif clause not in definition or function != "audit_event_append_only":
            problems[name] = "altered"
        elif not function_ok:
            problems[name] = "its function audit_event_append_only was altered or removed"
    return problems


def guard_problems(conn: Connection) -> dict[str, str]:
    """Each protective trigger that is not as it must be, and why (missing, altered,
    disabled); empty when all are in place."""
    if conn.dialect.name == "sqlite":
        return _sqlite_problems(conn)
    return _pg_problems(conn)


def guard_names(conn: Connection) -> list[str]:
    """The protective triggers this database must have."""
    return list(SQLITE_TRIGGERS if conn.dialect.name == "sqlite" else PG_TRIGGERS)


def create_guards(conn: Connection, names: list[str] | None = None) -> None:
    """Create the named protective triggers (all by default), replacing any of the same name."""
    if conn.dialect.name == "sqlite":
        for name in names or list(SQLITE_TRIGGERS):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            conn.exec_driver_sql(SQLITE_TRIGGERS[name])
        return
    conn.exec_driver_sql(PG_FUNCTION)
    for name in names or list(PG_TRIGGERS):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_event")
        conn.exec_driver_sql(PG_TRIGGERS[name][0])


def drop_guards(conn: Connection) -> None:
    """Drop the protective triggers (for a migration that must rewrite the table)."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name in PG_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_event")


def restore_guards(conn: Connection) -> list[str]:
    """Put back every protective trigger that is missing, altered or disabled; returns their
    names (empty when all were in place)."""
    broken = sorted(guard_problems(conn))
    if broken:
        create_guards(conn, broken)
    return broken
