"""Baseline and follow-up schedule of one episode (DESIGN.md 2.2).

Judgement calls where DESIGN leaves room (each also stated where it is made):

- Nothing dated after "as of" exists: neither assessments nor the next treatment. An episode whose
  next treatment is dated after "as of" is still the knee's latest episode on that day, so a
  replayed date gives the answer the clinic would have seen then.
- Timepoints due on or after the next treatment of the knee are dropped (DESIGN 2.3): a booster
  given at a scheduled visit replaces that visit, it does not miss it. A kept window is cut at the
  day before the next treatment: the episode ends there, and later assessments belong to the next
  episode.
- A timepoint is done by an assessment with valid pain and function in its window; one assessment
  completes every timepoint whose window contains it (default windows never overlap).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from followup.domain.records import EpisodeInput, ScoredAssessment
from followup.domain.rules import RuleSet, TimepointRule

DONE, DUE, OVERDUE, UPCOMING = "done", "due", "overdue", "upcoming"
ONE_DAY = timedelta(days=1)


class Timepoint(NamedTuple):
    """One follow-up call: label (``6w``, ``3m``...), due date and its inclusive window."""

    label: str
    due_on: date
    window_start: date
    window_end: date


@dataclass(frozen=True)
class TimepointStatus:
    """A timepoint as of a day: ``done`` (with the date of the first valid assessment in its
    window), ``due`` (window open, not done), ``overdue`` (window closed without one) or
    ``upcoming`` (window not open yet)."""

    timepoint: Timepoint
    status: str
    done_on: date | None = None

    @property
    def label(self) -> str:
        """The timepoint's name ("3m", "confirm", ...)."""
        return self.timepoint.label

    @property
    def due_on(self) -> date:
        """The day this follow-up is due."""
        return self.timepoint.due_on

    @property
    def window_start(self) -> date:
        """The first day an assessment counts for this follow-up."""
        return self.timepoint.window_start

    @property
    def window_end(self) -> date:
        """The last day an assessment counts for this follow-up."""
        return self.timepoint.window_end


@cache
def planned_timepoints(treated_on: date, steps: tuple[TimepointRule, ...]) -> tuple[Timepoint, ...]:
    """Every scheduled timepoint after a treatment on ``treated_on``, before any cut by a later
    treatment. A clinic has a few thousand treatment dates and one schedule, so the plans are
    kept: every evaluation of every knee treated that day asks for the same one."""
    planned = []
    for step in steps:
        due = step.due_on(treated_on)
        window = timedelta(days=step.window_days)
        planned.append(Timepoint(step.label, due, due - window, due + window))
    return tuple(planned)


def timepoints_for(
    treated_on: date, next_treated_on: date | None, rules: RuleSet
) -> tuple[Timepoint, ...]:
    """The episode's timepoints: those due before the next treatment of the knee, windows cut at
    the day before it (see the module docstring for why)."""
    planned = planned_timepoints(treated_on, rules.schedule.timepoints)
    if next_treated_on is None:
        return planned
    last_day = next_treated_on - ONE_DAY
    kept = []
    for tp in planned:
        if tp.due_on >= next_treated_on:
            continue
        if tp.window_end > last_day:  # cut
            tp = tp._replace(window_end=last_day)
        kept.append(tp)
    return tuple(kept)


def next_treatment_as_of(episode: EpisodeInput, as_of: date) -> date | None:
    """The next treatment of the knee if it had happened by ``as_of`` (later ones do not exist)."""
    nxt = episode.next_treated_on
    return nxt if nxt is not None and nxt <= as_of else None


def follow_up_dates(assessments: Sequence[ScoredAssessment], as_of: date) -> list[date]:
    """Sorted dates, up to ``as_of``, of the assessments that can complete a timepoint (valid
    pain and function)."""
    return sorted(
        a.assessed_on for a in assessments if a.counts_for_follow_up and a.assessed_on <= as_of
    )


def seen_dates(assessments: Sequence[ScoredAssessment], as_of: date) -> list[date]:
    """Sorted dates, up to ``as_of``, of the assessments valid for pain or function: a patient
    who answered them is back in follow-up."""
    return sorted(
        a.assessed_on
        for a in assessments
        if (a.pain is not None or a.function is not None) and a.assessed_on <= as_of
    )


def timepoint_statuses(
    timepoints: Sequence[Timepoint], dates: Sequence[date], as_of: date
) -> list[TimepointStatus]:
    """Status of each timepoint given the sorted dates of valid assessments up to ``as_of``."""
    statuses = []
    for tp in timepoints:
        i = bisect_left(dates, tp.window_start)
        if i < len(dates) and dates[i] <= tp.window_end:
            statuses.append(TimepointStatus(tp, DONE, dates[i]))
        elif tp.window_end < as_of:
            statuses.append(TimepointStatus(tp, OVERDUE))
        elif tp.window_start <= as_of:
            statuses.append(TimepointStatus(tp, DUE))
        else:
            statuses.append(TimepointStatus(tp, UPCOMING))
    return statuses


def schedule_status(episode: EpisodeInput, as_of: date, rules: RuleSet) -> list[TimepointStatus]:
    """Every timepoint of the episode with its status on ``as_of``."""
    timepoints = timepoints_for(
        episode.treatment.treated_on, next_treatment_as_of(episode, as_of), rules
    )
    return timepoint_statuses(timepoints, follow_up_dates(episode.assessments, as_of), as_of)


def missed_follow_up(
    timepoints: Sequence[Timepoint],
    done_dates: Sequence[date],
    as_of: date,
    seen: Sequence[date] = (),
) -> tuple[Timepoint, ...]:
    """The missed follow-up that counts on ``as_of``: () when on track; (latest closed,) when
    that was missed; (the one before, latest closed) when both were. Judged on the latest
    timepoint whose window closed before ``as_of``; ``done_dates`` (sorted) complete a
    timepoint, and any date in ``seen`` (sorted) after the judged window means the patient is
    back in follow-up, so nothing is missed."""
    closed = [tp for tp in timepoints if tp.window_end < as_of]
    if not closed:
        return ()

    def done(tp: Timepoint) -> bool:
        i = bisect_left(done_dates, tp.window_start)
        return i < len(done_dates) and done_dates[i] <= tp.window_end

    judged = closed[-1]
    back = [d for d in (*done_dates, *seen) if d > judged.window_end]
    if done(judged) or back:
        return ()
    if len(closed) > 1 and not done(closed[-2]):
        return (closed[-2], judged)
    return (judged,)
