"""The patient screen under rule set 2026.2: a treatment and a booster recorded in the app (the
booster filled in from the knee's latest treatment), refusals shown under their field with
nothing saved, a treatment marked entered in error with a reason, the flags over time with their
decisions, and one assessment read in full."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from followup.services.decide import decide
from followup.services.patient_record import patient_detail
from followup.services.review_queue import open_flags
from followup.store.engine import read_session
from followup.store.models import AuditEvent, Treatment
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.patient_views import AssessmentDialog
from followup.ui.staff.treatment_form import TreatmentForm
from followup.ui.widgets.dialogs import TextDialog

from .conftest import settle


async def _open(pilot, patient_id: str) -> PatientScreen:
    await pilot.press("ctrl+f", *patient_id)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PatientScreen) and screen.patient_id == patient_id
    return screen


def _one_knee_patient(ctx) -> tuple[str, str]:
    """A patient with a wearing-off flag on their only treated knee."""
    for f in open_flags(ctx):
        if f.kind == "wearing_off" and len(patient_detail(ctx, f.patient_id).treated_knees) == 1:
            return f.patient_id, f.knee
    raise AssertionError("the demo has a one-knee patient whose relief is wearing off")


def _treatments(ctx, patient_id: str) -> list[Treatment]:
    with read_session(ctx.engine) as session:
        query = select(Treatment).where(Treatment.patient_id == patient_id)
        return list(session.exec(query.order_by(Treatment.treated_on)))


async def test_a_booster_is_filled_in_from_the_knee_and_closes_its_flags(demo_ctx, run_app):
    pid, knee = _one_knee_patient(demo_ctx)
    latest = _treatments(demo_ctx, pid)[-1]
    async with run_app(demo_ctx, user="doctor") as pilot:
        await settle(pilot)
        screen = await _open(pilot, pid)
        await pilot.press("B")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, TreatmentForm)
        assert form.query_one("#f-booster_of", Select).value == latest.id
        assert form.query_one("#f-product", Select).value == latest.product
        assert form.query_one("#f-knee", Select).value == knee
        assert form.query_one("#f-treated_on", Input).value == demo_ctx.today().isoformat()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        flags = str(screen.query_one("#flags", Static).render())
        assert "cleared" in flags  # the earlier episode's wearing-off flag, with why
    booster = _treatments(demo_ctx, pid)[-1]
    assert (booster.booster_of, booster.treated_on, booster.created_by) == (
        latest.id, demo_ctx.today(), "doctor",
    )  # fmt: skip
    if latest.banked_doses is not None:
        assert booster.banked_doses == max(latest.banked_doses - 1, 0)
    assert not [f for f in open_flags(demo_ctx, pid) if f.treatment_id == latest.id and
                f.kind == "wearing_off"]  # fmt: skip


async def test_a_new_treatment_refused_field_by_field_saves_nothing(demo_ctx, run_app):
    pid, _ = _one_knee_patient(demo_ctx)
    before = len(_treatments(demo_ctx, pid))
    async with run_app(demo_ctx, user="demo") as pilot:
        await settle(pilot)
        await _open(pilot, pid)
        await pilot.press("t")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, TreatmentForm)
        await pilot.press("ctrl+s")  # no knee, no product
        problem = str(form.query_one("#form-problem", Static).render())
        assert problem == "Not saved: knee: is required"
        form.query_one("#f-knee", Select).value = "left"
        form.query_one("#f-product", Select).value = "prp"
        form.query_one("#f-treated_on", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        assert "treated on: '2026-02-30' is not a date" in str(
            form.query_one("#problem-treated_on", Static).render()
        )
        form.query_one("#f-treated_on", Input).value = "2026-11-01"
        form.query_one("#f-banked_doses", Input).value = "two"
        await pilot.press("ctrl+s")
        assert "banked doses left: 'two' is not a whole number" in str(
            form.query_one("#form-problem", Static).render()
        )
        form.query_one("#f-banked_doses", Input).value = "500"
        await pilot.press("ctrl+s")
        await settle(pilot)  # the service's own range check
        assert "banked doses left: must be 0-100, got 500" in str(
            form.query_one("#problem-banked_doses", Static).render()
        )
        assert form.query_one("#f-banked_doses", Input).has_focus
        await pilot.press("escape")  # something typed: asks first
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientScreen)
    assert len(_treatments(demo_ctx, pid)) == before


async def test_a_treatment_is_marked_entered_in_error_with_a_reason(demo_ctx, run_app):
    pid, _ = _one_knee_patient(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        await settle(pilot)
        screen = await _open(pilot, pid)
        table = screen.query_one("#treatments", DataTable)
        table.focus()
        target = screen.detail.treatments[table.cursor_row]
        await pilot.press("e")
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press(*"wrong patient", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        status = str(table.get_row_at(table.cursor_row)[-1])
        assert status == "ENTERED IN ERROR: wrong patient"
        await pilot.press("e")  # twice: said, not asked
        assert pilot.app.screen is screen
    with read_session(demo_ctx.engine) as session:
        row = session.get(Treatment, target.id)
        assert row.entered_in_error and row.error_reason == "wrong patient"
        audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == target.id)).all()
        assert [(a.action, a.actor, a.reason) for a in audit][-1] == (
            "entered_in_error", "demo", "wrong patient",
        )  # fmt: skip


async def test_the_flags_tab_shows_decisions_and_an_assessment_reads_in_full(demo_ctx, run_app):
    pid, _ = _one_knee_patient(demo_ctx)
    flag = next(f for f in open_flags(demo_ctx, pid) if f.kind == "wearing_off")
    decide(demo_ctx, flag.id, "refer", "ortho opinion first", "doctor")
    async with run_app(demo_ctx, user="demo") as pilot:
        await settle(pilot)
        screen = await _open(pilot, pid)
        await pilot.press("5")
        history = str(screen.query_one("#flags", Static).render())
        assert "wearing off" in history and "decided" in history
        assert "Decided: refer, by doctor on" in history and "ortho opinion first" in history
        await pilot.press("3", "enter")
        dialog = pilot.app.screen
        assert isinstance(dialog, AssessmentDialog)
        text = str(dialog.query_one("#assessment-detail", Static).render())
        latest = screen.detail.assessments[0]
        assert latest.assessed_on.isoformat() in text and f"Entered by {latest.created_by}" in text
        await pilot.press("enter")
        assert pilot.app.screen is screen
