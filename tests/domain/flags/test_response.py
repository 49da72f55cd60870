"""``no_response`` (waits for the 6-month visit), ``booster_window`` (confirmed responders only)
and ``no_baseline`` under rule set 2026.2. Replaces the v1 tests where ``no_response`` came at day
180 with any reading from day 90, and the booster window opened for non-responders too."""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from followup.domain.durability import durability_ends_on, expected_durability_months

from .helpers import RESPONDER, RULES, T0, day, episode, flags

NON_RESPONDER = ((-7, 60, 50), (42, 57, 48), (90, 58, 49), (155, 57, 48))


def test_no_response_from_day_180_once_the_6_month_visit_is_in() -> None:
    ep = episode(*NON_RESPONDER)
    assert "no_response" not in flags(ep, 179)
    found = flags(ep, 180)["no_response"]
    assert found.raised_on == day(180)
    assert "two needed" in found.summary


def test_no_response_waits_for_a_reading_from_day_150() -> None:
    ep = episode((-7, 60, 50), (42, 57, 48), (90, 58, 49), (149, 57, 48))
    assert "no_response" not in flags(ep, 200)
    # ... or for day 210 with any reading from day 90.
    assert "no_response" not in flags(ep, 209)
    assert flags(ep, 210)["no_response"].raised_on == day(210)


def test_no_response_is_raised_on_the_day_the_visit_came_in_after_day_180() -> None:
    ep = episode((-7, 60, 50), (42, 57, 48), (90, 58, 49), (190, 57, 48))
    assert flags(ep, 195)["no_response"].raised_on == day(190)


def test_no_response_not_for_a_confirmed_responder() -> None:
    ep = episode(*RESPONDER, (150, 60, 55), (170, 62, 56))
    assert "no_response" not in flags(ep, 200)


def test_no_response_not_while_one_of_the_latest_two_meets_the_criterion() -> None:
    # One lucky reading (day 155) does not make a responder but keeps no_response away
    # while it is one of the latest two.
    ep = episode((-7, 60, 50), (42, 57, 48), (90, 58, 49), (155, 30, 48))
    assert "no_response" not in flags(ep, 200)
    later = episode((-7, 60, 50), (42, 57, 48), (90, 58, 49), (155, 30, 48), (200, 57, 48),
                    (230, 58, 48))  # fmt: skip
    assert flags(later, 231)["no_response"].raised_on == day(230)


def test_no_response_needs_a_baseline() -> None:
    ep = episode((42, 57, 48), (90, 58, 49), (155, 57, 48))
    assert "no_response" not in flags(ep, 200)


def test_durability_by_grade_route_and_smoking() -> None:
    months = expected_durability_months
    assert [months(kl, "intra_articular", False, RULES) for kl in (1, 2, 3, 4, None)] == [
        36, 36, 24, 9, 24,
    ]  # fmt: skip
    assert months(1, "iv", False, RULES) == 12
    assert months(4, "intra_articular", True, RULES) == 4.5
    assert durability_ends_on(T0, 4.5) == T0 + relativedelta(months=4) + relativedelta(days=15)


def test_booster_window_opens_60_days_before_durability_ends_for_a_confirmed_responder() -> None:
    ep = episode(*RESPONDER, kl=4, banked=2)  # 9 months: ends 2026-10-01, opens 2026-08-02
    ends = date(2026, 10, 1)
    opens = date(2026, 8, 2)
    assert "booster_window" not in flags(ep, (opens - T0).days - 1)
    found = flags(ep, (opens - T0).days)["booster_window"]
    assert found.raised_on == opens
    assert found.evidence["durability_ends_on"] == ends.isoformat()
    assert found.summary.endswith("2 banked doses left.")


def test_no_booster_window_for_a_knee_that_never_responded() -> None:
    ep = episode(*NON_RESPONDER, kl=4)
    assert "booster_window" not in flags(ep, 300)


def test_no_booster_window_once_a_later_treatment_exists() -> None:
    # The window opens on 2026-08-02 (day 213); a booster on day 200 supersedes the episode.
    assert "booster_window" in flags(episode(*RESPONDER, kl=4), 250)
    assert "booster_window" not in flags(episode(*RESPONDER, kl=4, next_on=day(200)), 250)


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        (((42, 57, 48),), ["pain", "function"]),
        (((-100, 70, 60), (42, 57, 48)), ["pain", "function"]),  # outside the 90-day look-back
    ],
)
def test_no_baseline_is_a_data_quality_flag(rows: tuple, missing: list[str]) -> None:
    found = flags(episode(*rows), 50)["no_baseline"]
    assert found.level == "watch" and found.evidence["missing"] == missing
    assert found.raised_on == T0
    assert found.summary.startswith("No baseline: no valid pain or function score")


def test_a_missing_function_baseline_is_named() -> None:
    from .helpers import form

    found = flags(episode(form(-7, 70, None), (42, 30, 48)), 50)["no_baseline"]
    assert found.evidence["missing"] == ["function"]
    assert found.summary.startswith("No function baseline")


def test_a_knee_with_a_baseline_has_no_data_quality_flag() -> None:
    assert "no_baseline" not in flags(episode(*RESPONDER), 100)


# --- boundaries, day before and day of -------------------------------------------------------


def test_no_response_counts_a_visit_on_day_150_itself() -> None:
    ep = episode((-7, 60, 50), (42, 57, 48), (150, 57, 48))
    assert "no_response" not in flags(ep, 179)
    assert flags(ep, 180)["no_response"].raised_on == day(180)


def test_no_response_late_path_counts_a_reading_on_day_90_and_not_day_89() -> None:
    on_90 = episode((-7, 60, 50), (42, 57, 48), (90, 57, 48))
    assert "no_response" not in flags(on_90, 209)
    assert flags(on_90, 210)["no_response"].raised_on == day(210)
    assert "no_response" not in flags(episode((-7, 60, 50), (42, 57, 48), (89, 57, 48)), 300)


@pytest.mark.parametrize(
    ("kl", "route", "smoker", "months", "opens"),
    [
        (1, "intra_articular", False, 36, date(2028, 11, 2)),  # 2029-01-01 - 60 days
        (2, "intra_articular", False, 36, date(2028, 11, 2)),
        (3, "intra_articular", False, 24, date(2027, 11, 2)),
        (None, "intra_articular", False, 24, date(2027, 11, 2)),  # grade unknown
        (1, "iv", False, 12, date(2026, 11, 2)),  # intravenous, whatever the grade
        (1, "intra_articular", True, 18, date(2027, 5, 2)),  # halved for smokers
        (3, "intra_articular", True, 12, date(2026, 11, 2)),
        (None, "intra_articular", True, 12, date(2026, 11, 2)),
        (4, "iv", True, 6, date(2026, 5, 2)),  # the intravenous figure is halved too
    ],
)
def test_booster_window_opens_on_durability_minus_60_days(
    kl: int | None, route: str, smoker: bool, months: float, opens: date
) -> None:
    ep = episode(*RESPONDER, kl=kl, route=route, smoker=smoker)
    assert expected_durability_months(kl, route, smoker, RULES) == months
    assert "booster_window" not in flags(ep, (opens - T0).days - 1)
    found = flags(ep, (opens - T0).days)["booster_window"]
    assert found.raised_on == opens
    assert found.evidence["expected_months"] == months


def test_booster_window_is_raised_when_the_response_is_confirmed_if_that_is_later() -> None:
    # KL 4, smoker: 4.5 months, ends 2026-05-16, window open from 2026-03-17 (day 75); the
    # response is confirmed on day 90, the first day the flag holds.
    ep = episode(*RESPONDER, kl=4, smoker=True)
    assert "booster_window" not in flags(ep, 89)
    found = flags(ep, 90)["booster_window"]
    assert found.raised_on == day(90)
    assert found.evidence["window_opens_on"] == date(2026, 3, 17).isoformat()
