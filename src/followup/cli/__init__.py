"""The command line (DESIGN.md section 6). Exit 0 on success, 1 on invalid input or a refused
action (with a message naming the file, line and column), 2 on usage errors. No traceback ever
reaches the user, and error messages carry no patient data.

Each module adds its own commands (``register``): records (init, demo, import, export, audit,
backup), routine (due, flags, decide, review), people (patient), staff (user, site), apps (tui,
selfreport, serve).
"""

from __future__ import annotations

import argparse
import errno
import logging
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from followup import __version__
from followup.cli import apps, outcomes, people, records, routine, staff, treatments
from followup.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Handler,
    UsageError,
    err,
    err_lines,
    not_empty,
)
from followup.errors import FollowupError, InvalidInput
from followup.settings import database_url
from followup.store.engine import BUSY_TIMEOUT_MS, describe, when_a_write_waits
from followup.store.schema import SchemaError

WAITING = (
    "waiting for the database: another save or an import is writing; this goes ahead as soon "
    f"as it is free (giving up after {BUSY_TIMEOUT_MS // 1000} s)"
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, every module's commands added."""
    parser = argparse.ArgumentParser(
        prog="followup",
        description="Outcome follow-up tracker for regenerative knee osteoarthritis treatments.",
    )
    parser.add_argument("--version", action="version", version=f"followup {__version__}")
    parser.add_argument(
        "--db",
        type=not_empty,
        metavar="URL_OR_PATH",
        help="SQLite file or SQLAlchemy URL (overrides FOLLOWUP_DATABASE_URL)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="act as this staff member (patient, user and site commands; the password is "
        "asked for, or read from the first line of standard input)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    def group(name: str, help_text: str) -> Command:
        actions = sub.add_parser(name, help=help_text, description=help_text).add_subparsers(
            dest=f"{name}_command", metavar="ACTION", required=True
        )

        def action(verb: str, handler: Handler, verb_help: str) -> argparse.ArgumentParser:
            p = actions.add_parser(verb, help=verb_help, description=verb_help)
            p.set_defaults(handler=handler)
            return p

        return action

    records.register(command)
    apps.register(command)
    routine.register(command)
    outcomes.register(command)
    people.register(group)
    staff.register(group)
    treatments.register(group)
    return parser


def _database_error(exc: SQLAlchemyError) -> str:
    """Describe a database failure without SQL parameters (they may hold patient data)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return f"database error ({type(exc.orig).__name__}): {first_line}"
    return f"database error ({type(exc).__name__})"


def _database_named(cli_db: str | None) -> str:
    """Which database a failure is in (the file, or the URL without its password), for a
    message the database itself words without it ("attempt to write a readonly database")."""
    try:
        return f" (database {describe(database_url(cli_db))})"
    except Exception:  # noqa: BLE001 - a URL too malformed to describe: the message goes without
        return ""


def _say_when_waiting(waiting: bool) -> None:
    if waiting:
        err(WAITING)


# Libraries' own log records must not reach the terminal: with nothing set up, Python prints
# warnings and errors there, and SQLAlchemy's pool reports a rollback cut short by Ctrl+C with a
# whole traceback. The failure itself is reported by ``main``, in one line without patient data.
_NO_LIBRARY_OUTPUT = logging.NullHandler()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the followup command line: parse the arguments, run the command, return the exit code."""
    logging.getLogger().addHandler(_NO_LIBRARY_OUTPUT)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        args.handler = apps.cmd_tui
    try:
        with when_a_write_waits(_say_when_waiting):
            return args.handler(args)
    except InvalidInput as exc:
        err(f"nothing was imported or changed; {exc.total} problem(s) found:")
        err_lines(exc.render())
        return EXIT_INVALID
    except (FollowupError, SchemaError) as exc:
        err(str(exc))
        return EXIT_INVALID
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        err(_database_error(exc) + _database_named(args.db))
        return EXIT_INVALID
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never show a traceback (it may hold patient data)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            err(f"disk full: cannot write {exc.filename or 'the output'}")
        else:
            name = type(exc).__name__
            err(f"internal error ({name}); nothing more is shown to protect patient data")
        return EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
