"""The command line (DESIGN.md section 6). Exit 0 on success, 1 on invalid input or a refused
action (with a message naming the file, line and column), 2 on usage errors. No traceback ever
reaches the user, and error messages carry no patient data."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from followup import __version__
from followup.errors import FollowupError, InvalidInput
from followup.services.context import Context, command_line_actor, open_context
from followup.settings import Settings
from followup.store.schema import SchemaError

if TYPE_CHECKING:  # the services a command needs are imported when it runs
    from followup.services.call_list import DueItem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command was called the wrong way (exit 2)."""


def _out(text: str = "") -> None:
    print(text, flush=True)


def _out_lines(lines: Iterable[str]) -> None:
    """Many lines written at once (a whole cohort's flags or calls: one write per line took a
    large share of the command's time)."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _err(text: str) -> None:
    print(f"followup: {text}", file=sys.stderr, flush=True)


def _context(args: argparse.Namespace, *, check_schema: bool = True) -> Context:
    return open_context(Settings.from_environment(args.db), check_schema=check_schema)


def _print_json(value: Any) -> None:
    # orjson: a whole cohort's flags are tens of megabytes; the standard encoder took seconds.
    sys.stdout.flush()
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str) + b"\n")
    sys.stdout.buffer.flush()


def _read_password(prompt: str = "Password") -> str:
    """Ask twice on a terminal; read two lines from standard input otherwise."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass(f"{prompt} (again): ")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n")
    if not first:
        raise FollowupError("no password given")
    if first != second:
        raise FollowupError("the two passwords do not match")
    return first


# --- commands ---------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from followup.services.staff import add_user, has_admin
    from followup.store.schema import init_schema

    ctx = _context(args, check_schema=False)
    what, backup = init_schema(ctx.engine, ctx.settings.database_url)
    _out(f"database {what}")
    if backup is not None:
        _out(f"backup of the previous database: {backup}")
    if has_admin(ctx):
        return EXIT_OK
    if not sys.stdin.isatty() and args.admin is None:
        _out("no admin account yet: create one with `followup user add NAME --role admin`")
        return EXIT_OK
    name = args.admin or "admin"
    _out(f"creating the first admin account {name!r}")
    add_user(ctx, name, _read_password(), "admin", command_line_actor())
    _out(f"admin {name!r} created")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from followup.services.demo import load_demo

    ctx = _context(args)
    result = load_demo(ctx, command_line_actor())
    if result.already_loaded:
        _out("demo data already loaded; nothing imported")
    else:
        sign = "+" if result.shift_days >= 0 else ""
        _out(f"demo data loaded (dates shifted by {sign}{result.shift_days} days to today):")
        for kind, count in result.loaded.items():
            if kind != "patients in database":
                _out(f"  {count:6d} {kind}")
        _out(f"  {result.flags:6d} open flags raised (see `followup flags`)")
    _out("demo staff accounts (for trying followup only):")
    for username, password, role in result.accounts:
        _out(f"  {role:12s} user {username!r} password {password!r}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from followup.services.importing import import_file

    ctx = _context(args)
    result = import_file(ctx, args.kind, Path(args.file), command_line_actor())
    _out(result.describe())
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from followup.services.exporting import export, open_output

    ctx = _context(args)
    out = Path(args.out) if args.out else None
    with open_output(out, sys.stdout) as fh:
        count = export(ctx, args.kind, args.format, fh)
    if out is not None:
        _out(f"exported {count} {args.kind} to {out}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from followup.services.audit import list_events

    ctx = _context(args)
    events = list_events(ctx.engine, args.patient)
    if args.json:
        _print_json([e.as_json() for e in events])
        return EXIT_OK
    if not events:
        _out("no audit events")
    for e in events:
        what = f"{e.entity} {e.entity_id}" if e.entity_id else e.entity
        line = f"{e.at.isoformat(timespec='seconds')}  {e.user:20s} {e.action:22s} {what}"
        if e.reason:
            line += f"  reason: {e.reason}"
        _out(line)
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from followup.store.backup import sqlite_backup

    ctx = _context(args)
    if not ctx.is_sqlite:
        raise FollowupError(
            "followup backup copies SQLite databases; back up PostgreSQL with pg_dump"
        )
    target = Path(args.file)
    if target.resolve() == Path(ctx.engine.url.database or "").resolve():
        raise FollowupError("the backup file must not be the database itself")
    sqlite_backup(ctx.engine, target)
    _out(f"backup written to {target}")
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    from followup.services.staff import add_user

    ctx = _context(args)
    member = add_user(
        ctx, args.name, _read_password(), args.role, command_line_actor(), site_id=args.site
    )
    _out(f"{member.role} {member.username!r} created")
    return EXIT_OK


def cmd_patient_code(args: argparse.Namespace) -> int:
    from followup.services.patient_codes import issue_code

    ctx = _context(args)
    issued = issue_code(ctx, args.patient_id, command_line_actor())
    _out(f"new self-report code for {issued.patient_id} (valid until {issued.expires_at};")
    _out("any earlier code no longer works):")
    _out(issued.code)
    return EXIT_OK


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r} is not a date like 2026-11-21") from None


def cmd_due(args: argparse.Namespace) -> int:
    from followup.services.call_list import due_list

    if args.days < 0:
        raise UsageError("--days must be 0 or more")
    ctx = _context(args)
    as_of = _as_of(args.as_of) or ctx.today()
    items = due_list(ctx, as_of, args.days)
    if args.json:
        _print_json([i.as_json() for i in items])
        return EXIT_OK
    if not items:
        _out(f"nothing due within {args.days} days of {as_of.isoformat()}, nothing overdue")
        return EXIT_OK
    _out(f"{len(items)} call(s) as of {as_of.isoformat()} (next {args.days} days and overdue):")
    _out_lines(_call_lines(items))
    return EXIT_OK


def _call_lines(items: Iterable[DueItem]) -> Iterator[str]:
    # Tens of thousands of calls share a few hundred days and one local time per time zone:
    # each is formatted once.
    iso: dict[date, str] = {}
    # Keyed by zone: aware datetimes of one instant compare equal whatever their zone.
    local: dict[str | None, str] = {}
    for i in items:
        days = []
        for day in (i.due_on, i.window_start, i.window_end):
            text = iso.get(day)
            if text is None:
                text = iso[day] = day.isoformat()
            days.append(text)
        here = local.get(i.timezone)
        if here is None:
            at = i.patient_local_time
            here = local[i.timezone] = at.strftime("%a %H:%M") if at else "?"
        hour = "" if i.decent_hour else " (outside 9-20 there)"
        yield (
            f"  {i.status:8s} {i.patient_id:10s} {i.knee:5s} {i.timepoint:4s} due {days[0]} "
            f"window {days[1]}..{days[2]}  local {here} {i.timezone or ''}{hour}"
        )


def cmd_flags(args: argparse.Namespace) -> int:
    from followup.domain.flags import KIND_LEVELS
    from followup.services.flags import evaluate_cohort, open_flag_summaries, open_flags

    if args.kind is not None and args.kind not in KIND_LEVELS:
        raise UsageError(f"--kind must be one of: {', '.join(KIND_LEVELS)}")
    ctx = _context(args)
    as_of = _as_of(args.as_of) or ctx.today()
    evaluate_cohort(ctx, as_of, full=args.full)

    def wanted(level: str, kind: str) -> bool:
        return args.kind in (None, kind) and args.level in (None, level)

    if args.json:
        _print_json(
            [f.as_json(stored_evidence=True) for f in open_flags(ctx) if wanted(f.level, f.kind)]
        )
        return EXIT_OK
    flags = [f for f in open_flag_summaries(ctx) if wanted(f[1], f[2])]
    if not flags:
        which = " ".join(w for w in (args.level, args.kind) if w)
        _out(f"no open {which + ' ' if which else ''}flags as of {as_of.isoformat()}")
    _out_lines(
        f"#{fid:<5d} {level:6s} {kind:20s} {patient_id:10s} {knee:5s} {summary}"
        for fid, level, kind, patient_id, knee, summary in flags
    )
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    from followup.services.flags import decide

    ctx = _context(args)
    record = decide(ctx, args.flag_id, args.decision, args.note, command_line_actor())
    _out(f"flag {record.flag_id}: {record.decision} recorded by {record.reviewer}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from followup.reports.files import write_private
    from followup.reports.packet import render
    from followup.services.review_packet import prepare_packet, record_packet

    if args.max_flags is not None and args.max_flags < 0:
        raise UsageError("--max-flags must be 0 or more")
    ctx = _context(args)
    as_of = _as_of(args.as_of) or ctx.today()
    packet = prepare_packet(
        ctx, as_of, max_sections=args.max_flags, with_charts=args.format == "html"
    )
    text = render(packet, args.format)
    if args.out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_private(Path(args.out), text)
    record_packet(ctx, packet, command_line_actor())  # written: the next packet starts here
    if args.out is not None:
        _out(
            f"review packet as of {as_of.isoformat()} written to {args.out}: "
            f"{len(packet.flags)} flag(s) with a section, {len(packet.watch)} on the watch list, "
            f"{packet.left_out_total} open flag(s) left out"
        )
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    from followup.ui.staff.app import run

    return run(Settings.from_environment(args.db))


def cmd_selfreport(args: argparse.Namespace) -> int:
    from followup.ui.kiosk.app import run

    return run(Settings.from_environment(args.db))


def cmd_serve(args: argparse.Namespace) -> int:
    from followup.ui.kiosk.serve import serve

    if not 0 < args.port < 65536:
        raise UsageError("--port must be 1-65535")
    return serve(Settings.from_environment(args.db), args.host, args.port)


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="followup",
        description="Outcome follow-up tracker for regenerative knee osteoarthritis treatments.",
    )
    parser.add_argument("--version", action="version", version=f"followup {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL_OR_PATH",
        help="SQLite file or SQLAlchemy URL (overrides FOLLOWUP_DATABASE_URL)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = command("init", cmd_init, "create or upgrade the database; create the first admin")
    p.add_argument("--admin", metavar="NAME", help="name of the first admin account")
    command("demo", cmd_demo, "load the synthetic demo cohort (idempotent)")
    p = command("import", cmd_import, "validated all-or-nothing import of a CSV file")
    p.add_argument("kind", choices=("patients", "treatments", "assessments", "contacts"))
    p.add_argument("file", metavar="FILE.csv")
    p = command("export", cmd_export, "export records as CSV or JSON")
    p.add_argument("kind", choices=("patients", "treatments", "assessments", "contacts", "flags"))
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p = command("audit", cmd_audit, "list the audit trail")
    p.add_argument("--patient", metavar="ID", help="only events about this patient")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("backup", cmd_backup, "consistent online backup of a SQLite database")
    p.add_argument("file", metavar="FILE")

    command("tui", cmd_tui, "staff terminal UI (the default command)")
    p = command("due", cmd_due, "follow-up calls due within N days, and overdue ones")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of DATE (default today)")
    p.add_argument("--days", type=int, default=7, metavar="N", help="look-ahead in days (7)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("flags", cmd_flags, "evaluate the flag rules as of DATE and list open flags")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of DATE (default today)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--kind", metavar="KIND", help="only open flags of this kind")
    p.add_argument("--level", choices=("urgent", "action", "watch"), help="only this level")
    p.add_argument(
        "--full",
        action="store_true",
        help="re-run the rules on every episode (by default only on patients changed since the "
        "last evaluation and episodes whose result can differ on DATE)",
    )
    p = command("decide", cmd_decide, "record a review decision on a flag")
    p.add_argument("flag_id", type=int, metavar="FLAG_ID")
    p.add_argument(
        "--decision",
        required=True,
        choices=("booster_scheduled", "continue_monitoring", "refer", "dismissed"),
    )
    p.add_argument("--note", required=True, help="why (required)")
    p = command("review", cmd_review, "the weekly review packet for one meeting")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of DATE (default today)")
    p.add_argument("--format", choices=("html", "csv", "md"), default="html")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument(
        "--max-flags",
        type=int,
        metavar="N",
        help="at most N urgent and action flags with a section and chart "
        "(default FOLLOWUP_PACKET_MAX_FLAGS, or 60)",
    )
    command("selfreport", cmd_selfreport, "patient self-report kiosk in this terminal")
    p = command("serve", cmd_serve, "serve the patient self-report screen to web browsers")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    p = user.add_parser("add", help="add a staff account (asks for the password twice)")
    p.set_defaults(handler=cmd_user_add)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("coordinator", "clinician", "admin"))
    p.add_argument("--site", metavar="SITE", help="limit the account to one site")

    patient = sub.add_parser("patient", help="patient self-report access").add_subparsers(
        dest="patient_command", metavar="ACTION", required=True
    )
    p = patient.add_parser("code", help="issue a new self-report code for a patient")
    p.set_defaults(handler=cmd_patient_code)
    p.add_argument("patient_id", metavar="PATIENT_ID")
    return parser


def _database_error(exc: SQLAlchemyError) -> str:
    """Describe a database failure without SQL parameters (they may hold patient data)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return f"database error ({type(exc.orig).__name__}): {first_line}"
    return f"database error ({type(exc).__name__})"


# Libraries' own log records must not reach the terminal: with nothing set up, Python prints
# warnings and errors there, and SQLAlchemy's pool reports a rollback cut short by Ctrl+C with a
# whole traceback. The failure itself is reported by ``main``, in one line without patient data.
_NO_LIBRARY_OUTPUT = logging.NullHandler()


def main(argv: Sequence[str] | None = None) -> int:
    logging.getLogger().addHandler(_NO_LIBRARY_OUTPUT)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        args.handler = cmd_tui
    try:
        return args.handler(args)
    except InvalidInput as exc:
        _err(f"nothing was imported or changed; {exc.total} problem(s) found:")
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except (FollowupError, SchemaError) as exc:
        _err(str(exc))
        return EXIT_INVALID
    except UsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        _err(_database_error(exc))
        return EXIT_INVALID
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never show a traceback (it may hold patient data)
        _err(
            f"internal error ({type(exc).__name__}); nothing more is shown to protect patient data"
        )
        return EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
