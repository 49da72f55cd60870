"""Stored text is shown as text: a patient whose ID, name, phone, notes, adverse event and
treatment ID are Textual markup opens on every staff screen without a crash, and the markup is
on screen letter for letter (issue 16: one ID in a table cell crashed the worklist for everyone).
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable

from followup.services.staff import add_user
from followup.ui.staff.admin import AdminScreen
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.patient_views import AssessmentDialog
from followup.ui.staff.review_queue import ReviewQueueScreen
from followup.ui.staff.worklist import WorklistScreen

from .conftest import settle
from .hostile import (
    ADVERSE_EVENT,
    ASSESSMENT_NOTE,
    CONTACT_NOTE,
    HOSTILE_ID,
    HOSTILE_TREATMENT,
    NAME,
    PHONE,
    add_hostile_patient,
)

WIDE = (240, 60)


def screen_text(app) -> str:
    """What the terminal shows, as plain text (the screen and the dialogs over it)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def assert_shown(app, *texts: str) -> None:
    shown = screen_text(app)
    for wanted in texts:
        assert wanted in shown, f"{wanted!r} is not on screen:\n{shown}"


async def test_markup_in_stored_text_is_shown_as_text_on_every_screen(demo_ctx, run_app):
    add_hostile_patient(demo_ctx)
    async with run_app(demo_ctx, user="doctor", size=WIDE) as pilot:
        app = pilot.app
        await app.action_worklist()
        await settle(pilot)
        worklist = app.screen
        assert isinstance(worklist, WorklistScreen)
        row = next(i for i, call in enumerate(worklist.shown) if call.patient_id == HOSTILE_ID)
        table = worklist.query_one(DataTable)
        table.move_cursor(row=row)
        await settle(pilot)
        assert_shown(app, HOSTILE_ID, NAME[:15])

        await pilot.press("enter")
        await settle(pilot)
        patient = app.screen
        assert isinstance(patient, PatientScreen) and patient.patient_id == HOSTILE_ID
        assert_shown(app, HOSTILE_ID, NAME, HOSTILE_TREATMENT)
        for tab in range(5):
            await pilot.press(str(tab + 1))
            await settle(pilot)
            assert app.screen is patient
        await pilot.press("3")
        await settle(pilot)
        assert_shown(app, ADVERSE_EVENT[:20])
        await pilot.press("4")
        await settle(pilot)
        assert_shown(app, CONTACT_NOTE[:25])
        await pilot.press("5")
        await settle(pilot)
        assert_shown(app, ADVERSE_EVENT[:20])

        await pilot.press("3")
        await settle(pilot)
        assessments = patient.query_one("#assessments", DataTable)
        assessments.focus()
        # The latest assessment carries the note and the adverse event.
        latest = max(range(assessments.row_count), key=lambda i: str(assessments.get_row_at(i)[0]))
        assessments.move_cursor(row=latest)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AssessmentDialog)
        assert_shown(app, ASSESSMENT_NOTE, ADVERSE_EVENT, PHONE[:3])
        await pilot.press("escape")
        await settle(pilot)

        # The dialogs and forms that show the patient's values: log a call, a booster (the
        # treatment ID in its choices), the details form.
        for key, shown in (("c", NAME), ("B", HOSTILE_TREATMENT), ("E", NAME)):
            await pilot.press("1", key)
            await settle(pilot)
            assert app.screen is not patient
            assert_shown(app, shown[:15])
            await pilot.press("escape")
            await settle(pilot)
            if app.screen is not patient:  # a form asks before dropping what was typed
                await pilot.press("y")
                await settle(pilot)
            assert app.screen is patient

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+f", *"ann")
        await settle(pilot)
        assert_shown(app, NAME[:15])
        await pilot.press("escape")
        await settle(pilot)
        await app.action_review_queue()
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, ReviewQueueScreen)
        row = next(i for i, flag in enumerate(queue.shown) if flag.patient_id == HOSTILE_ID)
        queue.query_one(DataTable).move_cursor(row=row)
        await pilot.pause(0.3)  # the evidence and the chart follow the resting cursor
        await settle(pilot)
        assert_shown(app, HOSTILE_ID, ADVERSE_EVENT[:20])

        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running


async def test_admin_screen_shows_markup_in_a_site_as_text(demo_ctx, run_app):
    add_user(demo_ctx, "admin", "admin", "admin", "test", allow_weak=True)
    with demo_ctx.engine.begin() as conn:
        from sqlalchemy import text

        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA ignore_check_constraints = ON"))
        conn.execute(
            text("INSERT INTO site (id, name) VALUES (:id, :name)"),
            {"id": "S[/b]", "name": "[red]Site[/red] [@click=app.quit]x[/]"},
        )
    async with run_app(demo_ctx, user="admin", size=WIDE) as pilot:
        app = pilot.app
        await app.action_staff_admin()
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert_shown(app, "S[/b]", "[red]Site[/red] [@click=app.quit]x[/]")
