"""Load the synthetic demo cohort shipped in the package (followup/sample_data/), idempotently.

Every date is shifted by (today - the cohort's anchor date), so the demo looks the same on any
day it is loaded: there are always patients due this week and flags of every kind.

The demo goes only into a database of its own: its rows cannot be removed from a clinic's, and
its accounts have weak passwords. What it creates is marked (``created_by`` starts ``demo:``),
and a database holding any patient or staff account not from the demo is refused.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, or_, select

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.importing import import_into
from followup.services.staff import add_user, user_exists
from followup.store.engine import describe, write_session
from followup.store.models import Patient, StaffUser

DEMO_ACCOUNTS = (("demo", "demo", "coordinator"), ("doctor", "doctor", "clinician"))
FILES = ("patients", "treatments", "assessments", "contacts")
DEMO_MARK = "demo:"  # what ``created_by`` of the demo's patients and accounts starts with


@dataclass
class DemoResult:
    """What loading the demo did: rows loaded per table, the date shift, the accounts made."""

    loaded: dict[str, int] = field(default_factory=dict)
    already_loaded: bool = False
    shift_days: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    flags: int = 0
    story: list[str] = field(default_factory=list)


def sample_data_dir() -> Path:
    """The demo cohort's folder: FOLLOWUP_SAMPLE_DATA if set, else the one inside the package."""
    override = os.environ.get("FOLLOWUP_SAMPLE_DATA")
    if override:
        return Path(override)
    return Path(str(resources.files("followup") / "sample_data"))


def demo_settings(folder: Path) -> dict[str, Any]:
    """demo.toml: the anchor date and the story knees."""
    try:
        with open(folder / "demo.toml", "rb") as fh:
            found = tomllib.load(fh)
        found["anchor_date"]  # noqa: B018 - required
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise FollowupError(f"{folder / 'demo.toml'}: cannot read anchor_date ({exc})") from None
    return found


def anchor_date(folder: Path) -> date:
    """The day the demo's dates are written for; loading shifts them to today."""
    value = demo_settings(folder)["anchor_date"]
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_demo(ctx: Context, actor: str) -> DemoResult:
    """Load the demo cohort unless it is there already; create the demo staff accounts. A
    database holding anything but the demo is refused, saying how to make a demo database."""
    folder = sample_data_dir()
    shift = (ctx.today() - anchor_date(folder)).days
    result = DemoResult(shift_days=shift)
    first_id = _first_patient_id(folder / "patients.csv")
    actor = f"{DEMO_MARK}{actor}"
    with write_session(ctx.engine) as session:
        _refuse_a_clinic(session, ctx.settings.database_url)
        present = session.get(Patient, first_id) is not None
        if present:
            result.already_loaded = True
        else:
            for kind in FILES:
                loaded = import_into(
                    session, ctx, kind, folder / f"{kind}.csv", actor, shift_days=shift
                )
                result.loaded[kind] = loaded.count
        result.loaded.setdefault("patients in database", 0)
        result.loaded["patients in database"] = session.exec(
            select(func.count()).select_from(Patient)
        ).one()
    if not result.already_loaded:
        from followup.services.demo_story import play_stories
        from followup.services.evaluate_flags import evaluate_cohort

        result.story = play_stories(ctx, demo_settings(folder).get("story", {}))
        result.flags = evaluate_cohort(ctx).raised
    for username, password, role in DEMO_ACCOUNTS:
        if not user_exists(ctx, username):
            add_user(ctx, username, password, role, actor, allow_weak=True)
        result.accounts.append((username, password, role))
    return result


def _refuse_a_clinic(session: Session, url: str) -> None:
    """Refuse a database with patients or staff accounts the demo did not make. Patients entered
    in a demo database by its demo accounts count as the demo's."""
    names = [username for username, _password, _role in DEMO_ACCOUNTS]
    patients = session.exec(
        select(func.count())
        .select_from(Patient)
        .where(
            ~or_(
                col(Patient.created_by).startswith(DEMO_MARK, autoescape=True),
                col(Patient.created_by).in_(names),
            )
        )
    ).one()
    accounts = session.exec(
        select(func.count())
        .select_from(StaffUser)
        .where(
            or_(
                col(StaffUser.username).not_in(names),
                ~col(StaffUser.created_by).startswith(DEMO_MARK, autoescape=True),
            )
        )
    ).one()
    if patients or accounts:
        held = " and ".join(
            f"{count} {what}"
            for count, what in ((patients, "patient(s)"), (accounts, "staff account(s)"))
            if count
        )
        raise FollowupError(
            f"{describe(url)} is not a demo database: it holds {held} not from the demo, and "
            "the demo's synthetic patients could never be removed from it (nor its weak demo "
            "accounts forgotten). Nothing was loaded. Load the demo into a database of its "
            "own, for example: followup --db demo.db demo"
        )


def _first_patient_id(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            header = fh.readline().strip().split(",")
            first = fh.readline().strip().split(",")
        return first[header.index("patient_id")]
    except (OSError, ValueError, IndexError):
        raise FollowupError(f"{path}: cannot read the demo patients") from None
