"""Finding a patient and the patient screen: details, charts, the "entered in error"
correction with a required reason, and a self-report code shown once."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, OptionList, Static

from followup.services.patient_record import patient_detail
from followup.store.engine import read_session
from followup.store.models import Assessment, AuditEvent, Contact, PatientCode
from followup.ui.staff.find import FindPatientDialog
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.chart import DomainChart
from followup.ui.widgets.dialogs import CodeDialog, ConfirmDialog, ErrorDialog, TextDialog

from .conftest import settle

PATIENT = "P0001"


async def _open(pilot, query: str) -> PatientScreen:
    await pilot.press("ctrl+f")
    assert isinstance(pilot.app.screen, FindPatientDialog)
    await pilot.press(*query)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PatientScreen)
    return screen


async def test_search_box_finds_by_id_and_by_name(demo_ctx, run_app):
    detail = patient_detail(demo_ctx, PATIENT)
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("ctrl+f", *PATIENT.lower())  # IDs match in any case
        await settle(pilot)
        dialog = pilot.app.screen
        assert [h.id for h in dialog.hits] == [PATIENT]
        await pilot.press(*("backspace" for _ in PATIENT))
        surname = detail.name.split()[-1][:4].upper()
        await pilot.press(*surname)
        await settle(pilot)
        assert PATIENT in [h.id for h in dialog.hits]
        assert all(surname.lower() in h.name.lower() for h in dialog.hits)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, WorklistScreen)


async def test_search_box_finds_an_accented_name_typed_without_accents(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("ctrl+f", *"monika MULLER")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, FindPatientDialog)
        assert [(h.id, h.name) for h in dialog.hits] == [("P0083", "Monika Müller")]
        shown = dialog.query_one("#find-results", OptionList).get_option_at_index(0).prompt
        assert "Monika Müller" in str(shown)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PatientScreen) and screen.patient_id == "P0083"


async def test_patient_screen_shows_details_treatments_and_charts(demo_ctx, run_app):
    detail = patient_detail(demo_ctx, PATIENT)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = await _open(pilot, PATIENT)
        title = str(screen.query_one("#patient-title", Static).render())
        assert detail.name in title and PATIENT in title
        assert screen.query_one("#treatments", DataTable).row_count == len(detail.treatments)
        await pilot.press("2")
        await pilot.pause()
        charts = list(screen.query(DomainChart))
        assert len(charts) == 2 * len(detail.treated_knees)  # pain and function per knee
        assert {c.domain for c in charts} == {"pain", "function"}
        await pilot.press("3")
        table = screen.query_one("#assessments", DataTable)
        assert table.row_count == len(detail.assessments)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, WorklistScreen)


async def test_mark_an_assessment_entered_in_error_with_a_reason(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = await _open(pilot, PATIENT)
        await pilot.press("4", "e")  # the contacts tab: nothing to mark, nothing happens
        assert pilot.app.screen is screen
        await pilot.press("3", "down")
        target = screen.detail.assessments[1]
        await pilot.press("e")
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press("enter")  # a reason is required
        assert isinstance(pilot.app.screen, TextDialog)
        assert "cannot be left empty" in str(pilot.app.screen.query_one("#text-problem").render())
        # ... and the message names the field (it read "This cannot be left empty.")
        assert str(pilot.app.screen.query_one("#text-problem").render()).startswith("reason:")
        await pilot.press(*"wrong knee", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        status = str(screen.query_one("#assessments", DataTable).get_row_at(1)[-1])
        assert "ENTERED IN ERROR: wrong knee" in status
    with read_session(demo_ctx.engine) as session:
        row = session.get(Assessment, target.id)
        assert row is not None and row.entered_in_error and row.error_reason == "wrong knee"
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "entered_in_error")
        ).one()
        assert (audit.actor, audit.reason) == ("demo", "wrong knee")


async def test_issue_a_self_report_code(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await _open(pilot, PATIENT)
        await pilot.press("i")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, CodeDialog)
        code = dialog.issued.code
        assert code in str(dialog.query_one("#code", Static).render())
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, PatientScreen)
    with read_session(demo_ctx.engine) as session:
        stored = session.exec(select(PatientCode).where(PatientCode.patient_id == PATIENT)).all()
    assert stored and all(code not in c.code_hash for c in stored)  # only the hash is kept


async def test_unknown_patient_gives_a_message_not_a_crash(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        pilot.app.open_patient("NO-SUCH-ID")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        assert "no patient with ID NO-SUCH-ID" in dialog.message
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)


async def test_log_a_call_from_the_patient_screen(demo_ctx, run_app):
    """The same dialog and write as from the worklist; the contact log shows the call after."""
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = await _open(pilot, PATIENT)
        await pilot.press("c")
        dialog = pilot.app.screen
        assert type(dialog).__name__ == "LogCallDialog"
        shown = " ".join(str(w.render()) for w in dialog.query(Static))
        assert "patient's time Sat 09:00" in shown, shown  # America/Chicago, the frozen clock
        await pilot.press("v", *"left a message", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        contacts = screen.query_one("#contacts", DataTable)
        assert "voicemail" in " ".join(str(cell) for cell in contacts.get_row_at(0))
    with read_session(demo_ctx.engine) as session:
        latest = session.exec(
            select(Contact).where(Contact.patient_id == PATIENT).order_by(Contact.id.desc())  # type: ignore[union-attr]
        ).first()
    assert latest is not None
    assert (latest.outcome, latest.note, latest.created_by) == (
        "voicemail",
        "left a message",
        "demo",
    )


async def test_the_overview_names_each_knees_next_call_and_why_a_confirmation(demo_ctx, run_app):
    from followup.store.review_tables import EpisodeEvaluation

    with read_session(demo_ctx.engine) as session:
        confirm = session.exec(
            select(EpisodeEvaluation).where(EpisodeEvaluation.call_timepoint == "confirm")
        ).first()
    assert confirm is not None and confirm.call_reason  # the demo has a confirmation call
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        screen = await _open(pilot, confirm.patient_id)
        text = str(screen.query_one("#call-summary", Static).render())
        assert "Next calls" in text
        assert f"{confirm.knee.capitalize()} knee: confirmation call, window " in text
        assert confirm.call_reason.removesuffix(", confirm") in text
        assert "confirm" in {
            c.call.timepoint for c in patient_detail(demo_ctx, confirm.patient_id).calls
        }
        # Another patient's next call is a scheduled follow-up, with its window and status.
        other = await _open(pilot, PATIENT)
        other_text = str(other.query_one("#call-summary", Static).render())
        first = patient_detail(demo_ctx, PATIENT).calls
        if first:
            assert f"{first[0].call.timepoint} follow-up, window" in other_text
            assert first[0].call.status(demo_ctx.today()) in other_text
        else:
            assert "No call to make." in other_text


async def test_an_assessment_entered_in_error_is_struck_through_in_every_column(demo_ctx, run_app):
    """At 80 columns the Status column is off the screen: the row itself must show that the
    assessment no longer counts, as a treatment's row does."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        screen = await _open(pilot, PATIENT)
        await pilot.press("3", "down", "e")
        await pilot.press(*"dup", "enter")
        await settle(pilot)
        table = screen.query_one("#assessments", DataTable)
        marked = table.get_row_at(1)
        assert "ENTERED IN ERROR" in str(marked[-1])
        assert all("strike" in str(cell.style) for cell in marked), marked
        assert not any("strike" in str(getattr(c, "style", "")) for c in table.get_row_at(0))
