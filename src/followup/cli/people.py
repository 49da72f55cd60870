"""Commands on patients: add one, edit one, issue a self-report code. Each acts for a signed-in
staff member (``--user``), whose site limit applies; see ``common.acting_staff``."""

from __future__ import annotations

import argparse
from typing import Any

from followup.cli.common import ALL_ROLES, EXIT_OK, Group, acting_staff, context, out
from followup.domain.written_dates import written_day
from followup.errors import FollowupError
from followup.store.fields import decimal_number

# Command-line option -> the patient's field, for the fields both add and edit take.
OPTIONS = {
    "--name": "name",
    "--birth-date": "birth_date",
    "--sex": "sex",
    "--phone": "phone",
    "--email": "email",
    "--timezone": "timezone",
    "--site": "site_id",
    "--language": "language",
    "--smoker": "smoker",
    "--diabetes": "diabetes",
    "--bmi": "bmi",
    "--activity": "activity",
}
HELP = {
    "name": "full name",
    "birth_date": "birth date, like 1956-03-02",
    "sex": "F, M or X",
    "phone": "phone number (as it is dialled, e.g. +44 20 7946 0000)",
    "email": "e-mail address",
    "timezone": "IANA time zone, like Asia/Tokyo",
    "site_id": "the patient's site (added with `followup site add`)",
    "language": "IETF language tag, like en, ja or pt-BR",
    "smoker": "yes or no (clinical: halves the expected durability)",
    "diabetes": "yes or no (clinical)",
    "bmi": "body-mass index, 10-90 (clinical)",
    "activity": "low, moderate or high_impact (clinical)",
}


def _yes_no(field: str, text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in ("", "unknown"):
        return None
    if lowered in ("yes", "no"):
        return lowered == "yes"
    raise FollowupError(f"{field}: {text!r} must be yes or no")


def _value(field: str, text: str) -> Any:
    """A typed option as the patient's field holds it; an empty text clears it."""
    if field in ("smoker", "diabetes"):
        return _yes_no(field, text)
    if not text.strip():
        return None
    if field == "birth_date":
        try:
            return written_day(text.strip())
        except ValueError:
            raise FollowupError("birth date: is not a date like 1956-03-02") from None
    if field == "bmi":
        try:
            return decimal_number(text.strip())
        except ValueError:
            raise FollowupError(f"BMI: {text!r} is not a number") from None
    return text


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The fields given on the command line, converted."""
    return {f: _value(f, getattr(args, f)) for f in OPTIONS.values() if hasattr(args, f)}


def cmd_patient_add(args: argparse.Namespace) -> int:
    """`followup patient add`: register a new patient."""
    from followup.services.patients import PatientDraft, add_patient

    values = _given(args)
    ctx = context(args)
    acting = acting_staff(args, ctx, ALL_ROLES, "adding a patient")
    pid = add_patient(
        ctx, PatientDraft(args.patient_id, **values), acting.actor, staff_site=acting.site_id
    )
    out(f"patient {pid} added")
    return EXIT_OK


def cmd_patient_edit(args: argparse.Namespace) -> int:
    """`followup patient edit`: change a patient's details (with a reason where one is required)."""
    from followup.services.patients import LABELS, ReasonRequired, edit_patient

    changes = _given(args)
    if not changes:
        raise FollowupError("nothing to change: give at least one field, e.g. --phone NUMBER")
    ctx = context(args)
    acting = acting_staff(args, ctx, ALL_ROLES, "editing a patient")
    try:
        change = edit_patient(
            ctx, args.patient_id, changes, acting.actor, args.reason, staff_site=acting.site_id
        )
    except ReasonRequired as exc:
        raise FollowupError(f"{exc} (give --reason TEXT)") from None
    if not change.new:
        out(f"patient {args.patient_id}: nothing changed (the values given are the stored ones)")
        return EXIT_OK
    out(f"patient {args.patient_id} updated: {', '.join(LABELS[f] for f in change.new)}")
    for knee in change.reevaluated_knees:
        out(f"  flags of the {knee} knee re-evaluated")
    return EXIT_OK


def cmd_patient_code(args: argparse.Namespace) -> int:
    """`followup patient code`: issue a one-time self-report sign-in code for a patient."""
    from followup.services.patient_codes import issue_code

    ctx = context(args)
    acting = acting_staff(args, ctx, ALL_ROLES, "issuing a self-report code")
    issued = issue_code(ctx, args.patient_id, acting.actor)
    out(f"new self-report code for {issued.patient_id} (valid until {issued.expires_at};")
    out("any earlier code no longer works):")
    out(issued.code)
    return EXIT_OK


def _field_options(p: argparse.ArgumentParser, *, required: tuple[str, ...] = ()) -> None:
    """The field options; those left out are absent from the parsed arguments (an edit
    changes only what is given, and ``''`` clears an optional field)."""
    editing = not required
    for option, field in OPTIONS.items():
        p.add_argument(
            option,
            dest=field,
            metavar="VALUE",
            required=field in required,
            default=None if field in required else argparse.SUPPRESS,
            help=HELP[field] + ("; '' clears it" if editing else ""),
        )


def register(group: Group) -> None:
    """Add this module's commands to the parser."""
    patient = group("patient", "patients and their self-report access")
    p = patient("add", cmd_patient_add, "add a patient (audited)")
    p.add_argument("patient_id", metavar="PATIENT_ID")
    _field_options(p, required=("name", "birth_date"))
    p = patient("edit", cmd_patient_edit, "change a patient's details (audited, old and new)")
    p.add_argument("patient_id", metavar="PATIENT_ID")
    _field_options(p)
    p.add_argument(
        "--reason", metavar="TEXT", help="why; required for smoker, diabetes, BMI and activity"
    )
    p = patient("code", cmd_patient_code, "issue a new self-report code for a patient")
    p.add_argument("patient_id", metavar="PATIENT_ID")
