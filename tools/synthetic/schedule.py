"""The follow-up schedule (DESIGN.md 2.2) and treatment durability (2.3), for the generator.

The generator places visits inside the timepoint windows and keeps each archetype clear of (or,
for ``booster_window``, inside) the booster window, so it needs its own copy of these numbers;
it must not import the app, whose rules it is meant to exercise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Timepoint:
    """A follow-up timepoint: due ``days`` or ``months`` after treatment, +/- ``window`` days."""

    label: str
    days: int = 0
    months: int = 0
    window: int = 0

    def due(self, treated_on: date) -> date:
        """The due date of this timepoint for a treatment given on ``treated_on``.

        Whole months clip to the month's end (31 January + 1 month is 28 or 29 February).
        """
        if self.months:
            return treated_on + relativedelta(months=self.months)
        return treated_on + timedelta(days=self.days)


SCHEDULE = (
    Timepoint("2w", days=14, window=4),
    Timepoint("6w", days=42, window=7),
    Timepoint("3m", months=3, window=14),
    Timepoint("6m", months=6, window=21),
    Timepoint("9m", months=9, window=21),
    Timepoint("12m", months=12, window=30),
    Timepoint("18m", months=18, window=30),
    Timepoint("24m", months=24, window=45),
    Timepoint("36m", months=36, window=45),
    Timepoint("48m", months=48, window=45),
    Timepoint("60m", months=60, window=45),
)


@dataclass(frozen=True, slots=True)
class Window:
    """One timepoint of one treatment with its concrete dates."""

    label: str
    due: date
    start: date
    end: date


def schedule_windows(treated_on: date, until: date) -> list[Window]:
    """The timepoint windows of a treatment that have opened by ``until``."""
    windows = []
    for tp in SCHEDULE:
        due = tp.due(treated_on)
        start = due - timedelta(days=tp.window)
        if start > until:
            break
        windows.append(Window(tp.label, due, start, due + timedelta(days=tp.window)))
    return windows


DURABILITY_MONTHS = {1: 36, 2: 36, 3: 24, 4: 9, None: 24}
IV_DURABILITY_MONTHS = 12
# The app may compute "durability - 60 days" slightly differently (e.g. 4 or 4.5 months for a
# smoker's KL4 knee), so archetypes keep this many days away from the booster window's opening.
BOOSTER_MARGIN_DAYS = 25


def booster_window_day(kl_grade: int | None, route: str, smoker: bool) -> int:
    """Approximate days after treatment when ``booster_window`` opens (durability - 60 days)."""
    months = IV_DURABILITY_MONTHS if route == "iv" else DURABILITY_MONTHS[kl_grade]
    if smoker:
        months /= 2
    return round(months * 30.4375) - 60
