"""The call sheet as a file: one printable, self-contained HTML page (``templates/call_sheet
.html.j2``), a CSV for a spreadsheet, or the JSON of ``followup due --json``.

One row per call to make: a patient, with both knees named when both are due. Each row gives the
number, the patient's own local time when the sheet was made (and whether 9:00-20:00 there is a
decent hour to ring, with those hours on the clinic's clock, since the sheet is used all day),
what each knee's call is for, its window and the last contact, and room to write the outcome by
hand.

The HTML is built like the review packet (``packet_html``, whose Jinja environment it shares):
autoescape on, the style sheet inlined, no script, nothing fetched, a Content-Security-Policy.
CSV cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from followup.domain.records import CONTACT_OUTCOMES, KNEES
from followup.errors import FollowupError
from followup.reports.packet_html import environment as packet_environment
from followup.reports.templating import style_sheet
from followup.services.call_list import CALL_HOURS, DueItem, PatientCall
from followup.services.call_sheet import CallSheet
from followup.services.exporting import neutralise

FORMATS = ("html", "csv", "json")
STATUS_TITLES = {"overdue": "Overdue", "due": "Due now", "upcoming": "Upcoming"}
STATUS_NOTES = {
    "overdue": "the window has closed: call first",
    "due": "the window is open",
    "upcoming": "the window opens soon",
}
OUTCOME_LABELS = {
    "reached": "Reached",
    "voicemail": "Voicemail",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
    "declined": "Declined",
}
CSV_FIELDS = (
    "status", "patient_id", "name", "phone", "patient_local_time", "timezone",
    "good_time_to_call", "knees",
    *(f"{knee}_{field}" for knee in KNEES
      for field in ("follow_up", "due_on", "window_start", "window_end", "why")),
    "last_contact_at", "last_contact_outcome", "outcome", "called_at", "note",
)  # fmt: skip


@dataclass(frozen=True)
class KneeCall:
    """One knee's call on a row: what it is for and when."""

    knee: str
    follow_up: str  # "12-month follow-up", "confirmation call"
    why: str | None
    due_on: str
    window: str


@dataclass(frozen=True)
class SheetRow:
    """One call to make, as the sheet prints it."""

    number: int
    status: str
    patient_id: str
    name: str
    phone: str | None
    local_time: str | None  # "Fri 20:16"; None when the time zone is unknown
    decent: bool
    timezone: str | None
    hours_here: str | None  # "15:00-02:00": 9:00-20:00 there, on the clinic's clock
    knees: tuple[KneeCall, ...]
    last_contact: tuple[str, str]  # outcome, clinic day ("never", "")


def follow_up(timepoint: str) -> str:
    """``12m`` -> ``12-month follow-up``; ``confirm`` -> ``confirmation call``."""
    if timepoint == "confirm":
        return "confirmation call"
    unit = {"w": "week", "m": "month", "y": "year"}.get(timepoint[-1:])
    if unit and timepoint[:-1].isdigit():
        return f"{timepoint[:-1]}-{unit} follow-up"
    return f"{timepoint} follow-up"


def clinic_hours(zone: str | None, made_at: datetime) -> str | None:
    """The patient's calling hours (``CALL_HOURS`` there, on the day the sheet was made there)
    on the clinic's clock, e.g. ``15:00-02:00``."""
    if not zone:
        return None
    here = ZoneInfo(zone)
    day = made_at.astimezone(here).date()
    start, end = (datetime.combine(day, time(h), here).astimezone() for h in CALL_HOURS)
    return f"{start:%H:%M}–{end:%H:%M}"


def _knee(item: DueItem) -> KneeCall:
    return KneeCall(
        knee=item.knee,
        follow_up=follow_up(item.timepoint),
        why=item.reason,
        due_on=item.due_on.isoformat(),
        window=f"{item.window_start.isoformat()} – {item.window_end.isoformat()}",
    )


def _last_contact(item: DueItem) -> tuple[str, str]:
    """The last contact's outcome and its day on the clinic's clock."""
    if item.last_contact_at is None:
        return "never", ""
    outcome = (item.last_contact_outcome or "").replace("_", " ")
    return outcome, f"{item.last_contact_at.astimezone():%Y-%m-%d}"


def sheet_rows(sheet: CallSheet) -> list[tuple[str, list[SheetRow]]]:
    """The rows under their status, numbered from 1 down the whole sheet."""
    groups, number = [], 0
    for status, calls in sheet.by_status():
        rows = []
        for call in calls:
            number += 1
            rows.append(_row(number, call, sheet.made_at))
        groups.append((status, rows))
    return groups


def _row(number: int, call: PatientCall, made_at: datetime) -> SheetRow:
    first = call.first
    local = first.patient_local_time
    return SheetRow(
        number=number,
        status=first.status,
        patient_id=first.patient_id,
        name=first.name,
        phone=first.phone,
        local_time=f"{local:%a %H:%M}" if local else None,
        decent=first.decent_hour,
        timezone=first.timezone if local else None,
        hours_here=clinic_hours(first.timezone, made_at) if local else None,
        knees=tuple(_knee(k) for k in call.knees),
        last_contact=_last_contact(first),
    )


def render_html(sheet: CallSheet) -> str:
    """The sheet as one printable HTML document."""
    made_here = sheet.made_at.astimezone()
    offset = made_here.strftime("%z")
    return (
        packet_environment()
        .get_template("call_sheet.html.j2")
        .render(
            sheet=sheet,
            css=style_sheet("call_sheet.css"),
            groups=sheet_rows(sheet),
            made_day=f"{made_here:%A} {made_here.day} {made_here:%B %Y}",
            made_time=f"{made_here:%H:%M}",
            clinic_offset=f"UTC{offset[:3]}:{offset[3:]}",
            status_titles=STATUS_TITLES,
            status_notes=STATUS_NOTES,
            outcomes=[OUTCOME_LABELS[o] for o in CONTACT_OUTCOMES],
            call_hours=CALL_HOURS,
        )
    )


def csv_rows(sheet: CallSheet) -> list[dict[str, Any]]:
    """One row per call (per patient), in the sheet's order; the outcome columns are blank,
    to be filled in."""
    rows = []
    for call in sheet.calls:
        first = call.first
        local = first.patient_local_time
        row: dict[str, Any] = dict.fromkeys(CSV_FIELDS)
        row.update(
            status=first.status,
            patient_id=first.patient_id,
            name=first.name,
            phone=first.phone,
            patient_local_time=local.isoformat(timespec="minutes") if local else None,
            timezone=first.timezone,
            good_time_to_call=("yes" if first.decent_hour else "no") if local else None,
            knees=" and ".join(k.knee for k in call.knees),
            last_contact_at=(
                first.last_contact_at.isoformat(timespec="minutes")
                if first.last_contact_at
                else None
            ),
            last_contact_outcome=first.last_contact_outcome,
        )
        for k in call.knees:
            row[f"{k.knee}_follow_up"] = k.timepoint
            row[f"{k.knee}_due_on"] = k.due_on.isoformat()
            row[f"{k.knee}_window_start"] = k.window_start.isoformat()
            row[f"{k.knee}_window_end"] = k.window_end.isoformat()
            row[f"{k.knee}_why"] = k.reason
        rows.append(row)
    return rows


def render_csv(sheet: CallSheet) -> str:
    """The sheet's rows as CSV; text a spreadsheet would run as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in csv_rows(sheet):
        writer.writerow(["" if row[k] is None else neutralise(row[k]) for k in CSV_FIELDS])
    return buffer.getvalue()


def json_items(sheet: CallSheet) -> list[dict[str, Any]]:
    """One element per knee, as ``followup due --json`` prints them."""
    return [item.as_json() for item in sheet.items]


def render_json(sheet: CallSheet) -> str:
    """``json_items`` as JSON text."""
    return orjson.dumps(json_items(sheet), option=orjson.OPT_INDENT_2).decode() + "\n"


def render(sheet: CallSheet, fmt: str) -> str:
    """The sheet as text in one of ``FORMATS``."""
    if fmt == "html":
        return render_html(sheet)
    if fmt == "csv":
        return render_csv(sheet)
    if fmt == "json":
        return render_json(sheet)
    raise FollowupError(f"call sheet format must be one of: {', '.join(FORMATS)}")
