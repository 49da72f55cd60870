"""PostgreSQL roles: the database's owner runs ``followup init`` (migrations, triggers); the
clinic's programs connect as a separate runtime role that may read and write the clinical tables
but only INSERT and SELECT on ``audit_event``. Not owning the table, it can neither drop nor
disable the triggers, and with no UPDATE, DELETE or TRUNCATE right it cannot rewrite an event
even if they were gone."""

from __future__ import annotations

from sqlalchemy import Connection

from followup.errors import FollowupError


def grant_runtime_role(conn: Connection, role: str) -> None:
    """Give an existing role the runtime rights on this database's tables and sequences (as
    they are now: run it again after an upgrade adds a table)."""
    if conn.dialect.name != "postgresql":
        raise FollowupError("--runtime-role is for PostgreSQL; a SQLite file has no roles")
    row = conn.exec_driver_sql(
        "SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", (role,)
    ).first()
    if row is None:
        raise FollowupError(
            f"no PostgreSQL role {role!r}; create it first (CREATE ROLE {role} LOGIN PASSWORD ...)"
        )
    if row[0] or row[1]:
        raise FollowupError(
            f"the runtime role {role!r} must be another role than the owner, and not a superuser"
        )
    q = conn.dialect.identifier_preparer.quote
    who = q(role)
    database = q(conn.exec_driver_sql("SELECT current_database()").scalar_one())
    schema = q(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
    for statement in (
        f"GRANT CONNECT ON DATABASE {database} TO {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM {who}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {who}",
    ):
        conn.exec_driver_sql(statement)
