"""Every default follow-up window of DESIGN.md 2.2 at its edges: upcoming the day before it opens,
due on its first and last day, overdue the day after; done by a valid assessment on either edge and
not by one a day outside. Treatment on 2026-01-01; the dates are worked out from the calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from followup.domain.schedule import Timepoint, schedule_status, timepoints_for

from .flags.helpers import RULES, T0, episode, form

ONE_DAY = timedelta(days=1)

# (label, due, window start, window end): 2 weeks +/-4 d, 6 weeks +/-7, 3 months +/-14, 6 and 9
# months +/-21, 12 and 18 months +/-30, then 24 to 60 months every 12 months +/-45.
WINDOWS = [
    ("2w", date(2026, 1, 15), date(2026, 1, 11), date(2026, 1, 19)),
    ("6w", date(2026, 2, 12), date(2026, 2, 5), date(2026, 2, 19)),
    ("3m", date(2026, 4, 1), date(2026, 3, 18), date(2026, 4, 15)),
    ("6m", date(2026, 7, 1), date(2026, 6, 10), date(2026, 7, 22)),
    ("9m", date(2026, 10, 1), date(2026, 9, 10), date(2026, 10, 22)),
    ("12m", date(2027, 1, 1), date(2026, 12, 2), date(2027, 1, 31)),
    ("18m", date(2027, 7, 1), date(2027, 6, 1), date(2027, 7, 31)),
    ("24m", date(2028, 1, 1), date(2027, 11, 17), date(2028, 2, 15)),
    ("36m", date(2029, 1, 1), date(2028, 11, 17), date(2029, 2, 15)),
    ("48m", date(2030, 1, 1), date(2029, 11, 17), date(2030, 2, 15)),
    ("60m", date(2031, 1, 1), date(2030, 11, 17), date(2031, 2, 15)),
]


def test_the_default_schedule_ends_at_60_months() -> None:
    assert timepoints_for(T0, None, RULES) == tuple(Timepoint(*w) for w in WINDOWS)


def status(ep, label: str, on: date) -> str:  # type: ignore[no-untyped-def]
    return {s.label: s.status for s in schedule_status(ep, on, RULES)}[label]


def on_day(d: date) -> int:
    return (d - T0).days


@pytest.mark.parametrize(("label", "due", "start", "end"), WINDOWS)
def test_status_at_each_edge_of_the_window(label: str, due: date, start: date, end: date) -> None:
    ep = episode()
    got = [status(ep, label, d) for d in (start - ONE_DAY, start, due, end, end + ONE_DAY)]
    assert got == ["upcoming", "due", "due", "due", "overdue"]


@pytest.mark.parametrize(("label", "due", "start", "end"), WINDOWS)
def test_done_by_an_assessment_on_either_edge_and_not_a_day_outside(
    label: str, due: date, start: date, end: date
) -> None:
    later = end + timedelta(days=60)
    for d, done in ((start - ONE_DAY, False), (start, True), (end, True), (end + ONE_DAY, False)):
        assert (status(episode((on_day(d), 50, 50)), label, later) == "done") is done, d


def test_a_form_with_stiffness_invalid_completes_a_visit_one_with_function_invalid_does_not() -> (
    None
):
    assert status(episode(form(14, 50, 50, None)), "2w", date(2026, 1, 20)) == "done"
    assert status(episode(form(14, 50, None)), "2w", date(2026, 1, 20)) == "overdue"


def test_a_next_treatment_drops_the_timepoints_due_on_or_after_it() -> None:
    # 12m due 2027-01-01: a treatment that day drops it; a day later it stays, cut to its eve.
    def labels(nxt: date) -> list[str]:
        return [t.label for t in timepoints_for(T0, nxt, RULES)]

    assert labels(date(2027, 1, 1))[-1] == "9m"
    kept = timepoints_for(T0, date(2027, 1, 2), RULES)[-1]
    assert kept == Timepoint("12m", date(2027, 1, 1), date(2026, 12, 2), date(2027, 1, 1))
