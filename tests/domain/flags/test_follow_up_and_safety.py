"""Follow-up lapses, safety, superseded episodes and booster chains under rule set 2026.2.

Replaces the v1 tests where a patient assessed after a missed window stayed "lost", a booster
given at a scheduled visit raised a false ``overdue`` (timepoints were dropped by window opening,
not due date), a pain flare was missed when stiffness was declined, and a replaced episode kept
its flags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .helpers import RESPONDER, T0, day, decided, episode, flags, form, view

# 2w window days 10-18, 6w 35-49, 3m 76-104 (2026-03-18 to 04-15), 6m 160-202.


def test_overdue_once_the_window_closed_and_lost_when_two_were_missed() -> None:
    ep = episode((-7, 70, 60), (14, 60, 55))  # 2w done; 6w (window to day 49) missed
    assert "overdue" not in flags(ep, 49)
    found = flags(ep, 50)["overdue"]
    assert found.raised_on == day(50) and found.evidence["missed"][0]["timepoint"] == "6w"
    assert set(flags(ep, 105)) & {"overdue", "lost_to_follow_up"} == {"lost_to_follow_up"}


def test_any_assessment_after_the_missed_window_means_the_patient_is_back() -> None:
    ep = episode((-7, 70, 60), (14, 60, 55), (60, 50, 50))  # day 60: between 6w and 3m windows
    assert not {"overdue", "lost_to_follow_up"} & set(flags(ep, 61))
    lost = episode((-7, 70, 60), (14, 60, 55))
    assert "lost_to_follow_up" in flags(lost, 110)
    back = episode((-7, 70, 60), (14, 60, 55), (110, 50, 50))  # assessed today, outside a window
    assert not {"overdue", "lost_to_follow_up"} & set(flags(back, 110))


def test_a_form_with_pain_alone_brings_the_patient_back_but_does_not_complete_a_visit() -> None:
    # In the 6w window with function too incomplete to score: the visit is not done.
    in_window = episode((-7, 70, 60), (14, 60, 55), form(40, 50, None))
    assert "overdue" in flags(in_window, 50)
    # After the missed window, the same form means the patient is back.
    after = episode((-7, 70, 60), (14, 60, 55), form(55, 50, None))
    assert "overdue" not in flags(after, 56)


def test_a_booster_given_at_a_scheduled_visit_raises_no_false_overdue() -> None:
    # The 3m visit is due 2026-04-01 (day 90); a booster that day replaces it.
    ep = episode(*RESPONDER[:2], next_on=day(90))
    for as_of in (90, 110, 200):
        assert not {"overdue", "lost_to_follow_up"} & set(flags(ep, as_of))


def test_a_superseded_episode_keeps_only_safety_and_no_baseline() -> None:
    ep = episode((-7, 70, 60), (60, 30, 40, 25), (90, 20, 25), (150, 60, 60), (165, 60, 60),
                 form(170, 60, 60, ae="swollen"), next_on=day(200))  # fmt: skip
    assert {"wearing_off", "safety"} <= set(flags(ep, 199))
    assert set(flags(ep, 200)) == {"safety"}
    assert ep.superseded_as_of(day(200)) == f"superseded by treatment T2 on {day(200).isoformat()}"
    assert ep.superseded_as_of(day(199)) is None


def test_an_adverse_event_on_a_form_too_incomplete_to_score_counts() -> None:
    ep = episode((-7, 70, 60), form(20, None, None, None, ae="redness and warmth"))
    found = flags(ep, 21)["safety"]
    assert found.raised_on == day(20)
    assert found.summary == "Adverse event reported on 2026-01-21: redness and warmth."


def test_a_pain_flare_counts_with_pain_valid_alone() -> None:
    # The patient declined the stiffness questions: pain (valid on its own) is 35 worse.
    ep = episode((-7, 40, 50), form(20, 75, 50, None))
    found = flags(ep, 21)["safety"]
    assert found.evidence["events"][0]["pain_rise"] == 35


def test_a_pain_flare_is_30_points_within_60_days() -> None:
    assert "safety" in flags(episode((-7, 40, 50), (60, 70, 50)), 61)
    assert "safety" not in flags(episode((-7, 40, 50), (61, 70, 50)), 62)
    assert "safety" not in flags(episode((-7, 40, 50), (30, 69.9, 50)), 31)


def test_a_flare_after_a_booster_is_measured_from_the_booster_s_own_pain() -> None:
    # Well at 30 before a maintenance booster (its chain's first baseline was 70): 65 is a flare.
    chain = ((-7, 70, 60),)
    ep = episode((-5, 30, 30), (20, 65, 30), treated_on=T0, booster_of="T0", chain_on=day(-365),
                 chain_rows=tuple((d - 365, p, f) for d, p, f in chain))  # fmt: skip
    assert "safety" in flags(ep, 21)


def test_a_booster_keeps_its_chain_s_baseline_and_shows_its_own() -> None:
    chain_rows = ((-372, 70, 60),)
    ep = episode((-5, 30, 30), (40, 30, 30), (70, 30, 30), (150, 55, 30), (165, 56, 30),
                 booster_of="T0", chain_on=day(-365), chain_rows=chain_rows)  # fmt: skip
    found = flags(ep, 166)
    assert "wearing_off" in found
    base = found["wearing_off"].evidence["baseline"]
    assert base["pain"] == 70 and base["own_before_booster"] == {"pain": 30, "function": 30}
    alone = episode((-5, 30, 30), (40, 30, 30), (70, 30, 30), (150, 55, 30), (165, 56, 30))
    assert "wearing_off" not in flags(alone, 166)  # judged on its own baseline: no response


def test_safety_is_reraised_only_by_a_newer_safety_event() -> None:
    first = form(20, 50, 50, ae="swelling")
    ep = episode((-7, 40, 50), first, (40, 45, 50), decisions=(decided("safety", 25),))
    assert "safety" not in flags(ep, 41)
    again = episode((-7, 40, 50), first, form(40, 45, 50, ae="fever"),
                    decisions=(decided("safety", 25),))  # fmt: skip
    assert flags(again, 41)["safety"].raised_on == day(40)


def test_follow_up_is_reraised_by_a_window_closing_after_the_decision() -> None:
    ep = episode((-7, 70, 60), (14, 60, 55), decisions=(decided("overdue", 55),))
    assert "overdue" not in flags(ep, 60)  # the 6w window closed before the decision
    assert "lost_to_follow_up" in flags(ep, 105)  # another kind: not closed by it
    later = episode((-7, 70, 60), (14, 60, 55), (80, 50, 50), decisions=(decided("overdue", 55),))
    assert "overdue" in flags(later, 203)  # the 6m window closed after the decision


def test_nothing_before_the_treatment() -> None:
    assert flags(episode(*RESPONDER), -1) == {}
    assert flags(episode(*RESPONDER), T0 - timedelta(days=30)) == {}


# --- boundaries, day before and day of -------------------------------------------------------


def test_a_pain_only_form_on_the_last_day_of_a_window_is_neither_a_visit_nor_a_return() -> None:
    # 6w window days 35-49: on day 49 the form is inside the missed window (not done: function
    # invalid), so not "after" it; on day 50 it is after it, and the patient is back.
    assert "overdue" in flags(episode((-7, 70, 60), (14, 60, 55), form(49, 50, None)), 50)
    assert "overdue" not in flags(episode((-7, 70, 60), (14, 60, 55), form(50, 50, None)), 50)


def test_a_visit_is_done_with_valid_pain_and_function_whatever_stiffness() -> None:
    ep = episode((-7, 70, 60), (14, 60, 55), form(49, 50, 50, None))
    assert not {"overdue", "lost_to_follow_up"} & set(flags(ep, 50))


def test_a_pain_flare_keeps_the_1e_9_tolerance() -> None:
    assert "safety" not in flags(episode((-7, 40, 50), (30, 70 - 1e-6, 50)), 31)
    assert "safety" in flags(episode((-7, 40, 50), (30, 70 - 1e-10, 50)), 31)


def test_adverse_events_count_from_the_treatment_day_not_on_baseline_forms() -> None:
    assert flags(episode((-7, 40, 50), form(0, 40, 50, ae="bruising")), 1)["safety"].raised_on == T0
    assert "safety" not in flags(episode(form(-7, 40, 50, ae="old sprain"), (30, 40, 50)), 31)


NON_RESPONDER = ((-7, 60, 50), (42, 57, 48), (90, 58, 49), (155, 57, 48))


@pytest.mark.parametrize(
    ("rows", "kind", "next_day"),
    [
        (NON_RESPONDER, "no_response", 185),
        (RESPONDER, "booster_window", 220),  # KL 4: window open from day 213
        (((-7, 70, 60), (14, 60, 55)), "overdue", 60),
        ((*RESPONDER, (150, 45, 30)), "possible_wearing_off", 185),  # unanswered call, day 179
    ],
)
def test_a_later_treatment_closes_each_kind_from_its_own_day(
    rows: tuple, kind: str, next_day: int
) -> None:
    ep = episode(*rows, kl=4, next_on=day(next_day))
    assert kind in flags(ep, next_day - 1)
    assert kind not in flags(ep, next_day)


@pytest.mark.parametrize(("chain_day", "from_chain"), [(-455, True), (-456, False)])
def test_a_booster_takes_its_chain_s_baseline_within_90_days_of_that_treatment(
    chain_day: int, from_chain: bool
) -> None:
    # The chain's first treatment is on day -365: its look-back reaches day -455, not -456; the
    # booster falls back on its own baseline (30) without a chain baseline.
    ep = episode((-5, 30, 30), (40, 30, 30), booster_of="T0", chain_on=day(-365),
                 chain_rows=((chain_day, 70, 60),))  # fmt: skip
    v = view(ep, 41)
    assert (v.from_chain, v.value_of("pain")) == (from_chain, 70 if from_chain else 30)
