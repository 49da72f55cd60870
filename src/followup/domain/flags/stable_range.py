"""How long an episode's result holds: the range of "as of" days on which the rules give exactly
the same findings and the same call. The rules read "as of" only by comparing it with dates of
the episode, so between two such dates nothing can change; a whole-cohort evaluation re-runs an
episode only when its data changed or the day left this range."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from functools import cache

from followup.domain.flags.decisions import BOOSTER_SCHEDULED, booster_due_by
from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.response import booster_dates
from followup.domain.flags.wearing_off import confirmation_window
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet, TimepointRule
from followup.domain.schedule import planned_timepoints


@cache
def _fixed_breakpoints(
    treated_on: date, steps: tuple[TimepointRule, ...], days_after: tuple[int, ...]
) -> tuple[date, ...]:
    """The days, fixed by the treatment date alone, on which a rule's reading of "as of" can
    flip: the treatment, the no-response days, and for every timepoint the first day of its
    window and the day after it closes. Kept: a clinic has few distinct treatment dates.

    The next treatment's cut adds only the next treatment's own day: a kept window's cut end
    plus one day is that day, and its start is the planned one."""
    days = {treated_on, *(treated_on + timedelta(days=n) for n in days_after)}
    for tp in planned_timepoints(treated_on, steps):
        days.add(tp.window_start)
        days.add(tp.window_end + timedelta(days=1))
    return tuple(sorted(days))


def stable_range(
    episode: EpisodeInput, as_of: date, rules: RuleSet, view: EpisodeView | None = None
) -> tuple[date | None, date | None]:
    """The days ``d`` with ``start <= d < end`` on which ``evaluate_episode(episode, d, rules)``
    and ``current_call(episode, d, rules)`` give exactly what they give on ``as_of`` (None:
    unbounded on that side). ``view``: the episode as seen on ``as_of``, if already built.

    The rules read "as of" only by comparing it with dates of the episode: the treatment and
    the next one, the assessments and decisions (visible from their day on), a booster
    decision's day, the no-response days, the booster window's opening, the timepoint windows
    and the open confirmation call's window."""
    t = episode.treatment
    nr = rules.no_response
    fixed = _fixed_breakpoints(
        t.treated_on, rules.schedule.timepoints, (nr.after_days, nr.late_after_days)
    )
    i = bisect_right(fixed, as_of)
    start = fixed[i - 1] if i else None
    end = fixed[i] if i < len(fixed) else None
    days = [a.assessed_on for a in episode.assessments]
    for d in episode.decisions:
        days.append(d.decided_at.date())
        if d.decision == BOOSTER_SCHEDULED:
            days.append(booster_due_by(d, rules))
    # The booster window's opening and the next treatment differ from knee to knee.
    days.append(booster_dates(t, episode.smoker, rules)[2])
    if episode.next_treated_on is not None:
        days.append(episode.next_treated_on)
    if as_of >= t.treated_on:
        window = confirmation_window(view or EpisodeView(episode, as_of, rules))
        if window is not None:
            _course, _due, opens, closes = window
            days.extend((opens, closes + timedelta(days=1)))
    for d in days:
        if d <= as_of:
            if start is None or d > start:
                start = d
        elif end is None or d < end:
            end = d
    return start, end
