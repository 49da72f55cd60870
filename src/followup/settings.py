"""Typed settings: database location, clock, rule and wording overrides, security timeouts.

Precedence for the database: ``--db`` > ``FOLLOWUP_DATABASE_URL`` > a file in the user data
directory. Other settings come from environment variables; tests pass Settings directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from platformdirs import user_data_dir

ENV_DATABASE_URL = "FOLLOWUP_DATABASE_URL"
# Flags shown with a full section and chart in one review packet: about what a weekly meeting
# can decide in an hour and a half (about 20 printed A4 pages, two or three knees a page).
PACKET_MAX_FLAGS = 60


def default_database_path() -> Path:
    """Where the database lives when none is given: the user's data directory."""
    return Path(user_data_dir("followup", appauthor=False)) / "followup.db"


def database_url(cli_value: str | None = None, environ: dict[str, str] | None = None) -> str:
    """Resolve the database URL; a bare path means a SQLite file. A relative SQLite path (a bare
    one or ``sqlite:///clinic.db``) is resolved against the current directory now, so every
    message names the file that is actually meant."""
    env = os.environ if environ is None else environ
    value = cli_value or env.get(ENV_DATABASE_URL) or str(default_database_path())
    if "://" in value:
        return _absolute_sqlite(value)
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def _absolute_sqlite(url: str) -> str:
    """``url`` with a relative SQLite file path made absolute; any other URL as it is."""
    prefix, sep, rest = url.partition(":///")
    if not sep or not prefix.startswith("sqlite") or rest.startswith("/"):
        return url
    path, query_sep, query = rest.partition("?")
    if not path or path == ":memory:" or path.startswith("file:"):
        return url
    return f"{prefix}:///{Path(path).expanduser().resolve()}{query_sep}{query}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _env_int(name: str, default: int) -> int:
    """A whole number from the environment, in ASCII digits (``int`` also takes "1_0")."""
    from followup.store.fields import whole_number

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return whole_number(raw.strip())
    except ValueError:
        raise SystemExit(f"followup: {name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Everything a run of followup needs to know from outside."""

    database_url: str
    clock: Callable[[], datetime] = field(default=_utc_now)
    rules_path: Path | None = None
    instrument_path: Path | None = None
    idle_lock_minutes: int = 10
    selfreport_idle_seconds: int = 120
    code_valid_days: int = 90
    code_max_failures: int = 5
    packet_max_flags: int = PACKET_MAX_FLAGS
    # `followup serve`: browser visits at once (each is one app process), new visits a minute
    # from one address, and wrong sign-ins in one visit before it ends (0: no limit, the
    # terminal kiosk; `serve` gives its visits SERVE_REFUSALS_PER_VISIT unless this is set).
    serve_max_sessions: int = 20
    serve_visits_per_minute: int = 10
    selfreport_refusals_per_visit: int = 0

    def now(self) -> datetime:
        """The current time (UTC, timezone-aware)."""
        return self.clock()

    def today(self) -> date:
        """The clinic's today. Dates in followup are calendar dates at the clinic."""
        return self.clock().astimezone().date()

    @classmethod
    def from_environment(cls, cli_db: str | None = None) -> Settings:
        """Settings from the command line's ``--db`` and the FOLLOWUP_* environment variables."""
        rules = os.environ.get("FOLLOWUP_RULES")
        wording = os.environ.get("FOLLOWUP_INSTRUMENT")
        return cls(
            database_url=database_url(cli_db),
            rules_path=Path(rules) if rules else None,
            instrument_path=Path(wording) if wording else None,
            idle_lock_minutes=_env_int("FOLLOWUP_IDLE_LOCK_MINUTES", 10),
            selfreport_idle_seconds=_env_int("FOLLOWUP_SELFREPORT_IDLE_SECONDS", 120),
            code_valid_days=_env_int("FOLLOWUP_CODE_VALID_DAYS", 90),
            packet_max_flags=_env_int("FOLLOWUP_PACKET_MAX_FLAGS", PACKET_MAX_FLAGS),
            serve_max_sessions=_env_int("FOLLOWUP_SERVE_MAX_SESSIONS", 20),
            serve_visits_per_minute=_env_int("FOLLOWUP_SERVE_VISITS_PER_MINUTE", 10),
            selfreport_refusals_per_visit=_env_int("FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT", 0),
        )
