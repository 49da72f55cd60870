"""The confirmation call at every boundary of DESIGN.md 2.3: window [start + 14, start + 28],
done by a valid assessment in it, dropped when the run ends, when ``wearing_off`` is raised or
when a later treatment exists; at most one per episode; a scheduled timepoint whose window
overlaps is served by the same call; never a missed timepoint.

The responder (helpers.RESPONDER) signals in pain on day 150 (45 >= its signal level 43): the call
is due day 164, window days 164-178. The 6m window is days 160-202.
"""

from __future__ import annotations

from followup.domain.flags import confirmation_call
from followup.domain.schedule import schedule_status

from .helpers import RESPONDER, RULES, call, day, episode, flags, form

SIGNAL = (*RESPONDER, (150, 45, 30))


def test_the_window_opens_on_start_plus_14_and_closes_after_start_plus_28() -> None:
    confirm = confirmation_call(episode(*SIGNAL), day(150), RULES)
    assert confirm is not None
    assert [confirm.status(day(n)) for n in (163, 164, 178, 179)] == [
        "upcoming", "due", "due", "overdue",
    ]  # fmt: skip


def test_an_answer_on_the_first_or_last_day_of_the_window_settles_the_call() -> None:
    for n in (164, 178):
        calm = episode(*SIGNAL, (n, 30, 30))  # under the signal level: the run ends
        assert flags(calm, 179) == {} and confirmation_call(calm, day(n), RULES) is None
    still = episode(*SIGNAL, (178, 45, 30))  # signals again: a run of 28 days
    assert flags(still, 179)["wearing_off"].raised_on == day(164 + 14)


def test_a_signal_the_day_before_the_window_opens_keeps_the_call() -> None:
    # Day 163: a run of 13 days, still short; the call and its window stay where they were.
    ep = episode(*SIGNAL, (163, 46, 30))
    confirm = confirmation_call(ep, day(163), RULES)
    assert confirm is not None
    assert (confirm.window_start, confirm.window_end) == (day(164), day(178))
    assert "wearing_off" not in flags(ep, 178)
    assert flags(ep, 179)["possible_wearing_off"].raised_on == day(150 + 29)


def test_at_most_one_call_for_runs_in_two_domains() -> None:
    # Pain signals from day 150, function (50.5 and up) from day 155: one call, for the earlier run.
    ep = episode(*SIGNAL, (155, 45, 51))
    found = call(ep, 156)
    assert found.timepoint == "confirm"
    assert (found.due_on, found.window_end) == (day(164), day(178))


def test_a_later_treatment_drops_the_call_from_its_own_day() -> None:
    ep = episode(*SIGNAL, next_on=day(160))
    assert confirmation_call(ep, day(159), RULES) is not None
    assert confirmation_call(ep, day(160), RULES) is None
    assert call(ep, 160) is None
    assert flags(ep, 179) == {}  # nor does its window closing raise anything


def test_an_unanswered_call_is_never_a_missed_timepoint() -> None:
    ep = episode(*SIGNAL)
    assert set(flags(ep, 179)) == {"possible_wearing_off"}
    assert "confirm" not in {s.label for s in schedule_status(ep, day(179), RULES)}
    found = call(ep, 179)
    assert (found.timepoint, found.status(day(179))) == ("6m", "due")


def test_a_scheduled_window_that_overlaps_is_served_by_the_same_call() -> None:
    ep = episode(*SIGNAL)
    # The 6m window opens on day 160, inside the wait for the call (window from day 164): one
    # call, on every day until the call's window closes.
    for n in (151, 159, 160, 163, 164, 178):
        found = call(ep, n)
        assert found.timepoint == "confirm", n
        assert found.reason == "pain up 20 since best, confirm (serves the 6m too)", n
    answered = episode(*SIGNAL, (170, 30, 30))
    six_months = {s.label: s for s in schedule_status(answered, day(171), RULES)}["6m"]
    assert (six_months.status, six_months.done_on) == ("done", day(170))


def test_a_scheduled_window_closing_before_the_call_opens_comes_first() -> None:
    # Pain signals on day 195 on a form whose function is too incomplete to score, so the 6m
    # visit (window to day 202) is not done; the call's window opens on day 209, after it.
    ep = episode(*RESPONDER, form(195, 45, None))
    found = call(ep, 196)
    assert (found.timepoint, found.status(day(196))) == ("6m", "due")
    assert found.reason == f"then a confirmation call from {day(209).isoformat()}"
    assert call(ep, 209).timepoint == "confirm"
