"""Commands acting on people: staff accounts (``user``) and patients (``patient``)."""

from __future__ import annotations

import argparse

from followup.cli.common import EXIT_OK, Command, Group, context, out, read_password
from followup.services.context import command_line_actor


def cmd_user_add(args: argparse.Namespace) -> int:
    from followup.services.staff import add_user

    ctx = context(args)
    member = add_user(
        ctx, args.name, read_password(), args.role, command_line_actor(), site_id=args.site
    )
    out(f"{member.role} {member.username!r} created")
    return EXIT_OK


def cmd_patient_code(args: argparse.Namespace) -> int:
    from followup.services.patient_codes import issue_code

    ctx = context(args)
    issued = issue_code(ctx, args.patient_id, command_line_actor())
    out(f"new self-report code for {issued.patient_id} (valid until {issued.expires_at};")
    out("any earlier code no longer works):")
    out(issued.code)
    return EXIT_OK


def register(command: Command, group: Group) -> None:
    """Add this module's commands to the parser."""
    user = group("user", "staff accounts")
    p = user("add", cmd_user_add, "add a staff account (asks for the password twice)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("coordinator", "clinician", "admin"))
    p.add_argument("--site", metavar="SITE", help="limit the account to one site")
    patient = group("patient", "patients and their self-report access")
    p = patient("code", cmd_patient_code, "issue a new self-report code for a patient")
    p.add_argument("patient_id", metavar="PATIENT_ID")
