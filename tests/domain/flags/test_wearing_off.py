"""Wearing off under rule set 2026.2: signal runs, the confirmation call 14-28 days after a run's
start, ``wearing_off`` at a run of 14 days, and ``possible_wearing_off`` by an unanswered
confirmation call, a trend or returning stiffness; all only for confirmed responders. Replaces the
v1 tests of the latest-assessment watch, the 25-point stiffness clause and runs judged against a
single best value.

The responder (helpers.RESPONDER): baseline 70/60, readings day 60 and 90; pain's best level 25
(set day 90), signal level 43; function's best level 32.5, signal level 50.5.
"""

from __future__ import annotations

from datetime import timedelta

from followup.domain.flags import confirmation_call

from .helpers import RESPONDER, RULES, call, day, episode, flags, form, view


def test_a_first_signal_asks_for_a_confirmation_call_14_to_28_days_later() -> None:
    ep = episode(*RESPONDER, (150, 45, 30))
    assert flags(ep, 151) == {}  # on the worklist, not in the review queue
    confirm = confirmation_call(ep, day(151), RULES)
    assert confirm is not None
    assert (confirm.due_on, confirm.window_start, confirm.window_end) == (
        day(164), day(164), day(178),
    )  # fmt: skip
    assert confirm.reason == "pain up 20 since best, confirm"
    assert call(ep, 151).timepoint == "confirm"
    assert confirmation_call(ep, day(178), RULES) is not None
    assert confirmation_call(ep, day(179), RULES) is None  # closed: the review queue takes it


def test_a_run_of_exactly_14_days_is_wearing_off_raised_on_that_reading() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (164, 44, 30))
    found = flags(ep, 164)
    assert set(found) == {"wearing_off"}
    f = found["wearing_off"]
    assert f.raised_on == day(164)
    run = f.evidence["pain"]["signal_run"]
    assert (run["first_on"], run["last_on"], run["days"]) == (
        day(150).isoformat(), day(164).isoformat(), 14,
    )  # fmt: skip
    assert f.summary.startswith("Booster check due: pain 44 on 2026-06-14, signalling since")
    assert confirmation_call(ep, day(164), RULES) is None  # wearing_off drops the call


def test_a_run_of_13_days_is_not_enough() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (163, 44, 30))
    assert "wearing_off" not in flags(ep, 170)
    # Still a run shorter than 14 days: its call (window from day 164) is open.
    assert confirmation_call(ep, day(170), RULES) is not None


def test_raised_on_stays_at_the_reading_that_reached_14_days() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (160, 45, 30), (170, 46, 30), (200, 50, 30))
    assert flags(ep, 200)["wearing_off"].raised_on == day(170)


def test_a_reading_under_the_threshold_ends_the_run_and_the_call() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (165, 40, 30))
    assert flags(ep, 200) == {}
    assert confirmation_call(ep, day(166), RULES) is None


def test_an_unanswered_confirmation_call_is_possible_wearing_off_from_start_plus_29() -> None:
    ep = episode(*RESPONDER, (150, 45, 30))
    assert "possible_wearing_off" not in flags(ep, 178)
    found = flags(ep, 179)["possible_wearing_off"]
    assert found.raised_on == day(150) + timedelta(days=29)
    assert found.evidence["confirmation_call"] == {
        "window_start": day(164).isoformat(),
        "window_end": day(178).isoformat(),
        "answered": False,
    }
    assert "got no reading" in found.summary


def test_a_later_signalling_reading_after_the_window_confirms() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (270, 55, 30))
    assert set(flags(ep, 271)) == {"wearing_off"}  # a run of 120 days


def test_function_can_wear_off_alone() -> None:
    ep = episode(*RESPONDER, (150, 30, 51), (165, 30, 52))
    assert flags(ep, 166)["wearing_off"].evidence["condition"].endswith("in function")


def test_only_confirmed_responders_can_wear_off() -> None:
    # One reading met the criterion (day 60); day 90 did not: not confirmed.
    ep = episode((-7, 70, 60), (60, 30, 40), (90, 50, 50), (150, 70, 60), (165, 70, 60))
    assert flags(ep, 166).keys() <= {"overdue"}
    assert confirmation_call(ep, day(151), RULES) is None


def test_invalid_forms_do_not_break_a_run() -> None:
    # A form too incomplete to score pain (day 157) neither signals nor breaks pain's run.
    ep = episode(*RESPONDER, (150, 45, 30), form(157, None, 30), (164, 44, 30))
    assert "wearing_off" in flags(ep, 164)


def test_a_stiffness_only_form_in_the_window_does_not_answer_the_call() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), form(170, None, None, 40))
    assert confirmation_call(ep, day(171), RULES) is not None


# --- trend -------------------------------------------------------------------------------------


def test_a_trend_worse_than_10_points_per_90_days_forecasts_the_check() -> None:
    # Function's best level: 25 (day 90) and 33 (day 120) -> 29, set on day 120; signal level
    # max(47, min(41.4, 48)) = 47. Then 37, 41, 45: 12 points per 90 days, all under 47.
    ep = episode(*RESPONDER, (120, 25, 33), (150, 25, 37), (180, 25, 41), (210, 26, 45))
    found = flags(ep, 211)["possible_wearing_off"]
    trend = found.evidence["function"]["trend"]
    assert trend["readings"] == 3 and trend["points_per_period"] == 12
    assert found.booster_check_by is not None and found.booster_check_by > day(210)
    assert found.raised_on == day(210)


def test_a_trend_needs_three_readings_after_the_best_level() -> None:
    ep = episode(*RESPONDER, (150, 25, 40), (210, 25, 49))
    assert "possible_wearing_off" not in flags(ep, 211)


# Function's best level 25 (days 90 and 120, the tie set on the later), signal level 43; pain
# stays at its best. Three readings after day 120, 45 days apart, rising 5 points each: exactly
# 10 points per 90 days (slope_points / slope_days), all under 43.
TREND_BASE = (*RESPONDER, (120, 20, 25), (165, 20, 26), (210, 20, 31))


def test_a_trend_of_exactly_10_points_per_90_days_over_3_readings_is_not_worse() -> None:
    ep = episode(*TREND_BASE, (255, 20, 36))
    function = view(ep, 256).course("function")
    assert (function.best, function.best_on, function.threshold) == (25, day(120), 43)
    assert len(function.values) - function.after == 3  # enough readings: only the slope decides
    assert "possible_wearing_off" not in flags(ep, 256)
    assert "possible_wearing_off" in flags(episode(*TREND_BASE, (255, 20, 36 + 1e-6)), 256)


def test_a_trend_s_booster_check_by_is_the_day_the_line_reaches_the_signal_level() -> None:
    # 26, 32, 38 on days 165, 210, 255: slope 2/15 a day, intercept 4; 4 + 2/15 d >= 43 from
    # d = 292.5, so day 293.
    ep = episode(*RESPONDER, (120, 20, 25), (165, 20, 26), (210, 20, 32), (255, 20, 38))
    found = flags(ep, 256)["possible_wearing_off"]
    assert (found.raised_on, found.booster_check_by) == (day(255), day(293))
    assert found.evidence["function"]["trend"]["points_per_period"] == 12


# --- returning stiffness ------------------------------------------------------------------------


def test_returning_stiffness_needs_its_latest_two_readings_37_5_above_its_best() -> None:
    base = ((-7, 70, 60, 62.5), (60, 30, 40, 12.5), (90, 20, 25, 12.5))
    ep = episode(*base, (150, 25, 30, 50), (180, 25, 30, 50))
    found = flags(ep, 181)["possible_wearing_off"]
    assert found.evidence["stiffness"]["latest"] == [50, 50]
    assert found.raised_on == day(180)
    one = episode(*base, (150, 25, 30, 12.5), (180, 25, 30, 50))
    assert "possible_wearing_off" not in flags(one, 181)
    just_under = episode(*base, (150, 25, 30, 49.9), (180, 25, 30, 50))
    assert "possible_wearing_off" not in flags(just_under, 181)
    a_hair_under = episode(*base, (150, 25, 30, 50 - 1e-6), (180, 25, 30, 50))
    assert "possible_wearing_off" not in flags(a_hair_under, 181)


def test_returning_stiffness_readings_must_both_be_dated_after_its_best_level_was_set() -> None:
    # Stiffness 0 (day 60), 75 (day 90), 87.5 (day 150): its best level is the mean of 0 and 75
    # = 37.5, set on day 90; both latest readings are >= 37.5 + 37.5, but day 90 is not after.
    ep = episode((-7, 70, 60, 62.5), (60, 30, 40, 0), (90, 20, 25, 75), (150, 25, 30, 87.5))
    assert "possible_wearing_off" not in flags(ep, 151)
    later = episode((-7, 70, 60, 62.5), (60, 30, 40, 0), (90, 20, 25, 0), (150, 25, 30, 75),
                    (180, 25, 30, 87.5))  # fmt: skip
    assert flags(later, 181)["possible_wearing_off"].evidence["stiffness"]["latest"] == [75, 87.5]


def test_returning_stiffness_never_makes_wearing_off() -> None:
    base = ((-7, 70, 60, 62.5), (60, 30, 40, 12.5), (90, 20, 25, 12.5))
    ep = episode(*base, *((d, 25, 30, 75) for d in (150, 165, 180, 200)))
    assert set(flags(ep, 201)) == {"possible_wearing_off"}


def test_returning_stiffness_only_while_pain_and_function_have_no_run() -> None:
    base = ((-7, 70, 60, 62.5), (60, 30, 40, 12.5), (90, 20, 25, 12.5))
    ep = episode(*base, (150, 45, 30, 75), (158, 45, 30, 75))  # pain run of 8 days
    assert flags(ep, 159) == {}


def test_a_decision_is_reopened_only_by_a_newer_signal() -> None:
    from .helpers import decided

    ep = episode(*RESPONDER, (150, 45, 30), (164, 44, 30), decisions=(decided("wearing_off", 165),))
    assert "wearing_off" not in flags(ep, 170)
    calm = episode(
        *RESPONDER, (150, 45, 30), (164, 44, 30), (200, 30, 30),
        decisions=(decided("wearing_off", 165),),
    )  # fmt: skip
    assert flags(calm, 201) == {}
    worse = episode(
        *RESPONDER, (150, 45, 30), (164, 44, 30), (200, 50, 30),
        decisions=(decided("wearing_off", 165),),
    )  # fmt: skip
    again = flags(worse, 201)["wearing_off"]
    assert again.evidence["reraised_after"]["newer_evidence_on"] == day(200).isoformat()
    assert again.raised_on == day(200)
