"""Adding a patient and editing one in the app: contact details, time zone, site, language and
risk factors, checked by the same rules as the import (the ranges stated once on
``PatientBase``, plausible birth dates), every change audited with its old and new values.

Smoker status, diabetes, BMI and activity are clinical: changing one needs a reason, and a
change of smoker status (which halves the expected durability, so moves the booster window)
re-evaluates the patient's treated knees in the same transaction. Staff limited to a site add
and edit only that site's patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from followup.domain.names import search_form
from followup.errors import FollowupError, NotFound, PermissionDenied
from followup.services import audit
from followup.services.context import Context
from followup.services.evaluate_flags import reevaluate_knee
from followup.services.notes import typed_note
from followup.services.sites import require_site
from followup.store.engine import write_session
from followup.store.fields import CLINIC_ID, validate
from followup.store.models import Patient, PatientBase, Treatment

# The fields staff enter, in the order forms and commands show them.
FIELDS = (
    "name", "birth_date", "sex", "phone", "email", "timezone", "site_id", "language",
    "smoker", "diabetes", "bmi", "activity",
)  # fmt: skip
# Risk factors the rules or the outcomes use: a change needs a reason.
CLINICAL_FIELDS = ("smoker", "diabetes", "bmi", "activity")
# How forms and messages name each field.
LABELS = {
    "name": "name",
    "birth_date": "birth date",
    "sex": "sex",
    "phone": "phone",
    "email": "email",
    "timezone": "time zone",
    "site_id": "site",
    "language": "language",
    "smoker": "smoker",
    "diabetes": "diabetes",
    "bmi": "BMI",
    "activity": "activity",
}
OLDEST_AGE_YEARS = 115
YOUNGEST_AGE_YEARS = 12


class ReasonRequired(FollowupError):
    """A clinical field was to change without a reason."""


@dataclass(frozen=True)
class PatientDraft:
    """A new patient as staff enter them; only the ID, name and birth date are required."""

    patient_id: str
    name: str
    birth_date: date
    sex: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    site_id: str | None = None
    language: str | None = None
    smoker: bool | None = None
    diabetes: bool | None = None
    bmi: float | None = None
    activity: str | None = None


@dataclass(frozen=True)
class PatientChange:
    """What an edit changed (field -> value before and after) and the knees re-evaluated."""

    patient_id: str
    old: dict[str, Any]
    new: dict[str, Any]
    reevaluated_knees: tuple[str, ...] = ()


def birth_date_problem(born: date, today: date) -> str | None:
    """Why ``born`` cannot be a patient's birth date (in the future, or an age outside
    YOUNGEST_AGE_YEARS-OLDEST_AGE_YEARS), or None. The import checks files with it too."""
    if born > today:
        return "is in the future"
    oldest = today.replace(year=today.year - OLDEST_AGE_YEARS, day=min(today.day, 28))
    youngest = today.replace(year=today.year - YOUNGEST_AGE_YEARS, day=min(today.day, 28))
    if not oldest <= born <= youngest:
        return f"is not a plausible birth date (age {YOUNGEST_AGE_YEARS}-{OLDEST_AGE_YEARS})"
    return None


def check_patient_id(patient_id: str) -> None:
    """A patient ID as the clinic writes it (``P0001``), by the one ID rule (CLINIC_ID)."""
    try:
        CLINIC_ID.check(patient_id)
    except ValueError as exc:
        raise FollowupError(f"patient ID: {exc}") from None


def _clean(value: Any) -> Any:
    """Text as stored: without spaces at the ends; an empty text is no value."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _checked(values: Mapping[str, Any], today: date) -> dict[str, Any]:
    """``values`` (every field) validated by the patient model and converted by it, or a
    FollowupError naming the field."""
    model = validate(PatientBase, {k: v for k, v in values.items() if k != "site_id"}, LABELS)
    site_id = values["site_id"]
    if site_id is not None:
        try:
            CLINIC_ID.check(site_id)
        except ValueError as exc:
            raise FollowupError(f"site: {exc}") from None
    problem = birth_date_problem(model.birth_date, today)
    if problem is not None:
        raise FollowupError(f"birth date: {problem}")
    return {f: site_id if f == "site_id" else getattr(model, f) for f in FIELDS}


def _refuse_other_site(site_id: str | None, staff_site: str | None, patient_id: str) -> None:
    """Staff limited to a site work on that site's patients only."""
    if staff_site is not None and site_id != staff_site:
        raise PermissionDenied(
            f"patient {patient_id}: you are limited to site {staff_site} and add or edit only "
            "its patients"
        )


def add_patient(
    ctx: Context, draft: PatientDraft, actor: str, *, staff_site: str | None = None
) -> str:
    """Add a patient, audited. ``staff_site``: the adding staff member's site, if limited to
    one (the patient joins it when no site is given). Returns the patient ID."""
    check_patient_id(draft.patient_id)
    values = {f: _clean(getattr(draft, f)) for f in FIELDS}
    if values["site_id"] is None:
        values["site_id"] = staff_site
    _refuse_other_site(values["site_id"], staff_site, draft.patient_id)
    values = _checked(values, ctx.today())
    now = ctx.now()
    with write_session(ctx.engine) as session:
        if session.get(Patient, draft.patient_id) is not None:
            raise FollowupError(f"a patient with ID {draft.patient_id} already exists")
        if values["site_id"] is not None:
            require_site(session, values["site_id"])
        session.add(
            Patient(
                id=draft.patient_id,
                search_name=search_form(values["name"]),
                created_at=now,
                created_by=actor,
                **values,
            )
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="create",
            entity="patient",
            entity_id=draft.patient_id,
            patient_id=draft.patient_id,
            new={k: v for k, v in values.items() if v is not None},
        )
    return draft.patient_id


def edit_patient(
    ctx: Context,
    patient_id: str,
    changes: Mapping[str, Any],
    actor: str,
    reason: str | None = None,
    *,
    staff_site: str | None = None,
) -> PatientChange:
    """Change some of a patient's fields (``changes``: field -> new value; None or an empty
    text clears an optional field). Only fields whose value differs are changed and audited,
    old and new; a clinical field needs ``reason``. Nothing is written on any problem."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise FollowupError(f"unknown patient field {unknown[0]!r}")
    reason = typed_note(reason or "", "reason") or None
    with write_session(ctx.engine) as session:
        # Locked (PostgreSQL) so two edits at once each audit the value they really replaced.
        patient = session.get(Patient, patient_id, with_for_update=True)
        if patient is None:
            raise NotFound(f"no patient with ID {patient_id}")
        _refuse_other_site(patient.site_id, staff_site, patient_id)
        current = {f: getattr(patient, f) for f in FIELDS}
        wanted = _checked(current | {k: _clean(v) for k, v in changes.items()}, ctx.today())
        _refuse_other_site(wanted["site_id"], staff_site, patient_id)
        changed = [f for f in FIELDS if wanted[f] != current[f]]
        if not changed:
            return PatientChange(patient_id, {}, {})
        clinical = [f for f in changed if f in CLINICAL_FIELDS]
        if clinical and reason is None:
            raise ReasonRequired(
                f"changing {', '.join(LABELS[f] for f in clinical)} needs a reason: "
                "clinical fields are corrected, never silently changed"
            )
        if "site_id" in changed and wanted["site_id"] is not None:
            require_site(session, wanted["site_id"])
        return apply_changes(session, ctx, patient, wanted, actor, reason)


def apply_changes(
    session: Session,
    ctx: Context,
    patient: Patient,
    wanted: Mapping[str, Any],
    actor: str,
    reason: str | None,
) -> PatientChange:
    """Write the fields of ``wanted`` that differ into ``patient`` (checked already), with one
    audit event of the old and new values; re-evaluate the treated knees when smoker status
    changed. Inside the caller's transaction (an edit, or an import updating many patients)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field, value in wanted.items():
        if getattr(patient, field) != value:
            old[field] = getattr(patient, field)
            new[field] = value
            setattr(patient, field, value)
    if not new:
        return PatientChange(patient.id, {}, {})
    if "name" in new:
        patient.search_name = search_form(patient.name)
    session.add(patient)
    audit.record(
        session,
        at=ctx.now(),
        actor=actor,
        action="update",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        old=old,
        new=new,
        reason=reason,
    )
    knees: tuple[str, ...] = ()
    if "smoker" in new:
        session.flush()
        knees = treated_knees(session, patient.id)
        for knee in knees:
            reevaluate_knee(session, ctx, patient.id, knee)
    return PatientChange(patient.id, old, new, knees)


def treated_knees(session: Session, patient_id: str) -> tuple[str, ...]:
    """The knees of a patient that have a treatment, left first."""
    query = (
        select(Treatment.knee)
        .where(Treatment.patient_id == patient_id, Treatment.entered_in_error == False)  # noqa: E712
        .distinct()
    )
    return tuple(sorted(set(session.exec(query))))
