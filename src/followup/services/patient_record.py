"""Read models for finding a patient and for the patient screen.

Search answers every keystroke, so it never scans more than it must: an ID prefix is a range on
the primary key, a name fragment walks the search-name index in order and stops at the limit.
The detail is one short read session of indexed look-ups by patient; the UI gets frozen
dataclasses, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from followup.domain.names import search_form
from followup.errors import NotFound, PermissionDenied
from followup.services.context import Context
from followup.services.review_queue import FlagView, flags_with_ids
from followup.store.engine import read_session
from followup.store.models import Assessment, Contact, Flag, Patient, Treatment

SEARCH_LIMIT = 50
CONTACT_LIMIT = 500
MAX_QUERY = 80


@dataclass(frozen=True)
class PatientHit:
    """One search result: enough to tell two patients of the same name apart on the phone."""

    id: str
    name: str
    birth_date: date
    phone: str | None
    site_id: str | None


@dataclass(frozen=True)
class TreatmentLine:
    id: str
    knee: str
    treated_on: date
    product: str
    cells_millions: float | None
    route: str
    kl_grade: int | None
    booster_of: str | None
    banked_doses: int | None


@dataclass(frozen=True)
class ContactLine:
    id: int
    contacted_at: datetime  # UTC
    utc_offset_minutes: int | None
    outcome: str
    note: str | None
    created_by: str

    @property
    def caller_time(self) -> datetime:
        """The time of the call as the caller recorded it (their offset)."""
        offset = timedelta(minutes=self.utc_offset_minutes or 0)
        return self.contacted_at.astimezone(UTC) + offset


@dataclass(frozen=True)
class AssessmentLine:
    """One stored form with its normalised scores (None when a subscale is invalid)."""

    id: int
    knee: str
    assessed_on: date
    source: str
    pain: float | None
    stiffness: float | None
    function: float | None
    total: float | None
    answered: int
    imputed: int
    pain_nrs: int | None
    patient_global: int | None
    adverse_event: str | None
    note: str | None
    entered_in_error: bool
    error_reason: str | None
    created_by: str


@dataclass(frozen=True)
class PatientDetail:
    """Everything the patient screen shows, read in one go."""

    id: str
    name: str
    birth_date: date
    sex: str | None
    phone: str | None
    email: str | None
    timezone: str | None
    site_id: str | None
    smoker: bool | None
    diabetes: bool | None
    bmi: float | None
    activity: str | None
    treatments: tuple[TreatmentLine, ...]  # by knee, then date
    contacts: tuple[ContactLine, ...]  # newest first
    assessments: tuple[AssessmentLine, ...]  # newest first
    flags: tuple[FlagView, ...]  # open, urgent first (as flags.open_flags orders them)

    def age(self, today: date) -> int:
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def treatments_of(self, knee: str) -> tuple[TreatmentLine, ...]:
        return tuple(t for t in self.treatments if t.knee == knee)

    @property
    def treated_knees(self) -> tuple[str, ...]:
        return tuple(k for k in ("left", "right") if self.treatments_of(k))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _name_conditions(text: str) -> list[Any]:
    """Every word of ``text`` somewhere in the name, ignoring case and accents: "jose munoz"
    finds "José Muñoz". Both sides are in search form (``search_form``), so a plain LIKE
    compares them on either database, without a function call per row."""
    return [
        Patient.search_name.like(f"%{_escape_like(word)}%", escape="\\")
        for word in search_form(text).split()
    ]


def _hit(row: Any) -> PatientHit:
    return PatientHit(id=row[0], name=row[1], birth_date=row[2], phone=row[3], site_id=row[4])


_HIT_COLUMNS = (Patient.id, Patient.name, Patient.birth_date, Patient.phone, Patient.site_id)


def search_patients(
    ctx: Context, query: str, *, limit: int = SEARCH_LIMIT, site_id: str | None = None
) -> list[PatientHit]:
    """Patients whose ID starts with ``query`` (first) or whose name contains every word of it,
    ignoring case and accents (those in name order); at most ``limit``. ``site_id`` limits the
    search to one site."""
    text = " ".join(query.split())[:MAX_QUERY]
    if not text:
        return []
    found: dict[str, PatientHit] = {}
    with read_session(ctx.engine) as session:
        # One range per spelling (as typed, upper case): each walks the primary key in order
        # and stops at the limit; an OR of the two would sort every match first.
        by_id: list[PatientHit] = []
        for prefix in sorted({text, text.upper()}):
            query = select(*_HIT_COLUMNS).where(
                Patient.id >= prefix, Patient.id < _next_prefix(prefix)
            )
            if site_id is not None:
                query = query.where(Patient.site_id == site_id)
            by_id.extend(_hit(row) for row in session.exec(query.order_by(Patient.id).limit(limit)))
        for hit in sorted(by_id, key=lambda h: h.id)[:limit]:
            found[hit.id] = hit
        conditions = _name_conditions(text)
        if len(found) < limit and conditions:
            by_name = select(*_HIT_COLUMNS).where(*conditions)
            if site_id is not None:
                by_name = by_name.where(Patient.site_id == site_id)
            by_name = by_name.order_by(Patient.search_name, Patient.id).limit(limit)
            for row in session.exec(by_name):
                found.setdefault(row[0], _hit(row))
    return list(found.values())[:limit]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def patient_detail(ctx: Context, patient_id: str, *, site_id: str | None = None) -> PatientDetail:
    """The patient screen's read model. ``site_id`` refuses patients of other sites."""
    with read_session(ctx.engine) as session:
        p = session.get(Patient, patient_id)
        if p is None:
            raise NotFound(f"no patient with ID {patient_id}")
        if site_id is not None and p.site_id != site_id:
            raise PermissionDenied(f"patient {patient_id} belongs to another site")
        treatments = tuple(
            TreatmentLine(
                id=t.id,
                knee=t.knee,
                treated_on=t.treated_on,
                product=t.product,
                cells_millions=t.cells_millions,
                route=t.route,
                kl_grade=t.kl_grade,
                booster_of=t.booster_of,
                banked_doses=t.banked_doses,
            )
            for t in session.exec(
                select(Treatment)
                .where(Treatment.patient_id == patient_id)
                .order_by(Treatment.knee, Treatment.treated_on, Treatment.id)
            )
        )
        contacts = tuple(
            ContactLine(
                id=c.id or 0,
                contacted_at=_aware(c.contacted_at),
                utc_offset_minutes=c.utc_offset_minutes,
                outcome=c.outcome,
                note=c.note,
                created_by=c.created_by,
            )
            for c in session.exec(
                select(Contact)
                .where(Contact.patient_id == patient_id)
                .order_by(Contact.contacted_at.desc(), Contact.id.desc())  # type: ignore[attr-defined]
                .limit(CONTACT_LIMIT)
            )
        )
        assessments = tuple(
            AssessmentLine(
                id=a.id or 0,
                knee=a.knee,
                assessed_on=a.assessed_on,
                source=a.source,
                pain=a.pain_score,
                stiffness=a.stiffness_score,
                function=a.function_score,
                total=a.total_score,
                answered=a.answered,
                imputed=a.imputed,
                pain_nrs=a.pain_nrs,
                patient_global=a.patient_global,
                adverse_event=a.adverse_event,
                note=a.note,
                entered_in_error=bool(a.entered_in_error),
                error_reason=a.error_reason,
                created_by=a.created_by,
            )
            for a in session.exec(
                select(Assessment)
                .where(Assessment.patient_id == patient_id)
                .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())  # type: ignore[attr-defined]
            )
        )
        # Found through the episodes (the open flags' unique index on treatment and kind).
        flag_ids: list[int] = []
        if treatments:
            query = select(Flag.id).where(
                Flag.status == "open",
                Flag.treatment_id.in_([t.id for t in treatments]),  # type: ignore[union-attr]
            )
            flag_ids = [fid for fid in session.exec(query) if fid is not None]
        detail = dict(
            id=p.id,
            name=p.name,
            birth_date=p.birth_date,
            sex=p.sex,
            phone=p.phone,
            email=p.email,
            timezone=p.timezone,
            site_id=p.site_id,
            smoker=p.smoker,
            diabetes=p.diabetes,
            bmi=p.bmi,
            activity=p.activity,
        )
    return PatientDetail(
        **detail,
        treatments=treatments,
        contacts=contacts,
        assessments=assessments,
        flags=tuple(flags_with_ids(ctx, flag_ids)),  # urgent first, as open_flags gives them
    )
