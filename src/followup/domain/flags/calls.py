"""The episode's current call: what a coordinator phones the patient about next.

One call per episode at a time, so the worklist has one row per knee and a coordinator calls
once, not once per missed timepoint:

- the timepoint whose window is open today and not yet done (``due``);
- otherwise the latest closed timepoint, when it was missed and the patient has not been
  assessed since (``overdue``; see ``schedule.missed_follow_up``), until the next window opens;
- otherwise the next timepoint whose window has not opened yet (``upcoming``).

An episode the knee's next treatment has superseded has no call: its missed timepoints can no
longer be made up, and follow-up goes on under the new episode's schedule. The call depends on
"as of" only through the treatment dates, the assessment dates and the window boundaries, which
``stable_range`` already counts as days on which a result may change.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date
from typing import NamedTuple

from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet
from followup.domain.schedule import (
    DUE,
    OVERDUE,
    UPCOMING,
    Timepoint,
    missed_follow_up,
    next_treatment_as_of,
    timepoints_for,
    valid_dates,
)


class Call(NamedTuple):
    """A call to make: the timepoint it is for, its due day and window, and why (in words, for
    calls the schedule does not explain by itself)."""

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


def current_call(episode: EpisodeInput, as_of: date, rules: RuleSet) -> Call | None:
    """The call to make about this episode on ``as_of`` (see the module docstring)."""
    treated_on = episode.treatment.treated_on
    if as_of < treated_on or next_treatment_as_of(episode, as_of) is not None:
        return None
    timepoints = timepoints_for(treated_on, None, rules)
    dates = valid_dates(episode.assessments, as_of)

    def done(tp: Timepoint) -> bool:
        i = bisect_left(dates, tp.window_start)
        return i < len(dates) and dates[i] <= tp.window_end

    for tp in timepoints:
        if tp.window_start <= as_of <= tp.window_end and not done(tp):
            return _call(tp)
    missed = missed_follow_up(timepoints, dates, as_of)
    if missed:
        return _call(missed[-1])
    for tp in timepoints:
        if tp.window_start > as_of and not done(tp):
            return _call(tp)
    return None
