"""``followup serve``: the self-report app in a web browser through textual-serve.

textual-serve starts one process of the self-report app per browser visitor and relays the
screen over a websocket. Each process gets the same settings as this one through environment
variables (the database URL among them: an environment variable, unlike a ``--db`` argument,
keeps a PostgreSQL password out of the process list)."""

from __future__ import annotations

import os
import shlex
import sys

from sqlalchemy.exc import SQLAlchemyError

from followup.domain.instrument import InstrumentError
from followup.errors import FollowupError
from followup.services.context import open_context
from followup.settings import ENV_DATABASE_URL, Settings
from followup.store.schema import SchemaError

ENV_PUBLIC_URL = "FOLLOWUP_PUBLIC_URL"
TITLE = "Knee questionnaire"
# Wrong sign-ins a browser visit allows before it ends: a new visit costs one of the address's
# visits a minute, so together they bound the guesses from one address.
SERVE_REFUSALS_PER_VISIT = 3


def selfreport_command() -> str:
    """The shell command textual-serve runs for every visitor."""
    return f"{shlex.quote(sys.executable)} -m followup.ui.kiosk"


def selfreport_environment(settings: Settings) -> dict[str, str]:
    """Environment variables that give a child process these settings."""
    env = {
        ENV_DATABASE_URL: settings.database_url,
        "FOLLOWUP_SELFREPORT_IDLE_SECONDS": str(settings.selfreport_idle_seconds),
        "FOLLOWUP_CODE_VALID_DAYS": str(settings.code_valid_days),
        "FOLLOWUP_IDLE_LOCK_MINUTES": str(settings.idle_lock_minutes),
        "FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT": str(
            settings.selfreport_refusals_per_visit or SERVE_REFUSALS_PER_VISIT
        ),
    }
    if settings.rules_path is not None:
        env["FOLLOWUP_RULES"] = str(settings.rules_path)
    if settings.instrument_path is not None:
        env["FOLLOWUP_INSTRUMENT"] = str(settings.instrument_path)
    return env


def check_database(settings: Settings) -> str | None:
    """Open the database once before serving; a message if that fails, else None."""
    try:
        ctx = open_context(settings)
        try:
            ctx.instrument  # noqa: B018 - a broken wording file should stop start-up too
        finally:
            ctx.close()
    except (FollowupError, SchemaError, InstrumentError) as exc:
        return str(exc)
    except (SQLAlchemyError, OSError) as exc:
        return f"cannot open the database ({type(exc).__name__})"
    return None


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, public_url: str | None = None
) -> int:
    """Serve the self-report app on http://HOST:PORT until stopped (Ctrl+C or SIGTERM).

    ``public_url`` (default: ``FOLLOWUP_PUBLIC_URL``) is the address browsers use; set it to
    the https:// address when a reverse proxy terminates TLS. Without it the page and its
    websocket use whatever address the browser asked for."""
    problem = check_database(settings)
    if problem is not None:
        print(f"followup: {problem}", file=sys.stderr)
        return 1
    from followup.ui.kiosk.web import SelfReportServer

    os.environ.update(selfreport_environment(settings))
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)
    server = SelfReportServer(
        selfreport_command(),
        host=host,
        port=port,
        title=TITLE,
        public_url=public_url or os.environ.get(ENV_PUBLIC_URL) or None,
        max_sessions=settings.serve_max_sessions,
        visits_per_minute=settings.serve_visits_per_minute,
    )
    try:
        server.serve()
    except OSError as exc:  # most often: the port is already in use
        print(f"followup: cannot serve on {host}:{port} ({exc.strerror or exc})", file=sys.stderr)
        return 1
    return 0
