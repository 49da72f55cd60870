"""One engine per process, built from settings at start-up (never at import time).

SQLite: WAL so a coordinator and a self-reporting patient can write at once, foreign keys on, a
busy timeout, and write transactions that start with ``BEGIN IMMEDIATE`` (a deferred BEGIN that
later writes fails with "database is locked" under concurrency, whatever the timeout).
``hide_parameters=True`` keeps patient data out of SQL error messages.

A write that cannot start at once on SQLite (another writer holds the lock: a bulk import's write
phase, say) waits up to the busy timeout. Whoever started it can ask to hear when that happens
(``when_a_write_waits``), so a person saving a form is told their save is waiting, not left
looking at a frozen screen; on PostgreSQL writers on different patients do not queue.

Only the commands that create a database (``followup init`` and ``followup demo``) ask for a
missing SQLite file to be created (``create=True``): a mistyped ``--db`` path must not quietly
start an empty clinic next to the real one.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlmodel import Session

from followup.errors import FollowupError

BUSY_TIMEOUT_MS = 15_000
# A write still waiting for the lock after this long is announced to the listener, if any.
WAIT_NOTICE_MS = 400
# Who hears of writes that wait (one per process: the running app or command); see
# when_a_write_waits.
_listeners: list[Callable[[bool], None]] = []
CREATE_HINT = "create it with 'followup init' (or 'followup demo' for the demo clinic)"
POSTGRES_DRIVER_HINT = (
    "the PostgreSQL driver is not installed; install it with pip install 'followup[postgres]'"
)


class NoDatabase(FollowupError):
    """The database named does not exist, and this command does not create one."""


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """Whether an engine or database URL is SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory and other databases."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def describe(url: str) -> str:
    """The database as messages name it: a SQLite file's path, or the URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


# The first bytes of every SQLite database file (an empty file is a database not made yet).
SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_what_is_no_database(path: Path) -> None:
    """A folder or a file of another kind given as the database is refused by its name: SQLite
    says only "unable to open database file" or "file is not a database", naming neither, and
    ``init`` must not write a database into somebody's document."""
    if path.is_dir():
        raise FollowupError(f"{path} is a folder, not a database file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FollowupError(f"cannot open the database {path}: {exc.strerror}") from None
    if head and head != SQLITE_HEADER:
        raise FollowupError(f"{path} is not a database file (not SQLite)")


def _prepare_sqlite_file(path: Path) -> None:
    """Create a new database file readable by its owner only: it holds patient data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_engine(url: str, *, create: bool = False) -> Engine:
    """Create the process's engine for a SQLAlchemy URL. A missing SQLite file is created only
    when ``create`` says so; otherwise it is refused, naming the file."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            if not create and not path.exists():
                raise NoDatabase(f"no database at {path}; {CREATE_HINT}")
            _refuse_what_is_no_database(path)
            _prepare_sqlite_file(path)
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _install_sqlite_hooks(engine)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        engine = create_engine(url, hide_parameters=True, pool_pre_ping=True)
    except ImportError as exc:  # the URL's driver is not installed
        if url.startswith("postgresql"):
            raise FollowupError(POSTGRES_DRIVER_HINT) from None
        raise FollowupError(f"the database driver is not installed ({exc.name})") from None
    event.listen(engine, "handle_error", _without_row_values)
    return engine


def _without_row_values(context: ExceptionContext) -> None:
    """PostgreSQL explains a refused row in the error's DETAIL with the row's values ("Failing
    row contains (P9, <the patient's name>, ...)"): patient data. Keep only the first line, which
    names the constraint, so no message, log or screen can show them."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and "\n" in str(error.args[0]):
            error.args = (str(error.args[0]).splitlines()[0], *error.args[1:])


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if not conn.get_execution_options().get("followup_write"):
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA busy_timeout=0")  # the waiting is _begin_write's
        try:
            if not _begin_write(raw):
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # one last try: "database is locked"
        finally:
            raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _begin_write(raw: sqlite3.Connection) -> bool:
    """Begin a write transaction, waiting up to the busy timeout for another writer; False (no
    transaction) when it never got the lock.

    SQLite's own busy handler backs off to 100 ms sleeps, so under many writers a long waiter
    keeps losing the lock to newcomers that try every millisecond or two, and a save can wait
    seconds while others go through. Here every waiter tries again every 1-3 ms however long
    it has waited, which shares the lock out evenly. A listener (``when_a_write_waits``) hears
    when the wait passes WAIT_NOTICE_MS and when it ends. The connection's busy timeout must
    be 0 meanwhile."""
    start = time.monotonic()
    listener = None
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            waited = time.monotonic() - start
            if waited * 1000 >= BUSY_TIMEOUT_MS:
                return False
            if listener is None and waited * 1000 >= WAIT_NOTICE_MS and _listeners:
                listener = _listeners[-1]
                listener(True)
            time.sleep(random.uniform(0.001, 0.003))
    finally:
        if listener is not None:
            listener(False)


@contextmanager
def when_a_write_waits(listener: Callable[[bool], None]) -> Iterator[None]:
    """While the block runs (in any thread of this process), a write transaction that has
    waited WAIT_NOTICE_MS for another writer calls ``listener(True)``, goes on waiting (up to
    the busy timeout), then calls ``listener(False)`` whether it got the lock or gave up. The
    calls come from the waiting thread. The innermost block's listener is the one called."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short session for reading; nothing it does is committed."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A short write transaction (``BEGIN IMMEDIATE`` on SQLite); commits on success, rolls back
    on any error."""
    bind = engine.execution_options(followup_write=True)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
