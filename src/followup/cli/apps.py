"""Commands that open an app: the staff terminal UI, the patient kiosk, the kiosk served to
browsers. None of them creates a database: a path that does not exist is refused (the apps open
it with ``open_context``'s default, ``create=False``)."""

from __future__ import annotations

import argparse

from followup.cli.common import Command, UsageError, context, whole_argument
from followup.settings import Settings


def cmd_tui(args: argparse.Namespace) -> int:
    """`followup tui`: the staff terminal UI on the chosen database."""
    from followup.ui.staff.app import run

    return run(Settings.from_environment(args.db))


def cmd_selfreport(args: argparse.Namespace) -> int:
    """`followup selfreport`: the patient self-report kiosk, refused at once on a wrong database."""
    from followup.ui.kiosk.app import run

    # The kiosk opens the database once a patient signs in; refuse a wrong one here, before a
    # patient ever sees the screen.
    context(args).close()
    return run(Settings.from_environment(args.db))


def cmd_serve(args: argparse.Namespace) -> int:
    """`followup serve`: the self-report kiosk served to a browser on the given port."""
    from followup.ui.kiosk.serve import serve

    if not 0 < args.port < 65536:
        raise UsageError("--port must be 1-65535")
    return serve(Settings.from_environment(args.db), args.host, args.port)


def register(command: Command) -> None:
    """Add this module's commands to the parser."""
    command("tui", cmd_tui, "staff terminal UI (the default command)")
    command("selfreport", cmd_selfreport, "patient self-report kiosk in this terminal")
    p = command("serve", cmd_serve, "serve the patient self-report screen to web browsers")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=whole_argument, default=8000)
