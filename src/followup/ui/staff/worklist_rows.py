"""The worklist's rows: which columns fit the terminal, and what each call shows in them."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from followup.services.call_list import VIEWS, CallPage, PatientCall
from followup.ui.widgets import formatting as fmt

# Columns: key, title, width, priority (1 is kept longest as the terminal narrows).
COLUMNS = (
    ("status", "Status", 12, 1),  # "opens 05 Dec"
    ("name", "Patient", 18, 1),
    ("local", "Their time", 17, 1),  # "00:00 Sun ⚠ early"
    ("knees", "Knee · follow-up", 18, 1),  # "left 3m · right 3m"
    ("phone", "Phone", 17, 2),
    ("last", "Last contact", 19, 3),  # "wrong number 27 Nov", "reached 12 Sep 25"
    ("window", "Window", 16, 4),  # "22 Oct–20 Jan 27"
    ("id", "ID", 8, 5),  # also on the line under the list
)


# Room the knees column may grow to: "left 18m · right 18m" needs 20, "right confirm · left
# 18m" 24; anything longer ends in "…" and the line under the list names it in full.
KNEES_WIDEST = 28


def columns_that_fit(width: int, show_phone: bool) -> list[tuple[str, str, int, int]]:
    """The columns for a terminal ``width`` wide, the least important dropped first (the phone
    only when asked for); the room left over widens the knees column."""
    wanted = [c for c in COLUMNS if c[0] != "phone" or show_phone]
    for priority in (5, 4, 3, 2):
        if sum(c[2] + 2 for c in wanted) <= width - 2:
            break
        wanted = [c for c in wanted if c[3] < priority]
    spare = max(0, width - 2 - sum(c[2] + 2 for c in wanted))
    fitted = []
    for key, title, size, priority in wanted:
        if key == "knees":
            size = min(KNEES_WIDEST, size + spare)
        fitted.append((key, title, size, priority))
    return fitted


def call_cells(call: PatientCall, today: date) -> dict[str, object]:
    """The cells of one call's row, by column key: status, name, the patient's local time, the
    knees due, phone, last contact, window and ID."""
    first = call.first
    status = {
        "overdue": Text("overdue", style="bold red"),
        "due": Text("due now"),
        "upcoming": Text(f"opens {fmt.short_day(first.window_start, today)}", style="dim"),
    }[first.status]
    knees = Text(
        " · ".join(f"{k.knee} {k.timepoint}" for k in call.knees), overflow="ellipsis", no_wrap=True
    )
    last = "never"
    if first.last_contact_at:
        when = fmt.short_day(first.last_contact_at.date(), today)
        last = f"{fmt.outcome(first.last_contact_outcome)} {when}"
    opens, closes = (
        fmt.short_day(first.window_start, today),
        fmt.short_day(first.window_end, today),
    )
    window = f"{opens}–{closes}"
    return {
        "status": status,
        "name": Text(first.name, overflow="ellipsis", no_wrap=True),
        "local": fmt.local_time(first.patient_local_time, first.decent_hour, today),
        "knees": knees,
        "phone": first.phone or fmt.DASH,
        "last": last,
        "window": window,
        "id": first.patient_id,
    }


def call_line(call: PatientCall, today: date, with_phone: bool = False) -> Text:
    """The highlighted call in words, under the list (where a narrow terminal has no room for
    the window and last contact columns): each knee's follow-up and window, for a confirmation
    call why it is asked for ("pain up 22 since best"), and the last contact; the phone number
    too ``with_phone`` (asked for where the phone column does not fit)."""
    line = Text()
    line.append(f"{call.first.name} ({call.patient_id})", style="bold")
    if with_phone:
        line.append(f" · ☎ {call.first.phone or fmt.DASH}", style="bold")
    for k in call.knees:
        what = fmt.call_name(k.timepoint)
        window = fmt.call_window(k.window_start, k.window_end, today)
        line.append(f" · {k.knee} knee: {what}, window {window}")
        if k.reason:
            style = "bold" if k.timepoint == "confirm" else "dim"
            line.append(f" ({fmt.call_reason(k.reason)})", style=style)
    first = call.first
    if first.last_contact_at:
        when = fmt.short_day(first.last_contact_at.date(), today)
        line.append(f" · last contact {fmt.outcome(first.last_contact_outcome)} {when}", "dim")
    return line


def summary_text(
    view: str, data: CallPage | None, first: int, shown: int, counts: dict[str, int]
) -> Text:
    """The line over the list: the view, which rows of how many are shown, how many each view
    holds (once read) and the day the list is for."""
    if data is None:
        return Text("Loading the worklist…")
    text = Text(VIEWS[view][0], style="bold")
    text.append(
        f": showing {first}–{first + shown - 1} of {data.total}" if shown else ": nothing to call"
    )
    if counts:
        text.append(
            f" · {counts['overdue']} overdue, {counts['today']} today, {counts['week']} this week"
        )
    text.append(f" · as of {data.today.isoformat()}")
    return text
