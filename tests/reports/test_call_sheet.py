"""The call sheet as files: one self-contained, escaped HTML page and a CSV with one row per call
(both knees on one row), formula cells neutralised."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from followup.reports.call_sheet import clinic_hours, follow_up, render
from followup.services.call_sheet import CallSheet, read_call_sheet
from followup.store.engine import write_session

HOSTILE = '<script>alert("x")</script> =HYPERLINK("http://evil")'


@pytest.fixture
def clinic_in_berlin(monkeypatch):
    """The clinic's clock (the machine's time zone) on Berlin time: UTC+1 in November."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _two_knee_patient(sheet: CallSheet) -> str:
    return next(c.patient_id for c in sheet.calls if len(c.knees) == 2)


def _rename(ctx, patient_id: str, name: str) -> None:
    with write_session(ctx.engine) as session:
        session.execute(
            text("UPDATE patient SET name = :name WHERE id = :id"), {"name": name, "id": patient_id}
        )


def test_html_is_one_escaped_self_contained_page(demo_ctx, clinic_in_berlin):
    both = _two_knee_patient(read_call_sheet(demo_ctx, view="30"))
    _rename(demo_ctx, both, HOSTILE)
    sheet = read_call_sheet(demo_ctx, view="30")
    html = render(sheet, "html")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "@page" in html and "A4 landscape" in html  # the style sheet is inlined
    # The header: which view, the day and clinic time it was made, and that it holds patient data.
    assert "Call sheet · Next 30 days" in html
    assert "Saturday 21 November 2026" in html and "16:00 clinic time" in html
    assert "(UTC+01:00)" in html and "contains patient data" in html
    assert html.count('<tr>\n        <td class="n">') == len(sheet.calls)
    # One row per call: both knees of the patient named in it.
    row = html[html.index("&lt;script&gt;") :]
    row = row[: row.index("</tr>")]
    assert "<strong>Left</strong>" in row and "<strong>Right</strong>" in row


def test_html_says_the_patients_time_and_calling_hours(demo_ctx, clinic_in_berlin):
    sheet = read_call_sheet(demo_ctx, view="week")
    html = render(sheet, "html")
    late = [c for c in sheet.calls if c.first.timezone and not c.first.decent_hour]
    fine = [c for c in sheet.calls if c.first.timezone and c.first.decent_hour]
    assert late and fine
    assert html.count("⚠ outside 9–20 there") == len(late)
    assert html.count("good time to ring") == len(fine)
    assert "Overdue" in html and "Due now" in html


def test_csv_has_one_neutralised_row_per_call(demo_ctx):
    both = _two_knee_patient(read_call_sheet(demo_ctx, view="30"))
    _rename(demo_ctx, both, HOSTILE)
    sheet = read_call_sheet(demo_ctx, view="30")
    rows = list(csv.DictReader(io.StringIO(render(sheet, "csv"))))
    assert [r["patient_id"] for r in rows] == [c.patient_id for c in sheet.calls]
    row = next(r for r in rows if r["patient_id"] == both)
    call = next(c for c in sheet.calls if c.patient_id == both)
    assert row["knees"] == " and ".join(k.knee for k in call.knees)  # the sooner due first
    assert sorted(row["knees"].split(" and ")) == ["left", "right"]
    assert row["left_follow_up"] and row["right_follow_up"]
    assert row["left_window_start"] and row["right_window_end"]
    assert row["name"] == HOSTILE  # it does not start with a formula character
    assert all(r["outcome"] == r["called_at"] == r["note"] == "" for r in rows)
    phones = [r["phone"] for r in rows if r["phone"]]
    assert phones and all(p.startswith("'+") for p in phones if p.lstrip("'").startswith("+"))
    _rename(demo_ctx, both, "=cmd|' /C calc'!A0")
    again = list(csv.DictReader(io.StringIO(render(read_call_sheet(demo_ctx, view="30"), "csv"))))
    assert next(r for r in again if r["patient_id"] == both)["name"] == "'=cmd|' /C calc'!A0"


def test_json_is_the_knees_as_due_json_prints_them(demo_ctx):
    sheet = read_call_sheet(demo_ctx, view="week")
    items = json.loads(render(sheet, "json"))
    assert items == [i.as_json() for i in sheet.items]


def test_an_empty_sheet_says_there_is_nothing_to_call(ctx):
    sheet = CallSheet("Today", "calls open today", date(2026, 11, 21), datetime.now(UTC), ())
    assert "Nothing to call" in render(sheet, "html")
    assert render(sheet, "csv").count("\n") == 1  # the header only


def test_follow_up_names_and_calling_hours_on_the_clinic_clock(clinic_in_berlin):
    assert follow_up("12m") == "12-month follow-up"
    assert follow_up("6w") == "6-week follow-up"
    assert follow_up("confirm") == "confirmation call"
    made = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    assert clinic_hours("Asia/Tokyo", made) == "01:00–12:00"  # 9:00-20:00 in Tokyo (UTC+9)
    assert clinic_hours("America/Chicago", made) == "16:00–03:00"
    assert clinic_hours(None, made) is None
