"""The coordinator's worklist: what it lists (one page read from SQL), its views, logging a call
with one key, and staying current as others work."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input, Static

from followup.services.call_list import call_page, due_list
from followup.store.engine import read_session
from followup.store.models import Contact
from followup.ui.staff.calls import LogCallDialog
from followup.ui.staff.worklist import WorklistScreen, WorklistTable
from followup.ui.staff.worklist_rows import call_line

from .conftest import settle

PAGE_SIZE = WorklistScreen.PAGE_SIZE


def first_page(ctx, view="week", site_id=None, page=0, page_size=PAGE_SIZE):  # type: ignore[no-untyped-def]
    return call_page(ctx, view, page=page, page_size=page_size, site_id=site_id)


async def test_worklist_lists_the_calls_overdue_first(demo_ctx, run_app):
    expected = first_page(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        table = screen.query_one(WorklistTable)
        assert table.row_count == min(expected.total, PAGE_SIZE)
        assert [c.patient_id for c in screen.shown] == [c.patient_id for c in expected.calls]
        first = table.get_row_at(0)
        assert str(first[0]) == "overdue"
        assert expected.calls[0].first.name in str(first[1])
        summary = str(screen.query_one("#worklist-summary", Static).render())
        assert f"of {expected.total}" in summary
        # "v" cycles the views: this week -> next 14 days -> next 30 days -> overdue -> today.
        await pilot.press("v", "v", "v")
        await settle(pilot)
        assert screen.view == "overdue"
        overdue = first_page(demo_ctx, "overdue")
        assert table.row_count == min(overdue.total, PAGE_SIZE) > 0
        assert all(str(table.get_row_at(n)[0]) == "overdue" for n in range(table.row_count))


async def test_both_knees_due_are_one_call(demo_ctx, run_app):
    calls = due_list(demo_ctx, days=30)
    patients = [c.patient_id for c in calls]
    both = next(pid for pid in patients if patients.count(pid) == 2)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        await pilot.press("v", "v")  # next 30 days
        await settle(pilot)
        rows = [c for c in screen.shown if c.patient_id == both]
        assert len(rows) == 1 and {k.knee for k in rows[0].knees} == {"left", "right"}


async def test_patient_time_outside_calling_hours_is_marked(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        table = screen.query_one(WorklistTable)
        assert screen.shown
        for n, call in enumerate(screen.shown):
            cell = str(table.get_row_at(n)[screen.columns.index("local")])
            assert ("⚠" in cell) == (not call.first.decent_hour), (call.patient_id, cell)


async def test_log_a_call_with_one_key_and_a_note(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        await pilot.press("down")
        call = screen.shown[1]
        await pilot.press("c")
        assert isinstance(pilot.app.screen, LogCallDialog)
        await pilot.press("n")  # no answer; the note field takes the focus
        assert isinstance(pilot.app.focused, Input)
        await pilot.press(*"rang out", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        table = screen.query_one(WorklistTable)
        row = [c.patient_id for c in screen.shown].index(call.patient_id)
        assert str(table.get_row_at(row)[screen.columns.index("last")]).startswith("no answer")
    with read_session(demo_ctx.engine) as session:
        latest = session.exec(
            select(Contact).where(Contact.patient_id == call.patient_id).order_by(Contact.id.desc())  # type: ignore[union-attr]
        ).first()
    assert latest is not None
    assert (latest.outcome, latest.note, latest.created_by) == ("no_answer", "rang out", "demo")


async def test_cancelling_the_call_dialog_logs_nothing(demo_ctx, run_app):
    with read_session(demo_ctx.engine) as session:
        before = len(session.exec(select(Contact.id)).all())
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("c", "escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        # Enter on the note before choosing an outcome is refused, not guessed.
        await pilot.press("c", "tab", "enter")
        assert isinstance(pilot.app.screen, LogCallDialog)
        await pilot.press("escape")
    with read_session(demo_ctx.engine) as session:
        assert len(session.exec(select(Contact.id)).all()) == before


async def test_long_worklists_are_paged_in_the_database(demo_ctx, run_app, monkeypatch):
    monkeypatch.setattr(WorklistScreen, "PAGE_SIZE", 5)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        table = screen.query_one(WorklistTable)
        total = screen.data.total
        assert total > 10
        assert table.row_count == 5
        await pilot.press("]", "]")
        await settle(pilot)
        expected = first_page(demo_ctx, page=2, page_size=5)
        assert [c.patient_id for c in screen.shown] == [c.patient_id for c in expected.calls]
        names = [str(table.get_row_at(n)[1]) for n in range(table.row_count)]
        assert names == [c.first.name for c in expected.calls]
        summary = str(screen.query_one("#worklist-summary", Static).render())
        assert f"showing 11–15 of {total}" in summary
        await pilot.press("[")
        await settle(pilot)
        assert [c.patient_id for c in screen.shown] == [
            c.patient_id for c in first_page(demo_ctx, page=1, page_size=5).calls
        ]


async def test_one_page_has_no_paging_keys(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        if screen.data.total <= PAGE_SIZE:
            assert "]" not in screen.active_bindings


async def test_staff_limited_to_a_site_see_only_that_sites_calls(demo_ctx, run_app):
    from followup.services.staff import add_user
    from followup.store.models import Patient

    add_user(demo_ctx, "northdesk", "northdesk", "coordinator", "test", site_id="north")
    with read_session(demo_ctx.engine) as session:
        north = set(session.exec(select(Patient.id).where(Patient.site_id == "north")))
    async with run_app(demo_ctx, user="northdesk") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        assert screen.shown and {c.patient_id for c in screen.shown} <= north
        assert screen.data.total == first_page(demo_ctx, site_id="north").total


async def test_a_save_elsewhere_shows_on_the_worklist_without_a_key(demo_ctx, run_app, monkeypatch):
    """Someone else (a kiosk, a colleague) saves an assessment for a call on screen: the poll
    sees the audit trail move and the call leaves the list."""
    from followup.domain.instrument import ITEM_KEYS
    from followup.services.record_assessment import AssessmentEntry, record_assessment

    monkeypatch.setattr(WorklistScreen, "POLL_SECONDS", 0.2)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        await pilot.press("v", "v", "v", "v")  # today: open and overdue
        await settle(pilot)
        due_now = next(c for c in screen.shown if c.status == "due" and len(c.knees) == 1)
        knee = due_now.first
        entry = AssessmentEntry(knee.patient_id, knee.knee, demo_ctx.today(), "self_report",
                                {k: 1 for k in ITEM_KEYS})  # fmt: skip
        record_assessment(demo_ctx, entry, "patient:" + knee.patient_id)
        for _ in range(20):
            await pilot.pause(0.2)
            await settle(pilot)
            if knee.patient_id not in {c.patient_id for c in screen.shown}:
                break
        assert knee.patient_id not in {c.patient_id for c in screen.shown}


async def test_the_highlighted_call_is_told_in_words_with_a_confirmation_calls_reason(
    demo_ctx, run_app
):
    """Under the list: the highlighted call's knees, windows and last contact (the columns a
    narrow terminal drops), and why a confirmation call is asked for."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        screen = pilot.app.screen
        row = next(
            n
            for n, call in enumerate(screen.shown)
            if any(k.timepoint == "confirm" for k in call.knees)
        )
        call = screen.shown[row]
        await pilot.press(*["down"] * row)
        await pilot.pause()
        line = str(screen.query_one("#worklist-call", Static).render())
        confirm = next(k for k in call.knees if k.timepoint == "confirm")
        assert line.startswith(f"{call.first.name} ({call.patient_id})")
        assert f"{confirm.knee} knee: confirmation call, window" in line
        assert "since best)" in line and "confirm)" not in line
        await pilot.press("up")
        await pilot.pause()
        above = screen.shown[row - 1]
        assert f"({above.patient_id})" in str(screen.query_one("#worklist-call", Static).render())


async def test_a_failed_update_is_reported_and_the_list_stays_usable(
    demo_ctx, run_app, monkeypatch
):
    """The evaluation behind the list fails (the database went away a moment, say): the app
    reports it once, and the list no longer claims to be updating; the next change retries."""
    from followup.ui.widgets.dialogs import ErrorDialog

    def fails(ctx, as_of=None, *, full=False):  # type: ignore[no-untyped-def]
        raise RuntimeError("evaluation failed")

    monkeypatch.setattr("followup.ui.staff.paged_list.evaluate_cohort", fails)
    async with run_app(demo_ctx, user="demo") as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, ErrorDialog)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen) and not screen.evaluating
        summary = str(screen.query_one("#worklist-summary", Static).render())
        assert "updating" not in summary and screen.shown


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_both_knees_and_their_follow_ups_fit_in_their_column(
    demo_ctx, run_app, monkeypatch, size
):
    """ "left 18m · right 18m" was cut to "left 18m · right 1" at both sizes."""
    monkeypatch.setattr(WorklistScreen, "PAGE_SIZE", 500)
    async with run_app(demo_ctx, user="demo", size=size) as pilot:
        screen = pilot.app.screen
        await pilot.press("v", "v")  # next 30 days
        await settle(pilot)
        table = screen.query_one(WorklistTable)
        width = next(c.width for c in table.ordered_columns if c.key == "knees")
        knees = [
            str(table.get_row_at(n)[screen.columns.index("knees")]) for n in range(table.row_count)
        ]
        assert max(len(k) for k in knees) > 18  # two knees with two-digit follow-ups are there
        assert all(len(k) <= width for k in knees), (width, max(knees, key=len))


async def test_the_line_under_the_list_is_never_cut_at_80_columns(demo_ctx, run_app, monkeypatch):
    """A call of both knees takes three lines at 80 columns; the box held two, so the last
    contact was cut off ("last contact no answer 28")."""
    monkeypatch.setattr(WorklistScreen, "PAGE_SIZE", 500)
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        screen = pilot.app.screen
        await pilot.press("v", "v")  # next 30 days
        await settle(pilot)
        row = max(
            range(len(screen.shown)),
            key=lambda n: len(call_line(screen.shown[n], screen.data.today)),
        )
        await pilot.press(*["down"] * row)
        await pilot.pause()
        box = screen.query_one("#worklist-call", Static)
        line = call_line(screen.shown[row], screen.data.today)
        lines = line.wrap(pilot.app.console, box.content_size.width)
        assert len(lines) > 2  # the longest call needs a third line here
        assert len(lines) <= box.content_size.height


async def test_the_phone_key_shows_the_number_where_the_column_does_not_fit(demo_ctx, run_app):
    """At 80 columns there is no room for the phone column: "p" did nothing at all."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        screen = pilot.app.screen
        call = screen.shown[0]
        assert call.first.phone
        box = screen.query_one("#worklist-call", Static)
        assert call.first.phone not in str(box.render())
        await pilot.press("p")
        await pilot.pause()
        assert "phone" not in screen.columns
        assert call.first.phone in str(box.render())
        await pilot.press("p")
        await pilot.pause()
        assert call.first.phone not in str(box.render())
