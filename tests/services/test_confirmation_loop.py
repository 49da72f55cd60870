"""The wearing-off loop as a clinic lives it, through the services the screens use: a first
signalling reading is saved; the next day the coordinator's list has a confirmation call 14-28
days later; the call is made, and what it finds decides the flag (a second signal: wearing off;
a reading back at the best level: nothing; no reading by the time the window closes: the
review queue is told, possible wearing off)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from followup.domain.instrument import ITEM_KEYS
from followup.services.call_list import due_list
from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.patients import PatientDraft, add_patient
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.record_treatment import TreatmentDraft, record_treatment
from followup.services.review_queue import open_flags
from tests.conftest import make_context

TREATED = date(2026, 1, 5)
FIRST_SIGNAL = date(2026, 7, 6)  # the 6-month visit


def on(ctx: Context, day: date) -> Context:
    """The context with its clock at noon UTC on ``day``."""
    moment = datetime.combine(day, time(12), tzinfo=UTC)
    return Context(replace(ctx.settings, clock=lambda: moment), ctx.engine)


def answered(ctx: Context, day: date, level: int) -> None:
    """A phone form with every item at ``level`` (0-4): each subscale scores level x 25."""
    entry = AssessmentEntry("P1", "left", day, "phone", dict.fromkeys(ITEM_KEYS, level))
    record_assessment(on(ctx, day), entry, "nina")


@pytest.fixture
def signalled(sqlite_url: str) -> Context:
    """A knee at 75 before treatment, 25 at 6 weeks and 3 months (a confirmed responder: best
    level 25, signal level max(25 + 18, min(25 + 0.4 x 50, 0.8 x 75)) = 45), then 50 at the
    6-month visit: a first signal."""
    ctx = make_context(sqlite_url)
    add_patient(on(ctx, TREATED), PatientDraft("P1", "Test Patient", date(1960, 1, 1)), "nina")
    answered(ctx, TREATED - timedelta(days=14), 3)
    record_treatment(on(ctx, TREATED), TreatmentDraft("P1", "left", TREATED, "prp"), "nina")
    answered(ctx, TREATED + timedelta(days=42), 1)
    answered(ctx, TREATED + timedelta(days=91), 1)
    answered(ctx, FIRST_SIGNAL, 2)
    yield ctx
    ctx.close()


def kinds(ctx: Context, day: date) -> set[str]:
    evaluate_cohort(ctx, day)
    return {f.kind for f in open_flags(ctx, "P1")}


def test_the_day_after_a_first_signal_the_list_has_its_confirmation_call(
    signalled: Context,
) -> None:
    next_day = FIRST_SIGNAL + timedelta(days=1)
    assert kinds(signalled, next_day) == set()  # one signal alone raises nothing
    [call] = [c for c in due_list(signalled, next_day, days=30) if c.patient_id == "P1"]
    assert (call.knee, call.timepoint, call.status) == ("left", "confirm", "upcoming")
    assert call.window_start == FIRST_SIGNAL + timedelta(days=14)
    assert call.window_end == FIRST_SIGNAL + timedelta(days=28)
    assert call.reason in ("pain up 25 since best, confirm", "function up 25 since best, confirm")


def test_a_second_signal_at_the_call_is_wearing_off(signalled: Context) -> None:
    answered(signalled, FIRST_SIGNAL + timedelta(days=16), 2)
    after = FIRST_SIGNAL + timedelta(days=17)
    assert kinds(signalled, after) == {"wearing_off"}
    assert not [c for c in due_list(signalled, after, days=7) if c.timepoint == "confirm"]


def test_a_reading_back_at_the_best_level_raises_nothing(signalled: Context) -> None:
    answered(signalled, FIRST_SIGNAL + timedelta(days=16), 1)
    for later in (17, 29, 60):
        day = FIRST_SIGNAL + timedelta(days=later)
        assert kinds(signalled, day) == set(), later
        assert not [c for c in due_list(signalled, day, days=7) if c.timepoint == "confirm"]


def test_no_reading_by_the_windows_end_tells_the_review(signalled: Context) -> None:
    assert kinds(signalled, FIRST_SIGNAL + timedelta(days=28)) == set()  # still open
    assert kinds(signalled, FIRST_SIGNAL + timedelta(days=29)) == {"possible_wearing_off"}
