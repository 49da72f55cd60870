"""The patient screen's read model: details and risk factors, treatments, assessments,
contacts and open flags, read in one short session of indexed look-ups by patient; the UI gets
frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from followup.domain.flags.calls import Call
from followup.errors import NotFound, PermissionDenied
from followup.services.context import Context
from followup.services.review_queue import FlagView, flags_with_ids
from followup.store.engine import read_session
from followup.store.models import Assessment, Contact, Flag, Patient, Treatment
from followup.store.review_tables import EpisodeEvaluation

CONTACT_LIMIT = 500


@dataclass(frozen=True)
class TreatmentLine:
    """One treatment as the patient screen lists it."""

    id: str
    knee: str
    treated_on: date
    product: str
    cells_millions: float | None
    route: str
    kl_grade: int | None
    booster_of: str | None
    banked_doses: int | None
    error_reason: str | None = None  # set when the treatment was marked entered in error

    @property
    def entered_in_error(self) -> bool:
        """Marked entered in error: shown struck through, never counted."""
        return self.error_reason is not None


@dataclass(frozen=True)
class ContactLine:
    """One call or contact as the patient screen lists it."""

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
    created_at: datetime | None = None  # UTC


@dataclass(frozen=True)
class CallLine:
    """A knee's next call as the last evaluation stored it (the worklist shows the same):
    follow-up or confirmation, due day and window, why, and its status on a day."""

    knee: str
    call: Call


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
    language: str | None = None  # an IETF tag: en, ja, pt-BR
    calls: tuple[CallLine, ...] = ()  # each knee's next call, soonest first

    def age(self, today: date) -> int:
        """The patient's age in whole years on ``today``."""
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def treatments_of(self, knee: str) -> tuple[TreatmentLine, ...]:
        """The treatments given to one knee, in the order they were given."""
        return tuple(t for t in self.treatments if t.knee == knee)

    @property
    def treated_knees(self) -> tuple[str, ...]:
        """The knees with a treatment that counts (not entered in error), left first."""
        return tuple(
            k
            for k in ("left", "right")
            if any(not t.entered_in_error for t in self.treatments_of(k))
        )


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
                error_reason=t.error_reason if t.entered_in_error else None,
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
                created_at=_aware(a.created_at),
            )
            for a in session.exec(
                select(Assessment)
                .where(Assessment.patient_id == patient_id)
                .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())  # type: ignore[attr-defined]
            )
        )
        calls = _calls(session, [t.id for t in treatments])
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
            language=p.language,
        )
    return PatientDetail(
        **detail,
        treatments=treatments,
        contacts=contacts,
        assessments=assessments,
        flags=tuple(flags_with_ids(ctx, flag_ids)),  # urgent first, as open_flags gives them
        calls=calls,
    )


def _calls(session: Session, treatment_ids: list[str]) -> tuple[CallLine, ...]:
    """The stored next calls of these episodes (by their primary key), soonest first."""
    if not treatment_ids:
        return ()
    e = EpisodeEvaluation
    rows = session.exec(
        select(e).where(
            e.treatment_id.in_(treatment_ids),  # type: ignore[attr-defined]
            e.call_timepoint != None,  # noqa: E711
        )
    )
    calls = [
        CallLine(
            r.knee,
            Call(
                r.call_timepoint,
                r.call_due_on,
                r.call_window_start,
                r.call_window_end,
                r.call_reason,
            ),
        )  # type: ignore[arg-type]  # fmt: skip
        for r in rows
    ]
    return tuple(sorted(calls, key=lambda c: (c.call.due_on, c.knee)))
