"""The episode's current call: what a coordinator phones the patient about next.

One call per episode at a time, so the worklist has one row per knee and a coordinator calls
once, not once per missed timepoint:

- a **confirmation call** while a first signal waits for its second reading (from the day the
  signal is saved until its window, 14 to 28 days after the run's start, closes); a scheduled
  timepoint whose window overlaps is served by the same call, even while the scheduled window is
  open and the call's is not yet (an assessment after a missed window brings the patient back,
  so the call made late in its window misses nothing). Only when a scheduled call is due now or
  overdue and its window closes before the confirmation window opens does the scheduled call
  come first (its reason names the confirmation call to follow);
- otherwise the scheduled timepoint whose window is open today and not yet done (``due``);
- otherwise the latest closed timepoint, when it was missed and the patient has not been
  assessed since (``overdue``), until the next window opens;
- otherwise the next timepoint whose window has not opened yet (``upcoming``).

An episode the knee's next treatment has superseded has no call. The call depends on "as of" only
through the treatment dates, the assessment dates and the window boundaries, which
``stable_range`` counts as days on which a result may change.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date
from typing import NamedTuple

from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.wearing_off import confirmation_window
from followup.domain.flags.wording import points
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet
from followup.domain.schedule import (
    DUE,
    OVERDUE,
    UPCOMING,
    Timepoint,
    follow_up_dates,
    missed_follow_up,
    next_treatment_as_of,
    seen_dates,
    timepoints_for,
)

CONFIRM = "confirm"


class Call(NamedTuple):
    """A call to make: the timepoint it is for (``confirm`` for a confirmation call), its due day
    and window, and why in a few words when the schedule does not say it by itself."""

    timepoint: str
    due_on: date
    window_start: date
    window_end: date
    reason: str | None = None

    def status(self, today: date) -> str:
        """``overdue`` once the window has closed, ``due`` while it is open, else ``upcoming``."""
        if self.window_end < today:
            return OVERDUE
        return DUE if self.window_start <= today else UPCOMING


def _call(tp: Timepoint) -> Call:
    return Call(tp.label, tp.due_on, tp.window_start, tp.window_end)


def scheduled_call(episode: EpisodeInput, as_of: date, rules: RuleSet) -> Call | None:
    """The call the follow-up schedule asks for on ``as_of`` (no confirmation calls)."""
    treated_on = episode.treatment.treated_on
    if as_of < treated_on or next_treatment_as_of(episode, as_of) is not None:
        return None
    timepoints = timepoints_for(treated_on, None, rules)
    dates = follow_up_dates(episode.assessments, as_of)

    def done(tp: Timepoint) -> bool:
        i = bisect_left(dates, tp.window_start)
        return i < len(dates) and dates[i] <= tp.window_end

    for tp in timepoints:
        if tp.window_start <= as_of <= tp.window_end and not done(tp):
            return _call(tp)
    missed = missed_follow_up(timepoints, dates, as_of, seen_dates(episode.assessments, as_of))
    if missed:
        return _call(missed[-1])
    for tp in timepoints:
        if tp.window_start > as_of and not done(tp):
            return _call(tp)
    return None


def confirmation_call(
    episode: EpisodeInput, as_of: date, rules: RuleSet, view: EpisodeView | None = None
) -> Call | None:
    """The open confirmation call of the episode on ``as_of``, if a first signal is waiting for
    its second reading and the call's window has not closed. ``view`` is the episode as the
    rules see it that day, when the caller has it already."""
    if as_of < episode.treatment.treated_on:
        return None
    ep = view if view is not None else EpisodeView(episode, as_of, rules)
    window = confirmation_window(ep)
    if window is None:
        return None
    course, due, opens, closes = window
    if as_of > closes:
        return None  # closed without a reading: the review queue takes it (possible wearing off)
    rise = course.values[-1] - course.best
    reason = f"{course.domain} up {points(rise)} since best, confirm"
    return Call(CONFIRM, due, opens, closes, reason)


def current_call(
    episode: EpisodeInput, as_of: date, rules: RuleSet, view: EpisodeView | None = None
) -> Call | None:
    """The call to make about this episode on ``as_of`` (see the module docstring); ``view`` as
    for ``confirmation_call``."""
    scheduled = scheduled_call(episode, as_of, rules)
    confirm = confirmation_call(episode, as_of, rules, view)
    if confirm is None:
        return scheduled
    if scheduled is not None:
        # Overlap first: a scheduled visit open now whose window reaches into the call's is
        # made by the call, not by a call now and another a few days later.
        if (
            scheduled.window_start <= confirm.window_end
            and confirm.window_start <= scheduled.window_end
        ):
            return confirm._replace(
                reason=f"{confirm.reason} (serves the {scheduled.timepoint} too)"
            )
        if scheduled.status(as_of) != UPCOMING and confirm.status(as_of) == UPCOMING:
            return scheduled._replace(
                reason=f"then a confirmation call from {confirm.window_start.isoformat()}"
            )
    return confirm
