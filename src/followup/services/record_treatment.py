"""Recording a treatment or a booster where it is decided (the review queue, the patient screen,
the command line), checked as the import checks a row, and correcting one entered in error.

A booster is a later treatment of the same knee, linked to the one it boosts (``booster_of``,
suggested from the knee's latest treatment) and usually drawn from a banked dose: the doses left
after it are one fewer than before. Recording it supersedes the earlier episode, whose open flags
close with the reason, and re-evaluates the knee at once. A wrongly entered treatment is never
deleted: it is marked entered in error with a reason, its flags close, and the knee is
re-evaluated without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, col, select

from followup.domain.records import KNEES
from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.services.evaluate_flags import reevaluate_knee
from followup.services.notes import typed_note
from followup.store.engine import read_session, write_session
from followup.store.fields import CLINIC_ID, validate
from followup.store.locks import get_locked, lock_patient
from followup.store.models import (
    EpisodeEvaluation,
    Flag,
    Patient,
    Treatment,
    TreatmentBase,
)

LABELS = {
    "knee": "knee",
    "treated_on": "treated on",
    "product": "product",
    "cells_millions": "cells (millions)",
    "route": "route",
    "kl_grade": "KL grade",
    "banked_doses": "banked doses left",
}
ERROR_REASON = "treatment entered in error"


@dataclass(frozen=True)
class TreatmentDraft:
    """A treatment as staff enter it; ``treatment_id`` None: the next free ``T00042``."""

    patient_id: str
    knee: str
    treated_on: date
    product: str
    route: str = "intra_articular"
    cells_millions: float | None = None
    kl_grade: int | None = None
    booster_of: str | None = None
    banked_doses: int | None = None
    treatment_id: str | None = None


@dataclass(frozen=True)
class RecordedTreatment:
    """What was recorded, and what it changed."""

    treatment_id: str
    booster_of: str | None
    banked_doses: int | None
    superseded_flags: int


@dataclass(frozen=True)
class KneeTreatment:
    """A treatment a booster may be of: the form's pick list."""

    id: str
    knee: str
    treated_on: date
    product: str


def treatments_to_boost(ctx: Context, patient_id: str) -> list[KneeTreatment]:
    """The patient's treatments that count (not entered in error), by knee and date."""
    query = (
        select(Treatment)
        .where(Treatment.patient_id == patient_id, Treatment.entered_in_error == False)  # noqa: E712
        .order_by(Treatment.knee, Treatment.treated_on, Treatment.id)  # type: ignore[arg-type]
    )
    with read_session(ctx.engine) as session:
        return [KneeTreatment(t.id, t.knee, t.treated_on, t.product) for t in session.exec(query)]


def booster_suggestion(ctx: Context, patient_id: str, knee: str, on: date) -> TreatmentDraft | None:
    """A booster of the knee's latest treatment before ``on`` (same product, grade and route;
    one banked dose fewer when doses are banked), or None when the knee has no treatment."""
    with read_session(ctx.engine) as session:
        latest = session.exec(
            select(Treatment)
            .where(
                Treatment.patient_id == patient_id,
                Treatment.knee == knee,
                Treatment.entered_in_error == False,  # noqa: E712
                Treatment.treated_on < on,
            )
            .order_by(col(Treatment.treated_on).desc())
        ).first()
    if latest is None:
        return None
    banked = latest.banked_doses
    return TreatmentDraft(
        patient_id, knee, on, latest.product, latest.route, latest.cells_millions,
        latest.kl_grade, latest.id, None if banked is None else max(banked - 1, 0),
    )  # fmt: skip


def record_treatment(ctx: Context, draft: TreatmentDraft, actor: str) -> RecordedTreatment:
    """Check and store a treatment, audit it, and re-evaluate the knee in the same transaction."""
    _check_fields(draft)
    if draft.treated_on > ctx.today():
        raise FollowupError(f"treated on: {draft.treated_on.isoformat()} is in the future")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        lock_patient(session, draft.patient_id)  # saves on one knee queue (see store.locks)
        patient = session.get(Patient, draft.patient_id)
        if patient is None:
            raise NotFound(f"no patient with ID {draft.patient_id}")
        if draft.treated_on < patient.birth_date:
            raise FollowupError("treated on: is before the patient's birth date")
        draft = _with_id(session, draft)
        _check_knee(session, draft)
        before = _open_flags(session, draft.patient_id, draft.knee)
        row = Treatment(
            id=draft.treatment_id, patient_id=draft.patient_id, knee=draft.knee,
            treated_on=draft.treated_on, product=draft.product, route=draft.route,
            cells_millions=draft.cells_millions, kl_grade=draft.kl_grade,
            booster_of=draft.booster_of, banked_doses=draft.banked_doses, created_at=now,
            created_by=actor,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, at=now, actor=actor, action="create", entity="treatment",
            entity_id=row.id, patient_id=draft.patient_id,
            new=row.model_dump(exclude={"created_at", "created_by"}, mode="json"),
        )  # fmt: skip
        reevaluate_knee(session, ctx, draft.patient_id, draft.knee)
        closed = before - _open_flags(session, draft.patient_id, draft.knee)
        return RecordedTreatment(row.id, row.booster_of, row.banked_doses, len(closed))


def mark_treatment_entered_in_error(
    ctx: Context, treatment_id: str, reason: str, actor: str
) -> None:
    """Correct a wrongly entered treatment: it stays, marked, with the reason; its open flags
    close and the knee is re-evaluated without it."""
    reason = typed_note(reason, "reason")
    if not reason:
        raise FollowupError("a reason is required to mark a treatment as entered in error")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        row = get_locked(session, Treatment, treatment_id)
        if row is None:
            raise NotFound(f"no treatment with ID {treatment_id}")
        if row.entered_in_error:
            raise FollowupError(f"treatment {treatment_id} is already marked entered in error")
        boosters = session.exec(
            select(Treatment.id).where(
                Treatment.booster_of == treatment_id,
                Treatment.entered_in_error == False,  # noqa: E712
            )
        ).all()
        if boosters:
            raise FollowupError(
                f"treatment {treatment_id} is boosted by {', '.join(boosters)}; "
                "mark the booster entered in error first"
            )
        row.entered_in_error, row.error_reason = True, reason
        session.add(row)
        for flag in session.exec(
            select(Flag).where(Flag.treatment_id == treatment_id, Flag.status == "open")
        ):
            flag.status, flag.closed_at, flag.updated_at = "cleared", now, now
            flag.closed_reason = ERROR_REASON
            session.add(flag)
        stored = session.get(EpisodeEvaluation, treatment_id)
        if stored is not None:  # derived data of a treatment that no longer counts
            session.delete(stored)
        audit.record(
            session, at=now, actor=actor, action="entered_in_error", entity="treatment",
            entity_id=treatment_id, patient_id=row.patient_id,
            old={"entered_in_error": False}, new={"entered_in_error": True}, reason=reason,
        )  # fmt: skip
        session.flush()
        reevaluate_knee(session, ctx, row.patient_id, row.knee)


def _check_fields(draft: TreatmentDraft) -> None:
    if draft.knee not in KNEES:
        raise FollowupError("knee: must be left or right")
    validate(
        TreatmentBase,
        {
            "knee": draft.knee, "treated_on": draft.treated_on, "product": draft.product,
            "cells_millions": draft.cells_millions, "route": draft.route,
            "kl_grade": draft.kl_grade, "banked_doses": draft.banked_doses,
        },
        LABELS,
    )  # fmt: skip
    tid = draft.treatment_id
    try:
        CLINIC_ID.check(tid)  # a new ID; the one boosted exists, whatever it looks like
    except ValueError as exc:
        raise FollowupError(f"treatment ID: {exc}") from None


_NUMBERED = re.compile(r"T(\d+)")


def _with_id(session: Session, draft: TreatmentDraft) -> TreatmentDraft:
    """The draft with its ID: the one given (refused when taken) or the next free ``T00042``."""
    if draft.treatment_id is not None:
        if session.get(Treatment, draft.treatment_id) is not None:
            raise FollowupError(f"treatment ID: {draft.treatment_id} already exists")
        return draft
    ids = session.exec(select(Treatment.id).where(col(Treatment.id).like("T%"))).all()
    numbers = [int(m.group(1)) for i in ids if (m := _NUMBERED.fullmatch(i))]
    return replace(draft, treatment_id=f"T{max(numbers, default=0) + 1:05d}")


def _check_knee(session: Session, draft: TreatmentDraft) -> None:
    """One treatment of a knee a day; a booster is of an earlier treatment of the same knee."""
    same_day = session.exec(
        select(Treatment.id).where(
            Treatment.patient_id == draft.patient_id, Treatment.knee == draft.knee,
            Treatment.treated_on == draft.treated_on,
            Treatment.entered_in_error == False,  # noqa: E712
        )
    ).first()  # fmt: skip
    if same_day is not None:
        raise FollowupError(
            f"treated on: {draft.patient_id} already has a treatment of the {draft.knee} knee "
            f"on {draft.treated_on.isoformat()} ({same_day})"
        )
    if draft.booster_of is None:
        return
    parent = session.get(Treatment, draft.booster_of)
    if parent is None or parent.entered_in_error:
        raise FollowupError(f"booster of: {draft.booster_of} is not a known treatment")
    if (parent.patient_id, parent.knee) != (draft.patient_id, draft.knee):
        raise FollowupError(f"booster of: {draft.booster_of} is not a treatment of the same knee")
    if parent.treated_on >= draft.treated_on:
        raise FollowupError(f"booster of: {draft.booster_of} is not earlier than this treatment")


def _open_flags(session: Session, patient_id: str, knee: str) -> set[int]:
    query = select(Flag.id).where(
        Flag.patient_id == patient_id, Flag.knee == knee, Flag.status == "open"
    )
    return {i for i in session.exec(query) if i is not None}
