"""Schema lifecycle: create a missing database at the current schema, refuse to run on an older
one, and upgrade (after a backup, for SQLite) only when ``followup init`` asks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from followup.store.engine import CREATE_HINT, NoDatabase, describe, sqlite_path

# The newest migration. Checked against the migration scripts by a test; kept here so that every
# command can check the schema without loading Alembic (a fifth of start-up time).
HEAD_REVISION = "0011"


class SchemaError(RuntimeError):
    """The database is not at a schema this version of followup can use."""


def _config(connection=None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("followup.store") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The Alembic revision this version of followup expects the database to be at."""
    return HEAD_REVISION


def script_head_revision() -> str | None:
    """The newest revision among the migration scripts (what HEAD_REVISION must say)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, None when it has none."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_empty(engine: Engine) -> bool:
    """Whether the database has no tables yet."""
    return not inspect(engine).get_table_names()


def upgrade(engine: Engine) -> None:
    """Bring the database schema up to the latest migration, keeping its data.

    SQLite changes a table's constraints by copying it into a new table and dropping the old
    one, which foreign keys forbid while other tables refer to it; as SQLite's manual says for
    such changes, foreign keys are off during the migration (set outside its transaction, where
    the setting takes effect), and every reference is checked before it commits."""
    from alembic import command

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                command.upgrade(_config(conn), "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise SchemaError("the upgrade would break references between tables")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def ensure_schema(engine: Engine, *, create: bool = False) -> None:
    """Refuse a database at another revision. An empty one gets the schema when ``create`` says
    so (``followup init``, ``followup demo``, tests) and is refused otherwise."""
    if is_empty(engine):
        if not create:
            where = describe(engine.url.render_as_string(hide_password=False))
            raise NoDatabase(f"the database {where} is empty; {CREATE_HINT}")
        upgrade(engine)
        return
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError(
            "the database is not empty but has no followup schema version; "
            "is this a followup database?"
        )
    if current not in _known_revisions():
        raise SchemaError(
            f"the database schema ({current}) is newer than this version of followup; "
            "upgrade followup"
        )
    raise SchemaError(
        "the database schema is older than this version of followup; "
        "run `followup init` to upgrade it (a backup is taken first)"
    )


def init_schema(engine: Engine, url: str) -> tuple[str, Path | None]:
    """Create or upgrade the schema. Returns what was done and the backup file, if any."""
    if is_empty(engine):
        upgrade(engine)
        return "created", None
    current = current_revision(engine)
    if current == head_revision():
        return "up to date", None
    if current is None:
        raise SchemaError("the database is not empty but has no followup schema version")
    backup: Path | None = None
    path = sqlite_path(url)
    if path is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = path.with_name(f"{path.name}.before-upgrade-{stamp}")
        from followup.store.backup import sqlite_backup

        sqlite_backup(engine, backup)
    upgrade(engine)
    return "upgraded", backup
