"""Recording one assessment (phone, clinic, paper or self-report) and correcting a wrong one as
"entered in error". Saving re-evaluates that knee's flags in the same transaction, so a new
safety flag shows the moment it is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, func, select

from followup.domain.flags import Finding
from followup.domain.instrument import ITEM_KEYS
from followup.domain.scoring import Scores, score
from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.services.evaluate_flags import reevaluate_knee
from followup.services.notes import typed_note
from followup.store.engine import read_session, write_session
from followup.store.fields import validate
from followup.store.locks import get_locked, lock_patient
from followup.store.models import Assessment, AssessmentBase, Flag, Treatment
from followup.store.scores import score_columns


@dataclass(frozen=True)
class AssessmentEntry:
    """One form as entered: answers by item key (0-4, or None for "declined to answer")."""

    patient_id: str
    knee: str
    assessed_on: date
    source: str
    answers: Mapping[str, int | None]
    pain_nrs: int | None = None
    patient_global: int | None = None
    adverse_event: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SavedAssessment:
    """A saved assessment: its scores, the knee's open flags and which of them it raised."""

    id: int
    scores: Scores
    open_findings: list[Finding] = field(default_factory=list)
    new_kinds: list[str] = field(default_factory=list)


def latest_treatments(ctx: Context, patient_id: str) -> dict[str, date]:
    """Each treated knee of a patient with the day of its latest treatment (an untreated knee
    is missing; a treatment entered in error does not count): a form for a knee with no
    treatment on record starts no episode, so the entry screen asks before taking one."""
    query = (
        select(Treatment.knee, func.max(Treatment.treated_on))
        .where(
            Treatment.patient_id == patient_id,
            Treatment.entered_in_error == False,  # noqa: E712
        )
        .group_by(Treatment.knee)  # type: ignore[arg-type]
    )
    with read_session(ctx.engine) as session:
        return {knee: day for knee, day in session.exec(query)}


def check_assessed_on(assessed_on: date, today: date) -> None:
    """Refuse a date no form can have been answered on. Entry screens check a typed date with
    this as soon as it is typed; ``record_assessment`` checks it again when saving."""
    if assessed_on > today:
        raise FollowupError(
            f"{assessed_on.isoformat()} is after today ({today.isoformat()}): "
            "an assessment cannot be dated in the future"
        )


# How the form names each field in a message.
LABELS = {
    "knee": "knee",
    "source": "source",
    "pain_nrs": "pain NRS",
    "patient_global": "patient global assessment",
    "adverse_event": "the adverse event",
    "note": "the note",
    **{key: f"item {key}" for key in ITEM_KEYS},
}


def _check_entry(entry: AssessmentEntry, today: date) -> None:
    """Every range as the assessment table states it, then what a model cannot say alone."""
    validate(
        AssessmentBase,
        {
            "knee": entry.knee,
            "assessed_on": entry.assessed_on,
            "source": entry.source,
            **{k: entry.answers.get(k) for k in ITEM_KEYS},
            "pain_nrs": entry.pain_nrs,
            "patient_global": entry.patient_global,
            "adverse_event": entry.adverse_event,
            "note": entry.note,
        },
        LABELS,
    )
    unknown = sorted(set(entry.answers) - set(ITEM_KEYS))
    if unknown:
        raise FollowupError(f"unknown questionnaire item {unknown[0]!r}")
    check_assessed_on(entry.assessed_on, today)
    if all(entry.answers.get(k) is None for k in ITEM_KEYS):
        raise FollowupError("no questionnaire item is answered")


def _open_kinds(session: Session, patient_id: str, knee: str) -> set[tuple[str, str]]:
    query = select(Flag.treatment_id, Flag.kind).where(
        Flag.patient_id == patient_id, Flag.knee == knee, Flag.status == "open"
    )
    return set(session.exec(query))


def record_assessment(ctx: Context, entry: AssessmentEntry, actor: str) -> SavedAssessment:
    """Score and store a form, audit it, and re-evaluate that knee's flags, all in one
    transaction. Returns the scores and the knee's open findings (with the newly raised kinds)."""
    _check_entry(entry, ctx.today())
    scores = score(entry.answers, ctx.instrument.version)
    now = ctx.now()
    clean = lambda t: (t.strip() or None) if t else None  # noqa: E731
    with write_session(ctx.engine) as session:
        # The patient's row lock first: two saves on one knee at once queue here, and the
        # second brings the flags up to date from what the first stored.
        if not lock_patient(session, entry.patient_id):
            raise NotFound(f"no patient with ID {entry.patient_id}")
        before = _open_kinds(session, entry.patient_id, entry.knee)
        row = Assessment(
            patient_id=entry.patient_id,
            knee=entry.knee,
            assessed_on=entry.assessed_on,
            source=entry.source,
            **{k: entry.answers.get(k) for k in ITEM_KEYS},
            pain_nrs=entry.pain_nrs,
            patient_global=entry.patient_global,
            adverse_event=clean(entry.adverse_event),
            note=clean(entry.note),
            **score_columns(scores),
            entered_in_error=False,
            created_at=now,
            created_by=actor,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=actor,
            action="create",
            entity="assessment",
            entity_id=row.id,
            patient_id=entry.patient_id,
            new=row.model_dump(exclude={"id", "created_at", "created_by"}),
        )
        pairs = reevaluate_knee(session, ctx, entry.patient_id, entry.knee)
        findings = [f for _e, found in pairs for f in found]
        new_kinds = [
            f.kind for e, found in pairs for f in found if (e.treatment.id, f.kind) not in before
        ]
        return SavedAssessment(
            id=row.id or 0, scores=scores, open_findings=findings, new_kinds=new_kinds
        )


def mark_entered_in_error(ctx: Context, assessment_id: int, reason: str, actor: str) -> None:
    """Correct a wrong assessment: it stays in the database, marked, with the reason; flags of
    that knee are re-evaluated without it."""
    reason = typed_note(reason, "reason")
    if not reason:
        raise FollowupError("a reason is required to mark an assessment as entered in error")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        row = get_locked(session, Assessment, assessment_id)
        if row is None:
            raise NotFound(f"no assessment with id {assessment_id}")
        if row.entered_in_error:
            raise FollowupError(f"assessment {assessment_id} is already marked entered in error")
        row.entered_in_error = True
        row.error_reason = reason
        session.add(row)
        audit.record(
            session,
            at=now,
            actor=actor,
            action="entered_in_error",
            entity="assessment",
            entity_id=assessment_id,
            patient_id=row.patient_id,
            old={"entered_in_error": False},
            new={"entered_in_error": True},
            reason=reason,
        )
        session.flush()
        reevaluate_knee(session, ctx, row.patient_id, row.knee)
