"""Shared fixtures: contexts on a temporary SQLite file or a throwaway PostgreSQL database, a
frozen clock, and a demo-loaded database copied per test.

PostgreSQL tests run against 127.0.0.1:5432 (user postgres, trust auth). They skip when the
server is unreachable, except under CI=true, where they must run and fail loudly instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from followup.services.context import Context, open_context
from followup.settings import Settings

# The demo cohort's anchor date: with the clock here, the demo's dates are not shifted.
FROZEN_NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
PG_ADMIN_URL = os.environ.get(
    "FOLLOWUP_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def frozen_clock(now: datetime = FROZEN_NOW) -> Callable[[], datetime]:
    return lambda: now


def make_context(url: str, now: datetime = FROZEN_NOW, **settings: object) -> Context:
    """A context on ``url``, created if new (the fixtures' databases start empty)."""
    return open_context(
        Settings(database_url=url, clock=frozen_clock(now), **settings),  # type: ignore[arg-type]
        create=True,
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'followup.db'}"


@pytest.fixture
def ctx(sqlite_url: str) -> Iterator[Context]:
    context = make_context(sqlite_url)
    yield context
    context.close()


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway database for this test session; its URL without a database name suffix."""
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable, and CI=true requires it")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    import psycopg

    created: list[str] = []
    admin = PG_ADMIN_URL.replace("+psycopg", "")

    def new_database() -> str:
        name = f"followup_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield new_database  # type: ignore[misc]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database for one test (dropped at the end of the session)."""
    return pg_server()  # type: ignore[operator]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a store test on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'followup.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_ctx(any_url: str) -> Iterator[Context]:
    context = make_context(any_url)
    yield context
    context.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the demo loaded and flags evaluated at FROZEN_NOW, built once."""
    from followup.services.demo import load_demo
    from followup.services.evaluate_flags import evaluate_cohort

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    context = make_context(f"sqlite:///{path}")
    load_demo(context, "test")
    evaluate_cohort(context)
    context.close()
    return path


@pytest.fixture
def demo_ctx(demo_template: Path, tmp_path: Path) -> Iterator[Context]:
    """A private copy of the demo database for one test."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    context = make_context(f"sqlite:///{path}")
    yield context
    context.close()


@pytest.fixture
def today() -> date:
    return FROZEN_NOW.date()


def another_writer_can_begin(url: str) -> bool:
    """Whether another connection could begin writing to ``url``'s SQLite file right now (it
    does not wait): False while someone holds the write lock."""
    import sqlite3

    from followup.store.engine import sqlite_path

    other = sqlite3.connect(sqlite_path(url), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


class WriteLockHolder:
    """Another writer on a SQLite database (as a bulk import's write phase is): holds the write
    lock from ``hold()`` until ``release()``."""

    def __init__(self, url: str) -> None:
        import sqlite3

        from followup.store.engine import sqlite_path

        self._conn = sqlite3.connect(
            sqlite_path(url), isolation_level=None, check_same_thread=False
        )

    def hold(self) -> WriteLockHolder:
        self._conn.execute("BEGIN IMMEDIATE")
        return self

    def release(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self.release()
        self._conn.close()


@pytest.fixture
def write_lock_holder(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[Context], WriteLockHolder]]:
    """``write_lock_holder(ctx).hold()``: another writer on ``ctx``'s SQLite file."""
    holders: list[WriteLockHolder] = []

    def make(ctx: Context) -> WriteLockHolder:
        holder = WriteLockHolder(ctx.settings.database_url)
        holders.append(holder)
        return holder

    yield make
    for holder in holders:
        holder.close()
