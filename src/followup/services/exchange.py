"""Read models for exchanging data with other systems (the REDCap and FHIR writers in
``followup.reports``): patients, and assessments with their scores and the follow-up event each
belongs to. The writers render these plain records; they never query the database.

Where an assessment belongs (its *event*, in REDCap's words) is worked out per knee from the
knee's treatments and the clinic's schedule (``domain.schedule.timepoints_for``):

- in a timepoint window of the episode of the knee's latest treatment dated before it (windows
  cut at the next treatment, as the schedule cuts them): that timepoint (``2w``, ``6w``, ``3m``...);
- otherwise, within the baseline look-back of the knee's next treatment (from ``lookback_days``
  before it up to and including its day): ``baseline`` of that treatment;
- otherwise ``unscheduled`` (between windows, before any treatment, or a knee never treated).

A follow-up window wins over a later treatment's baseline: the assessment was asked for by the
earlier episode's schedule. Either way the treatment it was placed under is carried with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import select

from followup.domain.instrument import ITEM_KEYS
from followup.domain.rules import RuleSet
from followup.domain.schedule import timepoints_for
from followup.errors import NotFound
from followup.services.context import Context
from followup.store.engine import read_session
from followup.store.models import MAX_TEXT as STORED_TEXT_MAX
from followup.store.models import Assessment, Patient, Treatment
from followup.store.scores import rounded_scores

# The longest free text a form may hold, for writers that state it (REDCap's field notes).
MAX_TEXT = STORED_TEXT_MAX

BASELINE = "baseline"
UNSCHEDULED = "unscheduled"
# Months as days for REDCap's event offsets, which are whole days (a mean month).
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class FollowUpEvent:
    """One event of the exchange schedule: ``baseline``, each scheduled timepoint, then
    ``unscheduled``. ``day_offset`` is the due day after treatment (months as mean months);
    ``days_before`` and ``days_after`` the window around it."""

    label: str
    day_offset: int
    days_before: int
    days_after: int


def follow_up_events(rules: RuleSet) -> list[FollowUpEvent]:
    """The events an assessment can be placed in, in the order a clinic sees them."""
    lookback = rules.baseline.lookback.days
    events = [FollowUpEvent(BASELINE, 0, lookback, 0)]
    for step in rules.schedule.timepoints:
        offset = round(step.months * DAYS_PER_MONTH) + step.days
        events.append(FollowUpEvent(step.label, offset, step.window_days, step.window_days))
    # After every scheduled one, so a system that orders events by offset lists it last.
    events.append(FollowUpEvent(UNSCHEDULED, events[-1].day_offset + 1, 0, 0))
    return events


class KneeTreatment(NamedTuple):
    """A treatment of one knee, as placement needs it."""

    id: str
    treated_on: date


class Placement(NamedTuple):
    """The event an assessment belongs to, and the treatment it was placed under (None for an
    assessment of a knee before its first treatment, outside any baseline look-back)."""

    event: str
    treatment_id: str | None


def place(treatments: Sequence[KneeTreatment], on: date, rules: RuleSet) -> Placement:
    """Where an assessment of a knee dated ``on`` belongs, given the knee's treatments in date
    order (see the module docstring for the rule)."""
    before = None
    for i, t in enumerate(treatments):
        if t.treated_on < on:
            before = i
    if before is not None:
        current = treatments[before]
        following = treatments[before + 1] if before + 1 < len(treatments) else None
        next_on = following.treated_on if following is not None else None
        for tp in timepoints_for(current.treated_on, next_on, rules):
            if tp.window_start <= on <= tp.window_end:
                return Placement(tp.label, current.id)
    upcoming = treatments[before + 1 :] if before is not None else treatments
    if upcoming and upcoming[0].treated_on - rules.baseline.lookback <= on:
        return Placement(BASELINE, upcoming[0].id)
    return Placement(UNSCHEDULED, treatments[before].id if before is not None else None)


@dataclass(frozen=True)
class ExchangePatient:
    """A patient as other systems receive them (no risk factors, no self-report codes)."""

    patient_id: str
    name: str
    birth_date: date
    sex: str | None
    phone: str | None
    email: str | None
    site: str | None


@dataclass(frozen=True)
class ExchangeAssessment:
    """One valid-entry assessment of one knee: answers in ``ITEM_KEYS`` order (None when not
    answered), extras, normalised scores (0-100, None when invalid, rounded to 2 decimals), and
    where it belongs (event and treatment)."""

    assessment_id: int
    patient_id: str
    knee: str
    assessed_on: date
    source: str
    answers: tuple[int | None, ...]
    pain_nrs: int | None
    patient_global: int | None
    adverse_event: str | None
    note: str | None
    pain_score: float | None
    stiffness_score: float | None
    function_score: float | None
    total_score: float | None
    instrument_version: str
    event: str
    treatment_id: str | None

    def answer(self, key: str) -> int | None:
        """The answer to item ``key`` (``p1``...``f17``)."""
        return self.answers[ITEM_KEYS.index(key)]

    @property
    def scores(self) -> dict[str, float | None]:
        """The subscale and total scores by name."""
        return {
            "pain": self.pain_score,
            "stiffness": self.stiffness_score,
            "function": self.function_score,
            "total": self.total_score,
        }


def _check_patient(session: object, patient_id: str | None) -> None:
    if patient_id is not None and session.get(Patient, patient_id) is None:  # type: ignore[attr-defined]
        raise NotFound(f"no patient with ID {patient_id}")


def exchange_patients(ctx: Context, patient_id: str | None = None) -> list[ExchangePatient]:
    """Every patient (or the one asked for), by ID."""
    query = select(Patient).order_by(Patient.id)
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    with read_session(ctx.engine) as session:
        _check_patient(session, patient_id)
        return [
            ExchangePatient(p.id, p.name, p.birth_date, p.sex, p.phone, p.email, p.site_id)
            for p in session.scalars(query)
        ]


def exchange_assessments(
    ctx: Context, patient_id: str | None = None
) -> Iterator[ExchangeAssessment]:
    """Every assessment not entered in error (of one patient, when asked), in (patient, knee,
    date) order, each placed in its event. Streams: a whole cohort is never held at once."""
    rules = ctx.rules
    with read_session(ctx.engine) as session:
        _check_patient(session, patient_id)
        treated = select(
            Treatment.patient_id, Treatment.knee, Treatment.id, Treatment.treated_on
        ).where(Treatment.entered_in_error == False)  # noqa: E712
        found = select(Assessment).where(Assessment.entered_in_error == False)  # noqa: E712
        if patient_id is not None:
            treated = treated.where(Treatment.patient_id == patient_id)
            found = found.where(Assessment.patient_id == patient_id)
        knees: dict[tuple[str, str], list[KneeTreatment]] = defaultdict(list)
        treated = treated.order_by(
            Treatment.patient_id, Treatment.knee, Treatment.treated_on, Treatment.id
        )
        for pid, knee, tid, on in session.execute(treated):
            knees[(pid, knee)].append(KneeTreatment(tid, on))
        found = found.order_by(
            Assessment.patient_id, Assessment.knee, Assessment.assessed_on, Assessment.id
        )
        for a in session.scalars(found).yield_per(5000):
            where = place(knees.get((a.patient_id, a.knee), ()), a.assessed_on, rules)
            yield ExchangeAssessment(
                assessment_id=a.id,  # type: ignore[arg-type]
                patient_id=a.patient_id,
                knee=a.knee,
                assessed_on=a.assessed_on,
                source=a.source,
                answers=tuple(getattr(a, key) for key in ITEM_KEYS),
                pain_nrs=a.pain_nrs,
                patient_global=a.patient_global,
                adverse_event=a.adverse_event,
                note=a.note,
                **rounded_scores(a),
                instrument_version=a.instrument_version,
                event=where.event,
                treatment_id=where.treatment_id,
            )
