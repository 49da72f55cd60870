"""Calendar-month arithmetic as ``dateutil.relativedelta(months=n)`` does it: the same day of the
month ``n`` months on, clipped to that month's last day (31 Jan + 1 month = 28/29 Feb; 29 Feb +
12 months = 28 Feb). relativedelta stays the reference (a property test compares the two on
every kind of date); this is the same rule without building a relativedelta, which cost more than
everything else a whole-cohort evaluation does per distinct treatment date."""

from __future__ import annotations

from datetime import date, timedelta

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (negative goes back), clipped to the month's end."""
    if not months:
        return day
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = 29 if month0 == 1 and _is_leap(year) else _DAYS_IN_MONTH[month0]
    return date(year, month0 + 1, min(day.day, last))


def due_date(treated_on: date, months: int, days: timedelta) -> date:
    """A timepoint's due day: ``months`` calendar months and then ``days`` on."""
    return add_months(treated_on, months) + days
