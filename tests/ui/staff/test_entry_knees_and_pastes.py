"""Small things a clinic notices: the knee picker marks treated knees and asks before a form for
an untreated one; a pasted note with a line break, or too long for its field, is refused with a
message (nothing cut, nothing saved); the contacts tab shows each call at the patient's time."""

from __future__ import annotations

import threading
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import select
from textual import events
from textual.widgets import DataTable, Input, Static

from followup.services.importing import import_file
from followup.services.record_assessment import latest_treatments
from followup.store.bulk import driver_rows
from followup.store.engine import read_session, write_session
from followup.store.models import MAX_TEXT, Contact
from followup.ui.staff.calls import LogCallDialog
from followup.ui.staff.decision_dialog import DecisionDialog
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.phone_entry import PhoneEntryScreen
from followup.ui.staff.review_queue import ReviewQueueScreen
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ConfirmDialog
from followup.ui.widgets.fields import paste_problem

from .conftest import settle


async def _entry_for_row(pilot, row: int) -> PhoneEntryScreen:  # type: ignore[no-untyped-def]
    for _ in range(row):
        await pilot.press("down")
    await pilot.press("a")
    entry = pilot.app.screen
    assert isinstance(entry, PhoneEntryScreen)
    await settle(pilot)
    return entry


def _choices(entry: PhoneEntryScreen) -> dict[str, str]:
    text = str(entry.query_one("#knee-choices", Static).render())
    return {
        knee: next(line for line in text.splitlines() if f"{knee} knee" in line)
        for knee in ("left", "right")
    }


async def test_an_untreated_knee_asks_first_and_treated_knees_are_marked(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        row = next(
            n
            for n, c in enumerate(screen.shown)
            if len(latest_treatments(demo_ctx, c.patient_id)) == 1
        )
        treated = latest_treatments(demo_ctx, screen.shown[row].patient_id)
        [(knee, day)] = treated.items()
        other = "right" if knee == "left" else "left"
        entry = await _entry_for_row(pilot, row)
        lines = _choices(entry)
        assert f"treated {day.isoformat()}" in lines[knee] and "suggested" in lines[knee]
        assert "no treatment on record" in lines[other]
        await pilot.press(other[0])
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        question = str(dialog.query_one("#question", Static).render())
        assert question == (
            f"No treatment of the {other} knee is on record for this patient. "
            "Enter a questionnaire for it anyway?"
        )
        await pilot.press("n")  # choose again
        assert pilot.app.screen is entry and entry.knee is None and entry.step == "step-knee"
        await pilot.press(other[0], "y")  # entered anyway, once confirmed
        assert pilot.app.screen is entry and entry.step == "step-items" and entry.knee == other


async def test_the_picker_reads_the_record_not_just_the_knees_called_about(
    demo_ctx, run_app, tmp_path, monkeypatch
):
    """The worklist passes the knees of the call; the other knee's treatment is read too, and a
    knee chosen before that read is taken once it is done."""
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        call = next(c for c in screen.shown if len(latest_treatments(demo_ctx, c.patient_id)) == 1)
        knee = call.first.knee
        other = "right" if knee == "left" else "left"
        path = tmp_path / "treatments.csv"
        path.write_text(
            "treatment_id,patient_id,knee,treated_on,product\n"
            f"TNEW,{call.patient_id},{other},2026-11-20,prp\n",
            "utf-8",
        )
        import_file(demo_ctx, "treatments", path, "test")
        row = [c.patient_id for c in screen.shown].index(call.patient_id)
        entry = await _entry_for_row(pilot, row)
        assert "treated 2026-11-20" in _choices(entry)[other]
        await pilot.press("escape")  # no knee chosen yet: leaves at once
        await settle(pilot)

        release = threading.Event()
        real = latest_treatments

        def slow(ctx, patient_id):  # type: ignore[no-untyped-def]
            release.wait(5)
            return real(ctx, patient_id)

        monkeypatch.setattr("followup.ui.staff.phone_entry.latest_treatments", slow)
        await pilot.press("a")
        entry = pilot.app.screen
        assert isinstance(entry, PhoneEntryScreen)
        assert "checking the record" in _choices(entry)[other]
        await pilot.press(other[0])  # chosen before the record is read
        assert entry.step == "step-knee" and entry.pending_knee == other
        release.set()
        await settle(pilot)
        assert entry.step == "step-items" and entry.knee == other  # treated: no question


def _paste(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.post_message(events.Paste(text))


def _refusals(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications if n.title == "Paste refused"]


async def test_a_pasted_note_with_a_line_break_or_too_long_is_refused_in_the_call_dialog(
    demo_ctx, run_app
):
    async with run_app(demo_ctx, user="demo") as pilot:
        call = pilot.app.screen.shown[0]
        await pilot.press("c", "v")  # voicemail: the note takes the focus
        dialog = pilot.app.screen
        assert isinstance(dialog, LogCallDialog)
        note = dialog.query_one("#call-note", Input)
        assert pilot.app.focused is note
        await pilot.press(*"left msg")
        _paste(pilot, " about the visit\nand the second line")
        await pilot.pause()
        assert note.value == "left msg"  # kept as it was: nothing cut, nothing added
        [message] = _refusals(pilot.app)
        assert "more than one line" in message and "Nothing was pasted" in message
        _paste(pilot, "x" * (MAX_TEXT - 3))
        await pilot.pause()
        assert note.value == "left msg"
        assert f"at most {MAX_TEXT:,}" in _refusals(pilot.app)[-1]
        _paste(pilot, " about the visit\n")  # a line copied with its end: taken whole
        await pilot.pause()
        assert note.value == "left msg about the visit" and len(_refusals(pilot.app)) == 2
        await pilot.press("enter")
        await settle(pilot)
    with read_session(demo_ctx.engine) as session:
        latest = session.exec(
            select(Contact).where(Contact.patient_id == call.patient_id).order_by(Contact.id.desc())  # type: ignore[union-attr]
        ).first()
    assert latest is not None and latest.note == "left msg about the visit"


async def test_a_pasted_decision_note_with_a_line_break_is_refused_and_nothing_decided(
    demo_ctx, run_app
):
    decisions = "SELECT count(*) FROM review_decision"
    with read_session(demo_ctx.engine) as session:
        [[before]] = driver_rows(session.connection(), decisions)  # the demo story's
    async with run_app(demo_ctx, user="doctor") as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReviewQueueScreen) and screen.evaluated
        await pilot.press("m")
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionDialog)
        await pilot.press(*"stable")
        _paste(pilot, "; seen\r\nreview in 3 months")
        await pilot.pause()
        assert dialog.query_one("#decision-note", Input).value == "stable"
        assert "more than one line" in _refusals(pilot.app)[0]
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
    with read_session(demo_ctx.engine) as session:
        [[after]] = driver_rows(session.connection(), decisions)
        assert after == before


async def test_a_pasted_adverse_event_with_a_line_break_is_refused_in_the_phone_entry(
    demo_ctx, run_app
):
    async with run_app(demo_ctx, user="demo") as pilot:
        row = next(n for n, c in enumerate(pilot.app.screen.shown) if len(c.knees) == 1)
        entry = await _entry_for_row(pilot, row)
        await pilot.press("enter", *("1" * 24))  # the suggested knee, every item 1
        assert entry.step == "step-extras"
        await pilot.press("enter", "enter")  # no pain score, no overall rating
        field = entry.query_one("#adverse-event", Input)
        assert pilot.app.focused is field
        _paste(pilot, "swelling\nfever")
        await pilot.pause()
        assert field.value == "" and "more than one line" in _refusals(pilot.app)[0]
        await pilot.press("enter")  # on to the note, which refuses it too
        _paste(pilot, "rang back\nlater")
        await pilot.pause()
        assert entry.query_one("#entry-note", Input).value == ""
        assert len(_refusals(pilot.app)) == 2


def test_what_a_one_line_field_refuses() -> None:
    assert paste_problem("plain text", 0, 0, 10) is None
    assert paste_problem("a line\r\n", 0, 0, 10) is None  # its end does not count
    assert paste_problem("two\nlines", 0, 0, 0) is not None
    assert paste_problem("two\u2028lines", 0, 0, 0) is not None
    assert paste_problem("\nleading", 0, 0, 0) is not None
    assert paste_problem("12345", 5, 0, 10) is None
    assert "at most 10 (5 more now)" in (paste_problem("123456", 5, 0, 10) or "")
    assert paste_problem("123456", 5, 1, 10) is None  # replaces a selected character
    assert paste_problem("x" * 5000, 0, 0, 0) is None  # no limit
    assert paste_problem("a\ttab", 0, 0, 0) is None  # the services keep a tab
    for control in ("\x1b[31mred", "nul\x00", "del\x7f", "csi\x9b2J"):
        assert "control character" in (paste_problem(control, 0, 0, 0) or ""), repr(control)


async def test_contacts_are_shown_at_the_patients_time(demo_ctx, run_app):
    with read_session(demo_ctx.engine) as session:
        [(patient_id, zone)] = list(
            driver_rows(
                session.connection(),
                "SELECT p.id, p.timezone FROM patient p WHERE p.timezone = 'America/Chicago' "
                "AND EXISTS (SELECT 1 FROM contact c WHERE c.patient_id = p.id) LIMIT 1",
            )
        )
        latest = session.exec(
            select(Contact)
            .where(Contact.patient_id == patient_id)
            .order_by(Contact.contacted_at.desc())  # type: ignore[union-attr]
        ).first()
    assert latest is not None
    async with run_app(demo_ctx, user="demo") as pilot:
        pilot.app.open_patient(patient_id)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PatientScreen)
        await pilot.press("4")
        table = screen.query_one("#contacts", DataTable)
        titles = [str(c.label) for c in table.ordered_columns]
        assert titles[0] == f"Patient's time ({zone})"
        at = latest.contacted_at
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        assert str(table.get_row_at(0)[0]) == f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"
        with write_session(demo_ctx.engine) as session:
            session.execute(
                text("UPDATE patient SET timezone = NULL WHERE id = :id"), {"id": patient_id}
            )
        await pilot.press("ctrl+r")  # read again: no time zone now
        await settle(pilot)
        titles = [str(c.label) for c in table.ordered_columns]
        assert titles[0] == "Clinic time (patient's time zone unknown)"
        assert str(table.get_row_at(0)[0]) == f"{at.astimezone():%Y-%m-%d %H:%M}"
