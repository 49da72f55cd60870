"""Commands of the weekly routine: the calls due (``due``), the flags (``flags``), a review
decision (``decide``) and the weekly packet (``review``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from followup.cli.common import (
    EXIT_OK,
    Command,
    UsageError,
    acting_staff,
    context,
    not_empty,
    one_line,
    out,
    out_lines,
    out_text,
    print_json,
    shown,
    whole_argument,
)
from followup.cli.common import as_of as as_of_date
from followup.errors import FollowupError
from followup.services.context import Context, command_line_actor

if TYPE_CHECKING:  # the services a command needs are imported when it runs
    from followup.services.call_list import DueItem
    from followup.services.call_sheet import CallSheet


# A look-ahead past ten years means a typo (and past the calendar's end, a crash).
MAX_DAYS = 3650
# More sections than any meeting reads; a number past this would not fit the database.
MAX_FLAGS = 100_000


def cmd_due(args: argparse.Namespace) -> int:
    """`followup due`: the calls due in a view, as text, HTML, CSV or JSON."""
    from followup.services.call_list import VIEWS
    from followup.services.call_sheet import read_call_sheet

    fmt = _due_format(args)
    if args.days is not None and args.view is not None:
        raise UsageError("give --days or --view, not both")
    if args.days is not None and not 0 <= args.days <= MAX_DAYS:
        raise UsageError(f"--days must be 0 or more, at most {MAX_DAYS}")
    if args.view is not None and args.view not in VIEWS:
        raise UsageError(f"--view must be one of: {', '.join(VIEWS)}")
    days = 7 if args.days is None else args.days
    day = as_of_date(args.as_of)  # a usage error before the database is opened
    ctx = context(args)
    sheet = read_call_sheet(ctx, view=args.view, days=days, as_of=_evaluation_day(ctx, day))
    if fmt is not None:
        return _write_sheet(sheet, fmt, args.out)
    items = sheet.items
    as_of = sheet.as_of.isoformat()
    if not items:
        out(f"nothing to call as of {as_of} ({sheet.title.lower()}: {sheet.description})")
        return EXIT_OK
    out(f"{len(items)} call(s) as of {as_of} ({sheet.title.lower()}: {sheet.description}):")
    out_lines(_call_lines(items))
    return EXIT_OK


def _evaluation_day(ctx: Context, day: date | None) -> date:
    """The day to evaluate as of: ``--as-of`` when given, refused when it is before the day the
    stored flags stand on (it would clear the flags raised since); else today."""
    from followup.services.evaluation_day import EarlierThanEvaluated, check_not_before_evaluated

    if day is None:
        return ctx.today()
    try:
        check_not_before_evaluated(ctx, day)
    except EarlierThanEvaluated as exc:
        raise FollowupError(f"--as-of {exc}") from None
    return day


def _due_format(args: argparse.Namespace) -> str | None:
    """The file format asked for (``--json`` is ``--format json``); None for the text list."""
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} ask for different formats")
    fmt = "json" if args.json else args.format
    if args.out is not None and fmt is None:
        raise UsageError("--out needs a file format: --format html, csv or json")
    return fmt


def _write_sheet(sheet: CallSheet, fmt: str, path: str | None) -> int:
    from followup.reports.call_sheet import json_items, render
    from followup.reports.files import write_private

    if path is None and fmt == "json":
        # JSON stays JSON: its escapes are \\uXXXX, not the terminal's \\xXX. Written as
        # the bytes it is made as (a whole cohort's calls are tens of megabytes).
        print_json(json_items(sheet))
        return EXIT_OK
    text = render(sheet, fmt)
    if path is None:
        out_text(text)
        return EXIT_OK
    write_private(Path(path), text)
    out(
        f"call sheet ({sheet.title.lower()}, as of {sheet.as_of.isoformat()}) written to "
        f"{path}: {len(sheet.calls)} call(s), {len(sheet.items)} knee(s)"
    )
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
    """`followup flags`: bring the cohort's flags up to date and list the open ones."""
    from followup.domain.flags import KIND_LEVELS
    from followup.services.evaluate_flags import evaluate_cohort
    from followup.services.review_queue import open_flag_summaries, open_flags

    if args.kind is not None and args.kind not in KIND_LEVELS:
        raise UsageError(f"--kind must be one of: {', '.join(KIND_LEVELS)}")
    day = as_of_date(args.as_of)
    ctx = context(args)
    as_of = _evaluation_day(ctx, day)
    evaluate_cohort(ctx, as_of, full=args.full)

    def wanted(level: str, kind: str) -> bool:
        return args.kind in (None, kind) and args.level in (None, level)

    if args.json:
        print_json(
            [f.as_json(stored_evidence=True) for f in open_flags(ctx) if wanted(f.level, f.kind)]
        )
        return EXIT_OK
    flags = [f for f in open_flag_summaries(ctx) if wanted(f[1], f[2])]
    if not flags:
        which = " ".join(w for w in (args.level, args.kind) if w)
        out(f"no open {which + ' ' if which else ''}flags as of {as_of.isoformat()}")
    out_lines(
        f"#{fid:<5d} {level:6s} {kind:20s} {patient_id:10s} {knee:5s} {one_line(summary)}"
        for fid, level, kind, patient_id, knee, summary in flags
    )
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    """`followup decide`: record, amend or reopen a clinician's decision on a flag."""
    from followup.services.decide import amend, decide, reopen

    if args.reopen == (args.decision is not None):
        raise UsageError("give either --decision or --reopen")
    if args.amend and args.reopen:
        raise UsageError("--amend goes with --decision, not with --reopen")
    until = None
    if args.until is not None:
        until = as_of_date(args.until, "--until")
        if args.decision != "booster_scheduled":
            raise UsageError("--until goes with --decision booster_scheduled")
    ctx = context(args)
    reviewer = acting_staff(args, ctx, ("clinician",), "deciding on a flag").actor
    if args.reopen:
        ended = reopen(ctx, args.flag_id, args.note, reviewer)
        out(f"flag {args.flag_id} reopened by {reviewer} (its {ended.decision} decision is ended)")
        return EXIT_OK
    act = amend if args.amend else decide
    record = act(ctx, args.flag_id, args.decision, args.note, reviewer, until=until)
    held = f", flag held closed until {record.until.isoformat()}" if record.until else ""
    did = "amended by" if args.amend else "recorded by"
    out(f"flag {record.flag_id}: {record.decision} {did} {record.reviewer}{held}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """`followup review`: write the review packet for the next meeting."""
    from followup.reports.files import write_private
    from followup.reports.packet import render
    from followup.services.review_packet import prepare_packet, record_packet

    if args.max_flags is not None and not 0 <= args.max_flags <= MAX_FLAGS:
        raise UsageError(f"--max-flags must be 0 or more, at most {MAX_FLAGS}")
    day = as_of_date(args.as_of)
    ctx = context(args)
    as_of = _evaluation_day(ctx, day)
    packet = prepare_packet(
        ctx, as_of, max_sections=args.max_flags, with_charts=args.format == "html"
    )
    text = render(packet, args.format)
    if args.out is None:
        out_text(text)
    else:
        write_private(Path(args.out), text)
    record_packet(ctx, packet, command_line_actor())  # written: the next packet starts here
    if args.out is not None:
        out(
            f"review packet as of {as_of.isoformat()} written to {args.out}: "
            f"{len(packet.flags)} flag(s) with a section, {len(packet.watch)} on the watch list, "
            f"{packet.left_out_total} open flag(s) left out"
        )
    return EXIT_OK


# Flag numbers are the database's 64-bit integers; a longer number is no flag's.
FLAG_DIGITS = 18


def flag_id(text: str) -> int:
    """A flag's number as ``flags`` prints it (``#9``) or bare (``9``)."""
    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= FLAG_DIGITS):
        raise argparse.ArgumentTypeError(f"{shown(text, 40)} is not a flag number like #9 or 9")
    return int(digits)


def register(command: Command) -> None:
    """Add this module's commands to the parser."""
    p = command("due", cmd_due, "follow-up calls due within N days, and overdue ones")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of DATE (default today)")
    p.add_argument("--days", type=whole_argument, metavar="N", help="look-ahead in days (7)")
    p.add_argument(
        "--view",
        metavar="VIEW",
        help="a worklist view instead of --days: today, week, 14, 30 or overdue",
    )
    p.add_argument("--json", action="store_true", help="print JSON (the same as --format json)")
    p.add_argument(
        "--format",
        choices=("json", "csv", "html"),
        help="json: one element per knee; csv, html: a call sheet, one row per patient",
    )
    p.add_argument(
        "--out",
        type=not_empty,
        metavar="FILE",
        help="write to FILE (owner-only) instead of printing",
    )
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
    p = command(
        "decide",
        cmd_decide,
        "record a review decision on a flag, amend one (--amend) or reopen one (--reopen)",
    )
    p.add_argument("flag_id", type=flag_id, metavar="FLAG_ID", help="as `flags` prints it: #9 or 9")
    p.add_argument(
        "--decision", choices=("booster_scheduled", "continue_monitoring", "refer", "dismissed")
    )
    p.add_argument(
        "--reopen", action="store_true", help="withdraw the decision and open the flag again"
    )
    p.add_argument(
        "--amend",
        action="store_true",
        help="replace the decision in force on a decided flag (deciding a decided flag again "
        "is refused, naming who decided it and when)",
    )
    p.add_argument("--note", required=True, help="why (required; the reason when amending)")
    p.add_argument(
        "--until",
        metavar="DATE",
        help="booster_scheduled: hold the flag closed until DATE (default: 60 days)",
    )
    p = command("review", cmd_review, "the weekly review packet for one meeting")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of DATE (default today)")
    p.add_argument("--format", choices=("html", "csv", "md"), default="html")
    p.add_argument(
        "--out", type=not_empty, metavar="FILE", help="write to FILE instead of standard output"
    )
    p.add_argument(
        "--max-flags",
        type=whole_argument,
        metavar="N",
        help="at most N urgent and action flags with a section and chart "
        "(default FOLLOWUP_PACKET_MAX_FLAGS, or 60)",
    )
