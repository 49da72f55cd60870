"""The call sheet: the calls of one worklist view (or of the next N days) as one list to print
or open in a spreadsheet, with when it was made. A coordinator prints the day's calls and
writes each outcome by hand; ``reports.call_sheet`` renders it.

The sheet holds the whole view, not a page: it covers a day's or a few weeks' calls and goes to
a file, never to a screen's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from followup.services.call_list import (
    STATUS_ORDER,
    VIEWS,
    DueItem,
    PatientCall,
    due_list,
    grouped,
    view_list,
)
from followup.services.context import Context


@dataclass(frozen=True)
class CallSheet:
    """The calls of a view as of a day, each patient's local time taken when it was made."""

    title: str  # "This week", "Next 10 days"
    description: str  # which calls, in words
    as_of: date
    made_at: datetime  # timezone-aware
    items: tuple[DueItem, ...]  # one per knee, overdue first, then by due day

    @cached_property
    def calls(self) -> tuple[PatientCall, ...]:
        """One call per patient (both knees named when both are due), most urgent first."""
        return tuple(call.with_time(self.made_at) for call in grouped(list(self.items)))

    def by_status(self) -> list[tuple[str, tuple[PatientCall, ...]]]:
        """The calls under their status (overdue, due, upcoming), empty statuses left out. A
        patient is listed once, under the status of their most urgent knee."""
        calls = self.calls
        groups = [(s, tuple(c for c in calls if c.status == s)) for s in STATUS_ORDER]
        return [(status, group) for status, group in groups if group]


def _describe(view: str | None, days: int, as_of: date) -> tuple[str, str]:
    if view == "overdue":
        return VIEWS[view][0], f"calls whose window closed before {as_of.isoformat()}"
    if view is not None:
        title = VIEWS[view][0]
    else:
        title = "Today" if days == 0 else f"Next {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return title, "calls whose window is open today, and overdue calls"
    until = as_of + timedelta(days=days)
    return title, f"calls whose window opens by {until.isoformat()}, and overdue calls"


def read_call_sheet(
    ctx: Context,
    *,
    view: str | None = None,
    days: int = 7,
    as_of: date | None = None,
    site_id: str | None = None,
) -> CallSheet:
    """The call sheet of a worklist view (``VIEWS``), or, without one, of the calls whose window
    opens within ``days`` days of ``as_of`` (and overdue ones), as ``followup due`` lists them.
    The cohort's evaluation is brought up to ``as_of`` first (incremental)."""
    as_of = as_of or ctx.today()
    if view is not None:
        items = view_list(ctx, view, as_of, site_id=site_id)
        view_days = VIEWS[view][1]
        days = view_days if view_days is not None else 0
    else:
        items = due_list(ctx, as_of, days, site_id)
    title, description = _describe(view, days, as_of)
    return CallSheet(title, description, as_of, ctx.now(), tuple(items))
