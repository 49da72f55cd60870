"""The self-report read models and submission, and the plain words built from them."""

from __future__ import annotations

from datetime import date

import pytest

from followup.domain.instrument import ITEM_KEYS
from followup.errors import FollowupError
from followup.services.self_report import (
    KneeInFollowUp,
    OwnTrend,
    ScoreTrend,
    knees_in_follow_up,
    own_trend,
    submit_self_report,
)
from followup.ui.kiosk.words import long_date, trend_paragraphs

from .conftest import Clinic

ALL_ONES = {key: 1 for key in ITEM_KEYS}


def test_knees_in_follow_up_come_from_treatments(clinic: Clinic) -> None:
    assert knees_in_follow_up(clinic.ctx, "P1") == [
        KneeInFollowUp("left", date(2026, 1, 10)),
        KneeInFollowUp("right", date(2026, 2, 10)),
    ]
    assert knees_in_follow_up(clinic.ctx, "P2") == [KneeInFollowUp("left", date(2026, 3, 1))]
    assert knees_in_follow_up(clinic.ctx, "P3") == []
    assert knees_in_follow_up(clinic.ctx, "nobody") == []


def test_own_trend_holds_baseline_latest_and_history(clinic: Clinic) -> None:
    trend = own_trend(clinic.ctx, "P1", "left")
    assert trend is not None
    assert trend.treated_on == date(2026, 1, 10)
    assert trend.pain == ScoreTrend(50.0, date(2026, 4, 5), 75.0, (50.0,))
    assert own_trend(clinic.ctx, "P1", "right") is not None
    assert own_trend(clinic.ctx, "P3", "left") is None


def test_submit_refuses_a_knee_not_in_follow_up_and_missing_answers(clinic: Clinic) -> None:
    with pytest.raises(FollowupError):
        submit_self_report(clinic.ctx, "P2", "right", ALL_ONES)
    with pytest.raises(FollowupError):
        submit_self_report(clinic.ctx, "P2", "left", {**ALL_ONES, "f17": None})
    with pytest.raises(FollowupError):
        submit_self_report(clinic.ctx, "P3", "left", ALL_ONES)


def test_submit_stores_a_dated_self_report_with_the_problem(clinic: Clinic) -> None:
    report = submit_self_report(clinic.ctx, "P2", "left", ALL_ONES, "  red and warm  ")
    assert report.problem_reported
    with clinic.ctx.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT source, created_by, assessed_on, adverse_event FROM assessment WHERE id = ?",
            (report.assessment_id,),
        ).one()
    assert tuple(row) == ("self_report", "patient:P2", "2026-11-21", "red and warm")
    blank = submit_self_report(clinic.ctx, "P2", "left", ALL_ONES, "   ")
    assert not blank.problem_reported


def test_trend_in_plain_words() -> None:
    trend = OwnTrend(
        knee="left",
        treated_on=date(2026, 1, 10),
        pain=ScoreTrend(35.0, date(2026, 11, 21), 70.0, (50.0, 35.0)),
        function=ScoreTrend(29.4, date(2026, 11, 21), None, (29.4,)),
    )
    pain, function = trend_paragraphs(trend)
    assert pain == (
        "Your knee pain score is 35 out of 100 (lower is better). Before treatment it was 70. "
        "Your pain scores since treatment, oldest first: 50, 35."
    )
    assert function == (
        "Your score for difficulty with daily activities is 29 out of 100 (lower is better). "
        "There is no score from before your treatment on 10 January 2026 to compare with."
    )
    assert trend_paragraphs(None) == []
    assert long_date(date(2024, 12, 3)) == "3 December 2024"
