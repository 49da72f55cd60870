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

    ``public_url`` (default: ``FOLLOWUP_PUBLIC_URL``, else http://HOST:PORT) is the address
    browsers use; set it to the https:// address when a reverse proxy terminates TLS."""
    problem = check_database(settings)
    if problem is not None:
        print(f"followup: {problem}", file=sys.stderr)
        return 1
    from textual_serve.server import Server

    os.environ.update(selfreport_environment(settings))
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)
    server = Server(
        selfreport_command(),
        host=host,
        port=port,
        title=TITLE,
        public_url=public_url or os.environ.get(ENV_PUBLIC_URL) or None,
    )
    try:
        server.serve()
    except OSError as exc:  # most often: the port is already in use
        print(f"followup: cannot serve on {host}:{port} ({exc.strerror or exc})", file=sys.stderr)
        return 1
    return 0
