"""Flag rules of DESIGN.md 2.3, rule by rule and boundary by boundary, with hand-computed values.

Most episodes are treated on 2026-01-01 (day 0), so day 90 is 2026-04-01 and day 150 2026-05-31.
The usual responder: baseline pain 70 / function 60; best pain 20 (day 90), function 25, so
pain's signal threshold is max(20 + 10, min(20 + 50/2, 0.8 x 70)) = 45.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from itertools import count

from followup.domain.durability import durability_ends_on, expected_durability_months
from followup.domain.flags import (
    KIND_LEVELS,
    Finding,
    evaluate_episode,
    first_response,
    signal_threshold,
    theil_sen,
)
from followup.domain.records import (
    DecisionRecord,
    EpisodeInput,
    ScoredAssessment,
    TreatmentRecord,
)
from followup.domain.rules import default_rules

RULES = default_rules()
T0 = date(2026, 1, 1)
_ids = count(1)


def day(n: int) -> date:
    return T0 + timedelta(days=n)


def form(
    n: int,
    pain: float | None,
    function: float | None,
    stiffness: float | None = 25.0,
    *,
    glob: int | None = None,
    ae: str | None = None,
    valid: bool = True,
) -> ScoredAssessment:
    """A scored form on day ``n``; invalid forms have no total (as scoring makes them)."""
    total = None
    if valid and None not in (pain, function, stiffness):
        total = (pain + function + stiffness) / 3  # type: ignore[operator]
    return ScoredAssessment(
        id=next(_ids),
        assessed_on=day(n),
        pain=pain,
        stiffness=stiffness,
        function=function,
        total=total,
        patient_global=glob,
        adverse_event=ae,
    )


Row = tuple[int, float, float] | tuple[int, float, float, float] | ScoredAssessment


def episode(
    *rows: Row,
    next_on: date | None = None,
    smoker: bool = False,
    kl: int | None = 3,
    route: str = "intra_articular",
    banked: int | None = None,
    decisions: tuple[DecisionRecord, ...] = (),
) -> EpisodeInput:
    """An episode from (day, pain, function[, stiffness]) tuples or ready forms."""
    forms = tuple(r if isinstance(r, ScoredAssessment) else form(*r) for r in rows)
    treatment = TreatmentRecord(
        "T1", "P1", "left", T0, "adsc_cultured", route=route, kl_grade=kl, banked_doses=banked
    )
    return EpisodeInput(treatment, next_on, smoker, forms, decisions)


def decided(kind: str, n: int, decision: str = "continue_monitoring") -> DecisionRecord:
    return DecisionRecord(kind, decision, datetime.combine(day(n), time(10, 30)))


def flags(ep: EpisodeInput, as_of: int | date) -> dict[str, Finding]:
    on = as_of if isinstance(as_of, date) else day(as_of)
    found = evaluate_episode(ep, on, RULES)
    assert len({f.kind for f in found}) == len(found)
    for f in found:
        assert f.level == KIND_LEVELS[f.kind]
        assert f.evidence["rule_set"] == RULES.version
        json.dumps(f.evidence)
    return {f.kind: f for f in found}


RESPONDER: tuple[Row, ...] = ((-7, 70, 60), (60, 30, 40), (90, 20, 25))


# --- responder --------------------------------------------------------------------------------------


def test_responder_high_improvement_exactly_50_percent() -> None:
    got = first_response(episode((-7, 70, 60), (60, 35, 60)), day(60), RULES)
    assert got == (day(60), "pain improved >= 50% and >= 20 points")
    assert first_response(episode((-7, 70, 60), (60, 35.1, 60)), day(60), RULES) is None


def test_responder_high_needs_20_points() -> None:
    # Pain 30 -> 15 is 50 % but only 15 points; alone it is one moderate improvement of three.
    assert first_response(episode((-7, 30, 60), (60, 15, 60)), day(60), RULES) is None


def test_responder_two_of_three_pain_and_function_at_20_percent() -> None:
    got = first_response(episode((-7, 70, 60), (60, 56, 48)), day(60), RULES)
    assert got is not None and got[0] == day(60) and got[1].startswith("2 of pain, function")
    assert first_response(episode((-7, 70, 60), (60, 56.1, 48)), day(60), RULES) is None


def test_responder_two_of_three_with_patient_global() -> None:
    base, later = form(-7, 70, 60, glob=60), form(60, 56, 60, glob=48)
    assert first_response(episode(base, later), day(60), RULES) is not None
    # Global's baseline is the baseline form's; without it (or without a follow-up value) no.
    assert first_response(episode(form(-7, 70, 60), later), day(60), RULES) is None
    assert first_response(episode(base, form(60, 56, 60)), day(60), RULES) is None
    assert first_response(episode(base, form(60, 56, 60, glob=49)), day(60), RULES) is None


def test_response_phase_starts_on_day_28() -> None:
    assert first_response(episode((-7, 70, 60), (27, 20, 20)), day(100), RULES) is None
    assert first_response(episode((-7, 70, 60), (28, 20, 20)), day(100), RULES) == (
        day(28),
        "pain improved >= 50% and >= 20 points",
    )


def test_responder_ignores_invalid_forms_and_needs_a_baseline() -> None:
    invalid = form(60, 20, 20, stiffness=None)
    assert first_response(episode((-7, 70, 60), invalid), day(60), RULES) is None
    assert first_response(episode((-91, 70, 60), (60, 20, 20)), day(60), RULES) is None


# --- signal thresholds ------------------------------------------------------------------------------


def test_signal_threshold_by_hand() -> None:
    assert signal_threshold(70, 20, RULES) == 45  # half of I = 50 lost
    assert signal_threshold(70, 50, RULES) == 60  # the 10-point floor
    assert signal_threshold(70, 44, RULES) == 0.8 * 70  # back within 20 % of baseline
    assert signal_threshold(40, 45, RULES) == 55  # no improvement: 10 points above the best


def test_exactly_half_lost_signals_just_under_does_not() -> None:
    at_half = flags(episode(*RESPONDER, (150, 45, 25)), 150)
    assert at_half["possible_wearing_off"].evidence["pain"]["fraction_lost"] == 0.5
    assert "possible_wearing_off" not in flags(episode(*RESPONDER, (150, 44.9, 25)), 150)


def test_exactly_10_points_signals_9_9_does_not() -> None:
    # Moderate responder (2 of 3): pain 70 -> 50, function 60 -> 40; pain threshold
    # max(50 + 10, min(50 + 10, 56)) = 60.
    rows = ((-7, 70, 60), (60, 50, 40))
    got = flags(episode(*rows, (100, 60, 40)), 100)["possible_wearing_off"]
    assert got.evidence["condition"] == "latest assessment signals in pain"
    assert got.raised_on == day(100)
    assert "possible_wearing_off" not in flags(episode(*rows, (100, 59.9, 40)), 100)


def test_value_exactly_08_baseline_signals() -> None:
    # Pain 70 -> 44 and global 60 -> 40 make a 2-of-3 responder; threshold max(54, min(57, 56)) =
    # 0.8 x 70, which is 56.00000000000001 in floating point: 56 must still count.
    base = form(-7, 70, 60, glob=60)
    best = form(60, 44, 60, glob=40)
    got = flags(episode(base, best, (100, 56, 60)), 100)["possible_wearing_off"]
    assert got.evidence["pain"]["fired_by"] == ["back to >= 0.8 x baseline"]
    assert "possible_wearing_off" not in flags(episode(base, best, (100, 55.9, 60)), 100)


def test_tie_for_best_takes_the_first() -> None:
    got = flags(episode((-7, 70, 60), (60, 20, 25), (90, 20, 25), (120, 45, 25)), 120)
    assert got["possible_wearing_off"].evidence["pain"]["best_on"] == day(60).isoformat()


# --- wearing_off --------------------------------------------------------------------------------


def test_wearing_off_run_of_exactly_14_days() -> None:
    got = flags(episode(*RESPONDER, (150, 45, 25), (164, 50, 25)), 164)
    assert "possible_wearing_off" not in got
    f = got["wearing_off"]
    assert (f.level, f.raised_on, f.booster_check_by) == ("action", day(164), None)
    pain = f.evidence["pain"]
    assert pain["baseline"] == 70 and pain["best"] == 20 and pain["improvement"] == 50
    assert pain["best_on"] == "2026-04-01" and pain["latest"] == 50
    assert pain["fraction_lost"] == 0.6 and pain["signal_threshold"] == 45
    assert (pain["signal_since"], pain["signal_until"], pain["signal_days"]) == (
        "2026-05-31",
        "2026-06-14",
        14,
    )
    assert f.evidence["baseline"]["date"] == day(-7).isoformat()
    assert f.evidence["responder"]["responded_on"] == day(60).isoformat()
    assert "function" not in f.evidence
    assert f.summary == (
        "Booster check due: pain back to 50 (baseline 70, best 20 on 2026-04-01): 60% of the "
        "improvement lost; signalling since 2026-05-31 (14 days)."
    )


def test_run_of_13_days_is_only_possible_wearing_off() -> None:
    got = flags(episode(*RESPONDER, (150, 45, 25), (163, 50, 25)), 163)
    assert "wearing_off" not in got
    assert got["possible_wearing_off"].raised_on == day(150)
    assert got["possible_wearing_off"].booster_check_by is None


def test_wearing_off_raised_on_the_assessment_that_reached_14_days() -> None:
    got = flags(episode(*RESPONDER, (150, 45, 25), (160, 50, 25), (170, 55, 25)), 200)
    assert got["wearing_off"].raised_on == day(170)
    assert got["wearing_off"].evidence["pain"]["signal_days"] == 20


def test_non_signalling_assessment_breaks_the_run() -> None:
    got = flags(episode(*RESPONDER, (150, 45, 25), (157, 30, 25), (164, 50, 25)), 164)
    assert "wearing_off" not in got
    assert got["possible_wearing_off"].evidence["pain"]["signal_since"] == day(164).isoformat()


def test_invalid_forms_are_ignored_even_inside_a_run() -> None:
    invalid = form(157, 10, 10, stiffness=None)  # would break the run if it counted
    got = flags(episode(*RESPONDER, (150, 45, 25), invalid, (164, 50, 25)), 164)
    assert "wearing_off" in got
    worse_but_invalid = form(150, 90, 90, stiffness=None)
    got = flags(episode(*RESPONDER, worse_but_invalid), 150)
    assert "possible_wearing_off" not in got and "wearing_off" not in got


def test_function_can_wear_off_alone() -> None:
    # Function 60 -> 25 (best): threshold max(35, min(42.5, 48)) = 42.5.
    got = flags(episode(*RESPONDER, (150, 20, 42.5), (170, 20, 45)), 170)
    assert got["wearing_off"].evidence["condition"] == "signal run in function"
    assert got["wearing_off"].summary.startswith("Booster check due: function back to 45")


def test_non_responder_never_wears_off() -> None:
    got = flags(
        episode((-7, 70, 60), (60, 65, 58), (90, 62, 55), (120, 75, 70), (150, 80, 75)), 150
    )
    assert "wearing_off" not in got and "possible_wearing_off" not in got


def test_assessments_after_as_of_do_not_exist() -> None:
    rows = (*RESPONDER, (150, 45, 25))
    later = ((164, 50, 25), form(170, 90, 90, ae="swelling"))
    assert flags(episode(*rows), 150) == flags(episode(*rows, *later), 150)
    assert "possible_wearing_off" in flags(episode(*rows, *later), 150)


# --- possible_wearing_off -----------------------------------------------------------------------


def test_theil_sen_by_hand() -> None:
    # One wild point does not move the median slope.
    assert theil_sen([(0, 0), (1, 1), (2, 2), (3, 3), (4, 100)]) == (1.0, 0.0)
    assert theil_sen([(5, 1), (5, 9)]) is None  # same day: no slope


def test_trend_worse_than_10_points_per_90_days_forecasts_the_check() -> None:
    # After the best (pain 20 on day 90): 24, 28, 32 a month apart = 12 points per 90 days, none
    # signalling. Line: 4/30 a day, intercept 8, reaches the threshold 45 at day 277.5 -> 278.
    got = flags(episode(*RESPONDER, (120, 24, 25), (150, 28, 25), (180, 32, 25)), 180)
    f = got["possible_wearing_off"]
    assert f.raised_on == day(180)
    assert f.booster_check_by == day(278)
    trend = f.evidence["pain"]["trend"]
    assert trend["points_per_period"] == 12.0 and trend["assessments"] == 3
    assert trend["reaches_threshold_on"] == day(278).isoformat()
    assert "trend" not in f.evidence["function"]
    assert "reaches the signal threshold of 45 by 2026-10-06" in f.summary


def test_trend_of_exactly_10_points_per_90_days_is_not_worse() -> None:
    # Baseline 90, best 20: threshold 55; 30, 40, 50 at 90-day steps is exactly +10 per 90 days.
    rows = ((-7, 90, 60), (60, 40, 40), (90, 20, 25), (180, 30, 25), (270, 40, 25))
    assert "possible_wearing_off" not in flags(episode(*rows, (360, 50, 25)), 360)
    steeper = flags(episode(*rows, (360, 50.1, 25)), 360)["possible_wearing_off"]
    assert steeper.booster_check_by is not None and steeper.booster_check_by > day(360)


def test_trend_needs_three_assessments_after_the_best() -> None:
    got = flags(episode(*RESPONDER, (150, 28, 25), (180, 32, 25)), 180)
    assert "possible_wearing_off" not in got


def test_returning_stiffness_never_makes_wearing_off() -> None:
    rows = ((-7, 70, 60, 50), (60, 30, 40, 20), (90, 20, 25, 10), (150, 20, 25, 35))
    got = flags(episode(*rows, (180, 20, 25, 40)), 180)
    assert "wearing_off" not in got
    f = got["possible_wearing_off"]
    assert f.raised_on == day(150)  # the run of raised stiffness started there
    assert f.evidence["stiffness"]["best"] == 10 and f.evidence["stiffness"]["latest"] == 40
    assert f.evidence["condition"] == "stiffness well above its best while pain and function hold"


def test_stiffness_boundary_25_points() -> None:
    rows = ((-7, 70, 60, 50), (60, 30, 40, 20), (90, 20, 25, 10))
    assert "possible_wearing_off" in flags(episode(*rows, (150, 20, 25, 35)), 150)
    assert "possible_wearing_off" not in flags(episode(*rows, (150, 20, 25, 34.9)), 150)


def test_stiffness_clause_only_while_pain_and_function_hold() -> None:
    rows = ((-7, 70, 60, 50), (60, 30, 40, 20), (90, 20, 25, 10))
    f = flags(episode(*rows, (150, 45, 25, 40)), 150)["possible_wearing_off"]
    assert f.evidence["condition"] == "latest assessment signals in pain"
    assert "stiffness" not in f.evidence


# --- no_response --------------------------------------------------------------------------------


def test_no_response_at_180_not_179_days() -> None:
    ep = episode((-7, 70, 60), (90, 65, 58))
    assert "no_response" not in flags(ep, 179)
    f = flags(ep, 180)["no_response"]
    assert (f.level, f.raised_on) == ("action", day(180))
    assert f.summary.startswith("No response by day 180 after treatment: best pain 65")


def test_no_response_needs_an_assessment_from_day_90() -> None:
    assert "no_response" not in flags(episode((-7, 70, 60), (89, 65, 58)), 300)
    assert flags(episode((-7, 70, 60), (200, 65, 58)), 250)["no_response"].raised_on == day(200)


def test_no_response_not_for_responders_or_without_baseline() -> None:
    assert "no_response" not in flags(episode(*RESPONDER, (200, 60, 55)), 250)
    assert "no_response" not in flags(episode((100, 70, 60), (200, 65, 58)), 250)


# --- booster_window -----------------------------------------------------------------------------


def test_durability_by_grade_route_and_smoking() -> None:
    def months(kl: int | None, route: str = "intra_articular", smoker: bool = False) -> float:
        return expected_durability_months(kl, route, smoker, RULES)

    assert [months(g) for g in (1, 2, 3, 4, None, 0)] == [36, 36, 24, 9, 24, 24]
    assert months(1, "iv") == 12 and months(4, "iv") == 12
    assert months(3, smoker=True) == 12 and months(4, smoker=True) == 4.5
    assert months(2, "iv", smoker=True) == 6
    assert durability_ends_on(T0, 4.5) == date(2026, 5, 16)  # 4 months + 15 days
    assert durability_ends_on(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_booster_window_opens_60_days_before_durability_ends() -> None:
    ep = episode(kl=3, banked=2)  # 24 months: ends 2028-01-01, opens 2027-11-02
    assert "booster_window" not in flags(ep, date(2027, 11, 1))
    f = flags(ep, date(2027, 11, 2))["booster_window"]
    assert (f.level, f.raised_on, f.booster_check_by) == ("watch", date(2027, 11, 2), None)
    assert f.evidence["expected_months"] == 24 and f.evidence["banked_doses"] == 2
    assert f.evidence["durability_ends_on"] == "2028-01-01"
    assert f.summary == (
        "Expected relief of 24 months (KL grade 3) runs out on 2028-01-01; booster window open "
        "since 2027-11-02; 2 banked doses."
    )


def test_booster_window_smoker_halves_durability() -> None:
    f = flags(episode(kl=3, smoker=True), date(2026, 11, 2))["booster_window"]
    assert f.raised_on == date(2026, 11, 2)  # 12 months: 2027-01-01 - 60 days
    assert f.evidence["expected_months"] == 12 and f.evidence["smoker_factor"] == 0.5
    assert "banked doses not recorded" in f.summary
    assert "booster_window" not in flags(episode(kl=3, smoker=True), date(2026, 11, 1))
    f = flags(episode(kl=4, smoker=True), date(2026, 3, 17))["booster_window"]
    assert f.raised_on == date(2026, 3, 17)  # 4.5 months: 2026-05-16 - 60 days


def test_booster_window_iv_route_is_12_months_whatever_the_grade() -> None:
    f = flags(episode(kl=1, route="iv"), date(2026, 11, 2))["booster_window"]
    assert f.evidence["durability_basis"] == "intravenous route"
    assert "booster_window" not in flags(episode(kl=1, route="iv"), date(2026, 11, 1))
    # An iv smoker: 6 months, 2026-07-01 - 60 days = 2026-05-02.
    assert flags(episode(kl=1, route="iv", smoker=True), date(2026, 5, 2))["booster_window"]


def test_booster_window_by_grade() -> None:
    assert flags(episode(kl=1), date(2028, 11, 2))["booster_window"]
    assert "booster_window" not in flags(episode(kl=1), date(2028, 11, 1))
    assert flags(episode(kl=4), date(2026, 8, 2))["booster_window"]  # 9 months
    assert "booster_window" not in flags(episode(kl=4), date(2026, 8, 1))
    assert flags(episode(kl=None), date(2027, 11, 2))["booster_window"]  # unknown: 24


def test_no_booster_window_once_a_later_treatment_exists() -> None:
    ep = episode(kl=4, next_on=date(2026, 7, 1))
    assert "booster_window" not in flags(ep, date(2026, 8, 2))
    # A later treatment dated after "as of" does not exist yet.
    assert flags(episode(kl=4, next_on=date(2026, 9, 1)), date(2026, 8, 2))["booster_window"]


# --- safety -------------------------------------------------------------------------------------


def test_adverse_event_on_invalid_form_counts() -> None:
    ae = form(10, None, None, None, ae="swollen, hot knee", valid=False)
    f = flags(episode((-7, 70, 60), ae), 12)["safety"]
    assert (f.level, f.raised_on) == ("urgent", day(10))
    assert f.summary == "Adverse event reported on 2026-01-11: swollen, hot knee."
    assert f.evidence["events"] == [
        {"date": "2026-01-11", "day": 10, "adverse_event": "swollen, hot knee", "valid_form": False}
    ]


def test_adverse_events_outside_the_episode_do_not_count() -> None:
    before = form(-5, 70, 60, ae="old injury")
    blank = form(10, 70, 60, ae="   ")
    later = form(30, 70, 60, ae="fall")
    assert "safety" not in flags(episode(before, blank, later), 29)
    assert flags(episode(before, blank, later), 30)["safety"].raised_on == day(30)


def test_pain_flare_30_points_within_60_days() -> None:
    base = (-7, 40, 50)
    f = flags(episode(base, (10, 70, 50)), 10)["safety"]
    assert f.evidence["events"][0]["pain_rise"] == 30
    assert f.summary == (
        "Pain flare to 70 on 2026-01-11, 30 points worse than baseline, 10 days after treatment."
    )
    assert "safety" not in flags(episode(base, (10, 69.9, 50)), 10)
    assert "safety" in flags(episode(base, (60, 70, 50)), 60)
    assert "safety" not in flags(episode(base, (61, 70, 50)), 61)
    assert "safety" not in flags(episode((10, 70, 50)), 10)  # no baseline
    assert "safety" not in flags(episode(base, form(10, 90, None, valid=False)), 10)


def test_safety_and_wearing_off_both_returned_urgent_first() -> None:
    ep = episode(*RESPONDER, (150, 45, 25), form(164, 50, 25, ae="effusion"))
    assert [f.kind for f in evaluate_episode(ep, day(164), RULES)] == ["safety", "wearing_off"]


def test_findings_are_ordered_by_level() -> None:
    ep = episode((-7, 70, 60), form(10, 70, 60, ae="rash"), kl=4)  # then nothing for months
    kinds = [f.kind for f in evaluate_episode(ep, date(2026, 9, 1), RULES)]
    assert kinds == ["safety", "lost_to_follow_up", "booster_window"]


# --- follow-up ----------------------------------------------------------------------------------


def test_overdue_once_the_window_closed() -> None:
    ep = episode((-7, 70, 60))  # 2w window 2026-01-11 .. 2026-01-19
    assert "overdue" not in flags(ep, date(2026, 1, 19))
    f = flags(ep, date(2026, 1, 20))["overdue"]
    assert (f.level, f.raised_on) == ("watch", date(2026, 1, 20))
    assert f.evidence["missed"][0]["timepoint"] == "2w"
    assert f.summary == (
        "The 2w follow-up (window 2026-01-11 to 2026-01-19) was missed; no valid assessment since "
        "treatment."
    )


def test_lost_to_follow_up_when_latest_two_missed() -> None:
    got = flags(episode((-7, 70, 60)), date(2026, 2, 20))  # 2w and 6w missed
    assert "overdue" not in got
    f = got["lost_to_follow_up"]
    assert (f.level, f.raised_on) == ("action", date(2026, 2, 20))
    assert [m["timepoint"] for m in f.evidence["missed"]] == ["2w", "6w"]


def test_one_missed_after_a_done_one_is_overdue() -> None:
    got = flags(episode((-7, 70, 60), (14, 60, 55)), date(2026, 2, 20))
    assert got["overdue"].evidence["missed"][0]["timepoint"] == "6w"
    got = flags(episode((-7, 70, 60), (42, 60, 55)), date(2026, 4, 16))  # 2w, 3m missed
    assert "lost_to_follow_up" not in got and "overdue" in got


def test_no_follow_up_flag_once_a_later_timepoint_is_done() -> None:
    got = flags(episode((-7, 70, 60), (78, 60, 55)), date(2026, 3, 25))  # 3m done early
    assert "overdue" not in got and "lost_to_follow_up" not in got


def test_booster_mid_episode_drops_later_timepoints() -> None:
    # Booster on day 100 (2026-04-11): the 3m window is cut to 2026-04-10; 6m onwards dropped.
    done = episode((-7, 70, 60), (14, 60, 55), (42, 50, 50), (90, 30, 40), next_on=day(100))
    got = flags(done, 400)
    assert not {"overdue", "lost_to_follow_up", "booster_window"} & got.keys()
    missed = episode((-7, 70, 60), (14, 60, 55), (42, 50, 50), next_on=day(100))
    f = flags(missed, 400)["overdue"]
    assert f.raised_on == date(2026, 4, 11)
    assert f.evidence["missed"][0]["window_end"] == "2026-04-10"


# --- decisions ----------------------------------------------------------------------------------


WEARING = (*RESPONDER, (150, 45, 25), (164, 50, 25))


def test_decision_closes_the_flag_until_newer_evidence() -> None:
    ep = episode(*WEARING, decisions=(decided("wearing_off", 165),))
    assert "wearing_off" not in flags(ep, 170)
    ep = episode(*WEARING, (178, 50, 25), decisions=(decided("wearing_off", 165),))
    f = flags(ep, 180)["wearing_off"]
    assert f.raised_on == day(178)
    assert f.evidence["reraised_after"] == {
        "decision": "continue_monitoring",
        "decided_on": day(165).isoformat(),
        "newer_evidence_on": day(178).isoformat(),
    }


def test_decision_does_not_resurface_as_possible_wearing_off() -> None:
    got = flags(episode(*WEARING, decisions=(decided("wearing_off", 165),)), 170)
    assert "possible_wearing_off" not in got


def test_assessment_on_the_decision_day_is_not_newer() -> None:
    ep = episode(*WEARING, decisions=(decided("wearing_off", 164),))
    assert "wearing_off" not in flags(ep, 170)


def test_decision_after_as_of_is_ignored_and_other_kinds_unaffected() -> None:
    assert "wearing_off" in flags(episode(*WEARING, decisions=(decided("wearing_off", 200),)), 170)
    assert "wearing_off" in flags(episode(*WEARING, decisions=(decided("no_response", 165),)), 170)


def test_latest_decision_counts() -> None:
    decisions = (decided("wearing_off", 165), decided("wearing_off", 180))
    ep = episode(*WEARING, (178, 50, 25), decisions=decisions)
    assert "wearing_off" not in flags(ep, 185)


def test_safety_reraised_only_by_a_newer_safety_event() -> None:
    rows = ((-7, 70, 60), form(10, 70, 60, ae="swelling"), (20, 60, 55))
    closed = (decided("safety", 12, "refer"),)
    assert "safety" not in flags(episode(*rows, decisions=closed), 30)
    again = episode(*rows, form(25, 65, 60, ae="swelling again", valid=False), decisions=closed)
    f = flags(again, 30)["safety"]
    assert f.raised_on == day(25)
    assert [e["date"] for e in f.evidence["events"]] == [day(10).isoformat(), day(25).isoformat()]


def test_follow_up_reraised_by_a_window_closing_after_the_decision() -> None:
    closed = (decided("overdue", 20, "dismissed"),)  # 2w missed, decided on 2026-01-21
    assert "overdue" not in flags(episode((-7, 70, 60), decisions=closed), date(2026, 1, 25))
    # 6w done on 2026-02-10, then 3m (window closes 2026-04-15) missed.
    ep = episode((-7, 70, 60), (40, 60, 55), decisions=closed)
    assert flags(ep, date(2026, 4, 16))["overdue"].raised_on == date(2026, 4, 16)
    # A second miss right after is a different kind, not covered by the decision on overdue.
    lost = flags(episode((-7, 70, 60), decisions=closed), date(2026, 2, 20))
    assert "lost_to_follow_up" in lost


def test_nothing_before_the_treatment() -> None:
    assert evaluate_episode(episode((-7, 70, 60)), day(-1), RULES) == []
