"""Follow-up lapses (DESIGN.md 2.3): ``overdue`` (watch) when the latest closed scheduled
timepoint was missed, ``lost_to_follow_up`` (action, instead) when the one before it was missed
too.

Judged on the latest scheduled timepoint whose window closed before "as of" (a confirmation call
never counts as a missed timepoint); nothing is raised when it was done, or when the patient has
been assessed since its window (the patient is back: the flag never contradicts a form on record).
raised_on is the day after the judged window closed. An episode a later treatment has superseded
raises none. After a decision, only a window closing after the decision day re-raises it.
"""

from __future__ import annotations

from datetime import date, timedelta

from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.finding import Raised, finding
from followup.domain.schedule import follow_up_dates, missed_follow_up, seen_dates, timepoints_for


def follow_up(ep: EpisodeView) -> Raised | None:
    """``overdue`` or ``lost_to_follow_up`` (see ``schedule.missed_follow_up``)."""
    if ep.superseded:
        return None
    timepoints = timepoints_for(ep.treated_on, None, ep.rules)
    missed = missed_follow_up(
        timepoints,
        follow_up_dates(ep.visible, ep.as_of),
        ep.as_of,
        seen_dates(ep.visible, ep.as_of),
    )
    if not missed:
        return None
    judged = missed[-1]
    lost = len(missed) == 2
    windows = [
        {
            "timepoint": tp.label,
            "due_on": tp.due_on.isoformat(),
            "window_start": tp.window_start.isoformat(),
            "window_end": tp.window_end.isoformat(),
        }
        for tp in missed
    ]
    last = ep.last_usable_since_treatment()
    last_on = None if last is None else last.isoformat()
    evidence = ep.common_evidence(
        "latest two closed timepoints missed" if lost else "latest closed timepoint missed"
    )
    evidence["missed"] = windows
    evidence["last_assessment"] = last_on
    since = f"last assessment {last_on}" if last_on else "no assessment since treatment"
    w = windows[-1]
    if lost:
        what = (
            f"The {missed[0].label} and {judged.label} follow-ups were both missed (windows "
            f"closed {windows[0]['window_end']} and {w['window_end']}); {since}"
        )
    else:
        what = (
            f"The {judged.label} follow-up (window {w['window_start']} to {w['window_end']}) "
            f"was missed; {since}"
        )
    closed_on = judged.window_end + timedelta(days=1)
    kind = "lost_to_follow_up" if lost else "overdue"

    def newer(decided_on: date) -> date | None:
        return closed_on if closed_on > decided_on else None

    return Raised(finding(kind, closed_on, None, evidence, what), newer)
