"""The coordinator's worklist: what it lists, its views, and logging a call with one key."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Static

from followup.services.call_list import due_list
from followup.store.engine import read_session
from followup.store.models import Contact
from followup.ui.staff.calls import LogCallDialog
from followup.ui.staff.worklist import PAGE_SIZE, WorklistScreen, WorklistTable

from .conftest import settle, sign_in


async def test_worklist_lists_the_due_calls_overdue_first(demo_ctx, run_app):
    expected = due_list(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        table = screen.query_one(WorklistTable)
        assert table.row_count == min(len(expected), PAGE_SIZE)
        assert [i.patient_id for i in screen.shown] == [i.patient_id for i in expected][:PAGE_SIZE]
        first = table.get_row_at(0)
        assert str(first[0]) == "overdue"
        assert expected[0].name in str(first[1])
        summary = str(screen.query_one("#worklist-summary", Static).render())
        assert f"{len(expected)} calls" in summary
        # "v" cycles the views: overdue only.
        await pilot.press("v")
        overdue = [i for i in expected if i.status == "overdue"]
        assert table.row_count == len(overdue)
        assert all(str(table.get_row_at(n)[0]) == "overdue" for n in range(table.row_count))


async def test_patient_time_outside_calling_hours_is_marked(demo_ctx, run_app):
    items = due_list(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        table = screen.query_one(WorklistTable)
        for n, item in enumerate(screen.shown):
            cell = str(table.get_row_at(n)[2])
            assert ("⚠" in cell) == (not item.decent_hour), (item.patient_id, cell)
    assert items  # the demo has calls to make


async def test_log_a_call_with_one_key_and_a_note(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        await pilot.press("down")
        item = screen.shown[1]
        await pilot.press("c")
        assert isinstance(pilot.app.screen, LogCallDialog)
        await pilot.press("n")  # no answer; the note field takes the focus
        assert isinstance(pilot.app.focused, Input)
        await pilot.press(*"rang out", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        table = screen.query_one(WorklistTable)
        assert str(table.get_row_at(1)[6]).startswith("no answer")
    with read_session(demo_ctx.engine) as session:
        latest = session.exec(
            select(Contact).where(Contact.patient_id == item.patient_id).order_by(Contact.id.desc())  # type: ignore[union-attr]
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


async def test_long_worklists_are_paged(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        assert "]" not in screen.active_bindings  # one page: no paging keys
        screen.items = screen.items * 5  # as if the cohort were larger
        screen._refilter()
        table = screen.query_one(WorklistTable)
        total = len(screen.items)
        assert table.row_count == PAGE_SIZE
        await pilot.press("]")
        assert table.row_count == total - PAGE_SIZE
        summary = str(screen.query_one("#worklist-summary", Static).render())
        assert f"showing {PAGE_SIZE + 1}–{total} of {total}" in summary
        await pilot.press("[")
        assert table.row_count == PAGE_SIZE


async def test_staff_limited_to_a_site_see_only_that_sites_calls(demo_ctx, run_app):
    from followup.services.staff import add_user
    from followup.store.models import Patient

    add_user(demo_ctx, "northdesk", "northdesk", "coordinator", "test", site_id="north")
    with read_session(demo_ctx.engine) as session:
        north = set(session.exec(select(Patient.id).where(Patient.site_id == "north")))
    async with run_app(demo_ctx, user="northdesk") as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        assert screen.items and {i.patient_id for i in screen.items} <= north
        assert len(screen.items) == len(due_list(demo_ctx, site_id="north"))


async def test_each_page_shows_its_patients_details(demo_ctx, run_app, monkeypatch):
    """The list is computed without names and last contacts; each page reads its own."""
    monkeypatch.setattr("followup.ui.staff.worklist.PAGE_SIZE", 5)
    expected = due_list(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        table = screen.query_one(WorklistTable)
        assert screen.shown == expected[:5]
        await pilot.press("]", "]")
        await settle(pilot)
        assert screen.shown == expected[10:15]
        assert [str(table.get_row_at(n)[1]) for n in range(5)] == [i.name for i in expected[10:15]]
        await pilot.press("v")  # overdue only, from its first page
        await settle(pilot)
        overdue = [i for i in expected if i.status == "overdue"]
        assert screen.shown == overdue[:5]
        assert all(i.name and i.last_contact_outcome for i in screen.shown[:1])


async def test_the_call_list_is_prepared_during_sign_in(demo_ctx, run_app, monkeypatch):
    """Computed once while the sign-in screen shows, then used by the worklist."""
    import followup.ui.staff.worklist as worklist

    computed = []
    real = worklist.due_list

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(kwargs.get("site_id"))
        return real(*args, **kwargs)

    monkeypatch.setattr(worklist, "due_list", counting)
    async with run_app(demo_ctx) as pilot:
        await settle(pilot)
        assert computed == [None]  # the sign-in screen started it
        await sign_in(pilot, "demo", "demo")
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        assert computed == [None]
        assert screen.shown == due_list(demo_ctx)[:PAGE_SIZE]


async def test_a_call_list_prepared_before_an_assessment_is_not_used(demo_ctx, run_app):
    """Someone saves an assessment while the sign-in screen waits: the list is computed again."""
    from followup.domain.instrument import ITEM_KEYS
    from followup.services.record_assessment import AssessmentEntry, record_assessment

    async with run_app(demo_ctx) as pilot:
        await settle(pilot)
        due_now = next(i for i in due_list(demo_ctx) if i.status == "due"
                       and i.window_start <= demo_ctx.today())  # fmt: skip
        entry = AssessmentEntry(due_now.patient_id, due_now.knee, demo_ctx.today(), "phone",
                                {k: 1 for k in ITEM_KEYS})  # fmt: skip
        record_assessment(demo_ctx, entry, "someone-else")
        await sign_in(pilot, "demo", "demo")
        screen = pilot.app.screen
        assert isinstance(screen, WorklistScreen)
        assert (due_now.patient_id, due_now.knee, due_now.timepoint) not in {
            (i.patient_id, i.knee, i.timepoint) for i in screen.items
        }
        assert screen.items == due_list(demo_ctx, details=False)
