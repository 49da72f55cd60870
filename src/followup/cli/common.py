"""What every command shares: printing (one write for many lines), errors for the user, the
context (settings, engine) a command opens, passwords read from a terminal or a pipe, the staff
member a command acts for, dates."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from followup.domain.written_dates import written_day
from followup.errors import FollowupError
from followup.services.context import Context, command_line_actor, open_context
from followup.settings import Settings

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
# In JSON text, what JSON itself leaves raw but a terminal acts on: DEL, the C1 controls
# (U+0080-U+009F, two bytes in UTF-8) and the Unicode line separators (U+2028, U+2029).
JSON_UNSAFE = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]")

Handler = Callable[[argparse.Namespace], int]
# Adds a command: (name, handler, help) -> its parser, for the command's own arguments.
Command = Callable[[str, Handler, str], argparse.ArgumentParser]
# Adds a group of commands (``user add``, ``user list``): (name, help) -> a Command for it.
Group = Callable[[str, str], Command]


class UsageError(Exception):
    """A command was called the wrong way (exit 2)."""


# What must not reach a terminal raw: C0 controls (an escape sequence can move the cursor, clear
# the screen or forge a line), DEL, C1 controls (0x9B is a one-character CSI), the Unicode line
# separators, and a carriage return that does not end a line (it would overwrite the line).
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|\r(?!\n)")


# ASCII that is safe everywhere: printable characters, tab and line feed. ASCII text with
# nothing else in it needs no escaping: checked at C speed by deleting these bytes and looking
# at what is left (a whole cohort's listing: milliseconds).
ASCII_SAFE = bytes(range(0x20, 0x7F)) + b"\t\n"


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character but tab and line ends shown as an escape
    (``\\x1b``), so a value stored with one prints as what it is and cannot act on the
    terminal. Values are validated when they come in; this covers older rows and any path."""
    if text.isascii() and not text.encode("ascii").translate(None, ASCII_SAFE):
        return text
    return UNSAFE.sub(_escaped, text)


def out(text: str = "") -> None:
    """Print one line."""
    print(terminal_safe(text), flush=True)


def out_lines(lines: Iterable[str]) -> None:
    """Many lines written at once (a whole cohort's flags or calls)."""
    sys.stdout.write(terminal_safe("".join(f"{line}\n" for line in lines)))
    sys.stdout.flush()


def out_text(text: str) -> None:
    """A whole rendered document (a call sheet, a packet) to standard output."""
    sys.stdout.write(terminal_safe(text))
    sys.stdout.flush()


def json_safe(data: bytes) -> bytes:
    """JSON text (UTF-8) with DEL, C1 controls and line separators written as ``\\uXXXX``
    escapes: the same JSON, and nothing in it can act on a terminal (JSON escapes C0 controls
    itself)."""
    # Each of them starts with one of three bytes, and most JSON holds none of them: looked
    # for at C speed before the pattern runs over tens of megabytes.
    if all(start not in data for start in (b"\x7f", b"\xc2", b"\xe2")):
        return data
    return JSON_UNSAFE.sub(lambda m: b"\\u%04x" % ord(m.group().decode()), data)


def one_line(text: str) -> str:
    """Stored text on one line of a listing: a line break (a note may hold several lines) is
    shown as ``\\n``, so the text can neither break the listing nor pass for a line of it."""
    return text.replace("\r\n", "\\n").replace("\n", "\\n") if "\n" in text else text


def err(text: str) -> None:
    """Print a message for the user on standard error."""
    print(f"followup: {terminal_safe(text)}", file=sys.stderr, flush=True)


def err_lines(text: str) -> None:
    """Print more of a message (its further lines) on standard error."""
    print(terminal_safe(text), file=sys.stderr, flush=True)


def context(
    args: argparse.Namespace, *, create: bool = False, check_schema: bool = True
) -> Context:
    """The context of this run, from the environment and ``--db``. Only ``init`` and ``demo``
    pass ``create``: every other command refuses a database that does not exist."""
    return open_context(
        Settings.from_environment(args.db), create=create, check_schema=check_schema
    )


def print_json(value: Any) -> None:
    """Print JSON (orjson: a whole cohort's flags are tens of megabytes)."""
    sys.stdout.flush()
    data = json_safe(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str))
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()


def read_password(prompt: str = "Password") -> str:
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


def read_secret(prompt: str) -> str:
    """One secret: asked once on a terminal (not echoed), else the next line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{prompt}: ")
    return sys.stdin.readline().rstrip("\r\n")


ALL_ROLES = ("coordinator", "clinician", "admin")


@dataclass(frozen=True)
class Acting:
    """Who a command acts for: the name the audit trail records, and the site the staff member
    is limited to (None: every site)."""

    actor: str
    site_id: str | None = None


def acting_staff(
    args: argparse.Namespace, ctx: Context, roles: tuple[str, ...], doing: str
) -> Acting:
    """Sign in the staff member named by ``--user`` (password asked for on a terminal, else the
    first line of standard input) and check their role. Without ``--user``, a database with no
    staff account yet is run by the operating-system account (``cli:NAME``), as it must be to
    create the first one; once accounts exist, ``--user`` is required."""
    from followup.services.staff import has_admin, has_staff, require_role, sign_in

    if args.user:
        member = sign_in(ctx, args.user, read_secret(f"Password for {args.user}"))
        require_role(member, roles, doing)
        return Acting(member.actor, member.site_id)
    if has_staff(ctx):
        hint = ""
        if roles == ("admin",) and not has_admin(ctx):
            hint = "; there is no admin yet: create one with followup init --admin NAME"
        raise UsageError(
            f"{doing} is done by a staff member: give your user name with --user NAME before "
            "the command (followup --user NAME ...); the password is asked for, or read from "
            f"the first line of standard input{hint}"
        )
    actor = command_line_actor()
    err(
        f"no staff account yet: acting as the operating-system account {actor} "
        "(create the first admin with: followup init --admin NAME)"
    )
    return Acting(actor)


def whole_argument(text: str) -> int:
    """An option's whole number, in ASCII digits only (``int`` also takes "1_0" and "١٢")."""
    from followup.store.fields import whole_number

    try:
        return whole_number(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_argument(text: str) -> float:
    """An option's number like 27.5, in ASCII digits only."""
    from followup.store.fields import decimal_number

    try:
        return decimal_number(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def shown(text: str, longest: int = 20) -> str:
    """What a user typed, quoted for a message: cut after ``longest`` characters, its length
    said (a pasted paragraph is not repeated whole)."""
    if len(text) <= longest:
        return repr(text)
    return f"{text[:longest]!r}... ({len(text)} characters)"


def not_empty(text: str) -> str:
    """An option naming a file or a database: an empty one (a variable left unset in a
    script) is a usage error, not the current folder or the default database."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a file name or path")
    return text


# The years a day option may name: a year typed wrong (9999, 0001) is refused, not evaluated,
# and the rules' arithmetic stays well inside the calendar (which ends with 9999).
YEARS = range(1900, 3000)


def day_option(text: str, option: str) -> date:
    """An option's day, written YYYY-MM-DD in ASCII digits; a usage error names the option."""
    try:
        day = written_day(text)
    except ValueError:
        raise UsageError(f"{option} {shown(text)} is not a date like 2026-11-21") from None
    if day.year not in YEARS:
        raise UsageError(f"{option} {day.isoformat()} is outside the years {YEARS[0]}-{YEARS[-1]}")
    return day


def as_of(value: str | None, option: str = "--as-of") -> date | None:
    """``--as-of`` (or the day ``option`` names) as a date (None when not given)."""
    return None if value is None else day_option(value, option)
