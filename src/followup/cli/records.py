"""Commands on the database and its records: ``init``, ``demo``, ``import``, ``export``,
``audit`` and ``backup``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from followup.cli.common import (
    ALL_ROLES,
    EXIT_INVALID,
    EXIT_OK,
    Command,
    UsageError,
    acting_staff,
    context,
    err,
    not_empty,
    one_line,
    out,
    print_json,
    read_password,
)
from followup.errors import FollowupError
from followup.services.context import command_line_actor

KINDS = ("patients", "treatments", "assessments", "contacts", "flags")


def cmd_init(args: argparse.Namespace) -> int:
    """`followup init`: create or upgrade the database, and the first admin if none."""
    from followup.services.audit_check import restore_guards
    from followup.services.staff import add_user, has_admin
    from followup.store.schema import init_schema

    ctx = context(args, create=True, check_schema=False)
    what, backup = init_schema(ctx.engine, ctx.settings.database_url)
    out(f"database {what}")
    restored = restore_guards(ctx.engine)
    if restored:
        out(f"restored the audit trail's protective triggers: {', '.join(restored)}")
    if args.runtime_role:
        from followup.store.roles import grant_runtime_role

        with ctx.engine.begin() as conn:
            grant_runtime_role(conn, args.runtime_role)
        out(
            f"role {args.runtime_role!r} may read and write the records, and only add to and "
            "read the audit trail; connect the clinic's programs as it"
        )
    if backup is not None:
        out(f"backup of the previous database: {backup}")
    if has_admin(ctx):
        return EXIT_OK
    if not sys.stdin.isatty() and args.admin is None:
        out(
            "no admin account yet: create the first with `followup init --admin NAME` "
            "(its password is asked for, or read from two lines of standard input)"
        )
        return EXIT_OK
    name = args.admin or "admin"
    out(f"creating the first admin account {name!r}")
    add_user(ctx, name, read_password(), "admin", command_line_actor())
    out(f"admin {name!r} created")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """`followup demo`: load the demo clinic (patients, treatments, answers, staff accounts)."""
    from followup.services.demo import load_demo

    ctx = context(args, create=True)
    result = load_demo(ctx, command_line_actor())
    if result.already_loaded:
        out("demo data already loaded; nothing imported")
    else:
        sign = "+" if result.shift_days >= 0 else ""
        out(f"demo data loaded (dates shifted by {sign}{result.shift_days} days to today):")
        for kind, count in result.loaded.items():
            if kind != "patients in database":
                out(f"  {count:6d} {kind}")
        out(f"  {result.flags:6d} open flags raised (see `followup flags`)")
        for line in result.story:
            out(f"  review story: {line}")
    out("demo staff accounts (for trying followup only):")
    for username, password, role in result.accounts:
        out(f"  {role:12s} user {username!r} password {password!r}")
    return EXIT_OK


def _importer(args: argparse.Namespace, ctx) -> str:  # type: ignore[no-untyped-def]
    """Who a bulk import is attributed to: the staff member named by ``--user`` (signed in),
    else the operating-system account, marked as such by its ``cli:`` prefix."""
    if args.user:
        return acting_staff(args, ctx, ALL_ROLES, "importing").actor
    return command_line_actor()


def cmd_import(args: argparse.Namespace) -> int:
    """`followup import`: read patients, treatments or assessments from a file."""
    from followup.services.importing import can_import, import_file

    if not can_import(args.kind, args.format):
        raise UsageError(f"--format {args.format} imports assessments only, not {args.kind}")
    if args.update and args.kind != "patients":
        raise UsageError("--update applies to patients only")
    ctx = context(args)
    actor = _importer(args, ctx)
    result = import_file(
        ctx, args.kind, Path(args.file), actor, fmt=args.format, update=args.update
    )
    out(result.describe())
    return EXIT_OK


# Which kinds each export format writes.
EXPORT_FORMATS = {
    "csv": KINDS,
    "json": KINDS,
    "redcap": ("assessments",),
    "fhir": ("patients", "assessments"),
}
REDCAP_FOLDER = "followup-redcap"


def _check_export_args(args: argparse.Namespace) -> None:
    kinds = EXPORT_FORMATS[args.format]
    if args.kind not in kinds:
        raise UsageError(f"--format {args.format} exports {' and '.join(kinds)} only")
    if args.patient is not None and args.format != "fhir":
        raise UsageError("--patient works with --format fhir only")


def cmd_export(args: argparse.Namespace) -> int:
    """`followup export`: write the records as CSV, JSON, REDCap or FHIR files."""
    from followup.services.exporting import export, open_output

    _check_export_args(args)
    if args.format == "redcap":
        return _export_redcap(args)
    if args.format == "fhir":
        return _export_fhir(args)
    ctx = context(args)
    path = Path(args.out) if args.out else None
    with open_output(path, sys.stdout) as fh:
        count = export(ctx, args.kind, args.format, fh)
    if path is not None:
        out(f"exported {count} {args.kind} to {path}")
    return EXIT_OK


def _export_redcap(args: argparse.Namespace) -> int:
    from followup.reports.redcap import write_project
    from followup.services.exchange import exchange_assessments, follow_up_events

    folder = Path(args.out or REDCAP_FOLDER)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} is a file; --format redcap writes a folder")
    ctx = context(args)
    count = write_project(
        folder, ctx.instrument, follow_up_events(ctx.rules), exchange_assessments(ctx)
    )
    out(f"exported {count} assessments as a REDCap project to {folder}/ (see README.txt there)")
    return EXIT_OK


def _export_fhir(args: argparse.Namespace) -> int:
    from followup.reports.fhir import assessments_entries, patients_entries, write_bundle
    from followup.services.exchange import exchange_assessments, exchange_patients
    from followup.services.exporting import open_output

    ctx = context(args)
    patients = exchange_patients(ctx, args.patient)  # an unknown --patient stops here
    if args.kind == "patients":
        entries = patients_entries(patients)
    else:
        entries = assessments_entries(
            patients, exchange_assessments(ctx, args.patient), ctx.instrument
        )
    path = Path(args.out) if args.out else None
    with open_output(path, sys.stdout) as fh:
        count = write_bundle(fh, entries, ctx.now())
    if path is not None:
        out(f"exported a FHIR R4 bundle of {count} resources to {path}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """`followup audit`: list the audit trail, all of it or one patient's; `followup audit
    verify`: check its hash chain and protective triggers (exit 1 when either is broken)."""
    from followup.services.audit import list_events

    ctx = context(args)
    if args.check == "verify":
        from followup.services.audit_check import verify_trail

        verdict = verify_trail(ctx.engine)
        for line in verdict.lines():
            (out if verdict.intact else err)(line)
        return EXIT_OK if verdict.intact else EXIT_INVALID
    events = list_events(ctx.engine, args.patient)
    if args.json:
        print_json([e.as_json() for e in events])
        return EXIT_OK
    if not events:
        out("no audit events")
    for e in events:
        what = f"{e.entity} {e.entity_id}" if e.entity_id else e.entity
        line = f"{e.at.isoformat(timespec='seconds')}  {e.user:20s} {e.action:22s} {what}"
        if e.action == "decide" and e.new:
            line += f"  decision: {e.new.get('decision')}; note: {one_line(str(e.new.get('note')))}"
        elif e.action == "update" and e.new:
            line += f"  changed: {', '.join(sorted(e.new))}"  # which fields; values in --json
        if e.reason:
            line += f"  reason: {one_line(e.reason)}"
        out(line)
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    """`followup backup`: copy a live SQLite database safely to a file."""
    from followup.store.backup import sqlite_backup

    ctx = context(args)
    if not ctx.is_sqlite:
        raise FollowupError(
            "followup backup copies SQLite databases; back up PostgreSQL with pg_dump"
        )
    target = Path(args.file).expanduser().resolve()
    if target == Path(ctx.engine.url.database or "").resolve():
        raise FollowupError("the backup file must not be the database itself")
    if target.is_dir():
        raise FollowupError(f"{target} is a directory; give a file name")
    if target.exists() and not args.force:
        raise FollowupError(f"{target} already exists; give --force to overwrite it")
    if not target.parent.is_dir():
        raise FollowupError(f"{target.parent} is not a directory")
    sqlite_backup(ctx.engine, target)
    out(f"backup written to {target}")
    return EXIT_OK


def register(command: Command) -> None:
    """Add this module's commands to the parser."""
    p = command("init", cmd_init, "create or upgrade the database; create the first admin")
    p.add_argument("--admin", metavar="NAME", help="name of the first admin account")
    p.add_argument(
        "--runtime-role",
        metavar="ROLE",
        help="PostgreSQL: grant this existing role (not the owner) the rights the programs need, "
        "with only INSERT and SELECT on the audit trail",
    )
    command("demo", cmd_demo, "load the synthetic demo cohort (idempotent)")
    p = command("import", cmd_import, "validated all-or-nothing import of a CSV file")
    p.add_argument("kind", choices=("patients", "treatments", "assessments", "contacts"))
    p.add_argument("file", type=not_empty, metavar="FILE.csv")
    p.add_argument(
        "--format",
        choices=("csv", "redcap"),
        default="csv",
        help="redcap: a REDCap records export (raw data, CSV) of assessments",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="patients only: update the patients whose ID exists (each column in the file "
        "replaces the stored value, an empty cell clears it) and add the others",
    )
    p = command("export", cmd_export, "export records as CSV, JSON, REDCap or FHIR")
    p.add_argument("kind", choices=KINDS)
    p.add_argument(
        "--format",
        choices=tuple(EXPORT_FORMATS),
        default="csv",
        help="redcap: a REDCap project folder (assessments); fhir: a FHIR R4 bundle "
        "(patients, assessments)",
    )
    p.add_argument(
        "--out",
        type=not_empty,
        metavar="FILE",
        help="write to FILE instead of standard output (--format redcap: a folder, "
        f"default ./{REDCAP_FOLDER})",
    )
    p.add_argument("--patient", metavar="ID", help="--format fhir: only this patient")
    p = command("audit", cmd_audit, "list the audit trail; `audit verify` checks it is intact")
    p.add_argument(
        "check",
        nargs="?",
        choices=("verify",),
        help="verify: recompute the hash chain and check the protective triggers",
    )
    p.add_argument("--patient", metavar="ID", help="only events about this patient")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("backup", cmd_backup, "consistent online backup of a SQLite database")
    p.add_argument("file", type=not_empty, metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
