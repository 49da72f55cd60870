"""The running installation: settings plus the one engine of this process, opened at start-up."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import Engine

from followup.domain.instrument import Instrument, load_instrument
from followup.domain.rule_file import load_rules
from followup.domain.rules import RuleSet
from followup.settings import Settings
from followup.store.engine import is_sqlite, make_engine
from followup.store.schema import ensure_schema


@dataclass
class Context:
    """What every use case needs: the engine, the clock and the clinic's configuration."""

    settings: Settings
    engine: Engine

    def now(self) -> datetime:
        """The clinic's clock now (frozen in tests)."""
        return self.settings.now()

    def today(self) -> date:
        """The clinic's today (frozen in tests)."""
        return self.settings.today()

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is an SQLite file (rather than PostgreSQL)."""
        return is_sqlite(self.engine)

    @cached_property
    def rules(self) -> RuleSet:
        """The rule set in force: the clinic's file over the defaults (read once)."""
        return load_rules(self.settings.rules_path)

    @cached_property
    def instrument(self) -> Instrument:
        """The questionnaire wording in force (read once)."""
        return load_instrument(self.settings.instrument_path)

    def close(self) -> None:
        """Close the database connections this context holds."""
        self.engine.dispose()


def open_context(settings: Settings, *, create: bool = False, check_schema: bool = True) -> Context:
    """Create the engine and check the schema; refuse an outdated one. Only ``create=True``
    (``followup init`` and ``followup demo``) makes a new database: every other caller is
    refused a SQLite file that does not exist, or an empty database, with a message naming it
    and the command that creates it."""
    engine = make_engine(settings.database_url, create=create)
    try:
        if check_schema:
            ensure_schema(engine, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Context(settings=settings, engine=engine)


def command_line_actor() -> str:
    """Who the command line acts as in the audit trail: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli:unknown"
