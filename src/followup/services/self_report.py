"""What the patient self-report app needs from the database, as plain read models.

A signed-in patient sees only their own knees in follow-up and their own trend, and can submit a
complete questionnaire for one of those knees. Every function takes the patient ID the sign-in
returned; nothing here lists or reads other patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from followup.domain.instrument import ITEM_KEYS
from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.store.engine import read_session
from followup.store.models import Treatment

SOURCE = "self_report"


def patient_actor(patient_id: str) -> str:
    """How a self-reporting patient appears in the audit trail."""
    return f"patient:{patient_id}"


@dataclass(frozen=True)
class KneeInFollowUp:
    """A knee that has had a treatment, with the date of its latest one."""

    knee: str
    treated_on: date


@dataclass(frozen=True)
class ScoreTrend:
    """One score (normalised 0-100, lower is better) of one knee since its latest treatment."""

    now: float | None
    now_on: date | None
    before: float | None  # the baseline of the latest treatment
    since_treatment: tuple[float, ...]  # oldest first, after the treatment date, scored only


@dataclass(frozen=True)
class OwnTrend:
    """A patient's own pain and function for one knee, for the thank-you screen."""

    knee: str
    treated_on: date
    pain: ScoreTrend
    function: ScoreTrend


@dataclass(frozen=True)
class SubmittedReport:
    """A self-report saved from the kiosk, and whether the patient reported a problem."""

    assessment_id: int
    problem_reported: bool


def knees_in_follow_up(ctx: Context, patient_id: str) -> list[KneeInFollowUp]:
    """The patient's treated knees (treatment on or before today), left first."""
    latest = func.max(Treatment.treated_on)
    query = (
        select(Treatment.knee, latest)
        .where(
            Treatment.patient_id == patient_id,
            Treatment.treated_on <= ctx.today(),
            Treatment.entered_in_error == False,  # noqa: E712
        )
        .group_by(Treatment.knee)
        .order_by(Treatment.knee)
    )
    with read_session(ctx.engine) as session:
        rows = session.exec(query).all()
    return [KneeInFollowUp(knee=knee, treated_on=_as_date(day)) for knee, day in rows]


def own_trend(ctx: Context, patient_id: str, knee: str) -> OwnTrend | None:
    """Pain and function of one knee since its latest treatment; None if it has no treatment."""
    for trajectory in knee_trajectories(ctx, patient_id):
        if trajectory.knee == knee:
            return OwnTrend(
                knee=knee,
                treated_on=trajectory.treatments[-1][1],
                pain=_score_trend(trajectory, "pain"),
                function=_score_trend(trajectory, "function"),
            )
    return None


def _score_trend(trajectory: KneeTrajectory, domain: str) -> ScoreTrend:
    treated_on = trajectory.treatments[-1][1]
    latest = trajectory.points[-1] if trajectory.points else None
    ref = trajectory.references.get(domain)
    return ScoreTrend(
        now=getattr(latest, domain) if latest else None,
        now_on=latest.assessed_on if latest else None,
        before=ref.baseline if ref else None,
        # A form with too many of this domain's items left out has no score for it.
        since_treatment=tuple(
            value
            for p in trajectory.points
            if p.assessed_on > treated_on and (value := getattr(p, domain)) is not None
        ),
    )


def submit_self_report(
    ctx: Context,
    patient_id: str,
    knee: str,
    answers: Mapping[str, int | None],
    problem: str | None = None,
) -> SubmittedReport:
    """Store a patient's own complete questionnaire for one of their knees in follow-up, dated
    today, with an optional new problem as the adverse event (which raises a safety flag)."""
    if knee not in {k.knee for k in knees_in_follow_up(ctx, patient_id)}:
        raise FollowupError("this knee is not in follow-up for this patient")
    if any(answers.get(key) is None for key in ITEM_KEYS):
        raise FollowupError("a self-report must answer every question")
    problem = (problem or "").strip() or None
    saved = record_assessment(
        ctx,
        AssessmentEntry(
            patient_id=patient_id,
            knee=knee,
            assessed_on=ctx.today(),
            source=SOURCE,
            answers={key: answers[key] for key in ITEM_KEYS},
            adverse_event=problem,
        ),
        actor=patient_actor(patient_id),
    )
    return SubmittedReport(assessment_id=saved.id, problem_reported=problem is not None)


def _as_date(value: date | str) -> date:
    # SQLite returns aggregates of date columns as text.
    return value if isinstance(value, date) else date.fromisoformat(value[:10])
