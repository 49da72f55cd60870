"""``x`` on the worklist: the current view written as a call sheet (CSV or printable HTML), one
row per call with both knees named, readable by its owner only."""

from __future__ import annotations

import csv
import io
import os
import re

from sqlalchemy import text
from textual.widgets import Input

from followup.services.call_list import grouped, view_list
from followup.store.engine import write_session
from followup.ui.staff.call_sheet_export import CallSheetDialog
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ErrorDialog

from .conftest import settle

HOSTILE = '<img src=x onerror=alert(1)> "Bobby"'


def _two_knee_patient(ctx) -> str:  # type: ignore[no-untyped-def]
    calls = grouped(view_list(ctx, "30"))
    return next(c.patient_id for c in calls if len(c.knees) == 2)


async def _export(pilot, fmt_key: str, path) -> CallSheetDialog:  # type: ignore[no-untyped-def]
    await pilot.press("x")
    dialog = pilot.app.screen
    assert isinstance(dialog, CallSheetDialog)
    await pilot.press(fmt_key)
    field = dialog.query_one("#sheet-path", Input)
    assert field.value.endswith({"c": ".csv", "h": ".html"}[fmt_key])
    field.value = str(path)
    await pilot.press("enter")  # on the format: writes to the file name shown
    await settle(pilot)
    return dialog


async def test_the_view_shown_is_written_as_csv_and_html(demo_ctx, run_app, tmp_path):
    both = _two_knee_patient(demo_ctx)
    with write_session(demo_ctx.engine) as session:
        session.execute(
            text("UPDATE patient SET name = :n WHERE id = :id"), {"n": HOSTILE, "id": both}
        )
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        await pilot.press("v", "v")  # the next 30 days
        await settle(pilot)
        assert screen.view == "30"
        await _export(pilot, "c", tmp_path / "calls.csv")
        assert pilot.app.screen is screen
        await _export(pilot, "h", tmp_path / "calls.html")
        assert pilot.app.screen is screen
        assert any("Call sheet written" in n.message for n in pilot.app._notifications)
    expected = grouped(view_list(demo_ctx, "30", evaluate=False))
    for name in ("calls.csv", "calls.html"):
        assert oct(os.stat(tmp_path / name).st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "calls.csv").read_text("utf-8"))))
    assert [r["patient_id"] for r in rows] == [c.patient_id for c in expected]
    row = next(r for r in rows if r["patient_id"] == both)
    call = next(c for c in expected if c.patient_id == both)
    assert row["knees"] == " and ".join(k.knee for k in call.knees) and row["name"] == HOSTILE
    assert sorted(row["knees"].split(" and ")) == ["left", "right"]
    html = (tmp_path / "calls.html").read_text("utf-8")
    assert "Call sheet · Next 30 days" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "default-src 'none'" in html
    assert html.count('<td class="n">') == len(expected)


async def test_a_file_that_cannot_be_written_keeps_the_dialog_open(demo_ctx, run_app, tmp_path):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("x")
        dialog = pilot.app.screen
        assert isinstance(dialog, CallSheetDialog)
        await pilot.press("tab", "end", "c")  # in the file name a letter is typed, not a format
        field = dialog.query_one("#sheet-path", Input)
        assert dialog.format == "html" and field.value.endswith(".htmlc")
        field.value = str(tmp_path / "no such folder" / "calls.html")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ErrorDialog)  # says it cannot write there
        await pilot.press("enter")
        assert pilot.app.screen is dialog and not dialog.writing
        field.value = str(tmp_path / "calls.html")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
    assert (tmp_path / "calls.html").exists()
    assert not (tmp_path / "no such folder").exists()
