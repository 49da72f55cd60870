"""The clinicians' review queue: order, evidence, a decision with its required note, and the
weekly packet."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Static

from followup.domain.records import LEVELS
from followup.services.review_queue import open_flags
from followup.store.engine import read_session
from followup.store.models import Flag, ReviewDecision, ReviewPacketRecord
from followup.ui.staff.decision_dialog import DecisionDialog
from followup.ui.staff.packet_export import ExportDialog
from followup.ui.staff.review_queue import ReviewQueueScreen, ReviewTable
from followup.ui.widgets.chart import KneeCharts
from followup.ui.widgets.dialogs import TextDialog
from tests.ui.sight import in_sight

from .conftest import settle


async def _queue(pilot) -> ReviewQueueScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewQueueScreen)
    assert screen.evaluated and not screen.evaluating
    return screen


async def test_queue_is_ordered_with_evidence_and_chart(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flags = screen.shown
        every = open_flags(demo_ctx)
        assert flags and screen.data.total == len(every)
        assert [f.id for f in flags] == [f.id for f in every][: len(flags)]
        ranks = [LEVELS.index(f.level) for f in flags]
        assert ranks == sorted(ranks)  # urgent, then action, then watch
        first = flags[0]
        evidence = str(screen.query_one(".flag-evidence", Static).render())
        assert first.summary in evidence and first.patient_id in evidence
        await pilot.pause(0.3)  # the chart is read once the cursor rests
        await settle(pilot)
        charts = list(screen.query(KneeCharts))
        assert [c.trajectory.knee for c in charts] == [first.knee]


async def test_decide_a_flag_with_a_required_note(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        await pilot.press("down")
        flag = screen.shown[1]
        count = screen.data.total
        await pilot.press("m")
        assert isinstance(pilot.app.screen, DecisionDialog)
        await pilot.press("enter")  # no note: refused, and said so
        assert isinstance(pilot.app.screen, DecisionDialog)
        problem = str(pilot.app.screen.query_one("#decision-problem", Static).render())
        assert problem.startswith("note: say why")
        await pilot.press(*"seen in clinic; stable", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.data.total == count - 1
        assert flag.id not in {f.id for f in screen.shown}
    with read_session(demo_ctx.engine) as session:
        decision = session.exec(
            select(ReviewDecision).where(ReviewDecision.flag_id == flag.id)
        ).one()
        stored = session.get(Flag, flag.id)
    assert (decision.decision, decision.note, decision.reviewer) == (
        "continue_monitoring",
        "seen in clinic; stable",
        "doctor",
    )
    assert stored is not None and stored.status == "closed"


async def test_cancelled_decision_records_nothing(demo_ctx, run_app):
    with read_session(demo_ctx.engine) as session:
        before = session.exec(select(ReviewDecision)).all()  # the demo story's decisions
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        count = screen.data.total
        await pilot.press("d", "escape")
        await settle(pilot)
        assert screen.data.total == count
    with read_session(demo_ctx.engine) as session:
        assert session.exec(select(ReviewDecision)).all() == before


async def test_export_the_weekly_packet(demo_ctx, run_app, tmp_path):
    out = tmp_path / "packet.csv"
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        await pilot.press("x")
        assert isinstance(pilot.app.screen, ExportDialog)
        await pilot.press("c", "tab")  # CSV, then the file name (pasted, not typed)
        path = pilot.app.screen.query_one("#packet-path", Input)
        assert path.has_focus and path.value.endswith(".csv")
        path.value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
    text = out.read_text("utf-8")
    assert text.count("\n") >= len(open_flags(demo_ctx))
    assert "flag_id" in text.splitlines()[0]
    with read_session(demo_ctx.engine) as session:  # written, so recorded for the next packet
        [packet] = session.exec(select(ReviewPacketRecord)).all()
    assert packet.made_by == "doctor" and packet.flag_count == text.count("\n") - 1


async def test_enter_on_the_format_writes_to_the_file_name_shown(demo_ctx, run_app, tmp_path):
    async with run_app(demo_ctx, user="doctor") as pilot:
        await _queue(pilot)
        await pilot.press("x")
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#packet-path", Input).value = str(tmp_path / "packet.md")
        await pilot.press("m", "enter")
        await settle(pilot)
        for _ in range(50):
            if (tmp_path / "packet.md").exists():
                break
            await pilot.pause(0.1)
    assert "| " in (tmp_path / "packet.md").read_text("utf-8")


async def test_open_the_flagged_patient(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flag = screen.shown[0]
        assert isinstance(pilot.app.focused, ReviewTable)
        await pilot.press("enter")
        await settle(pilot)
        assert getattr(pilot.app.screen, "patient_id", None) == flag.patient_id


async def test_the_queue_is_paged_in_the_database(demo_ctx, run_app, monkeypatch):
    monkeypatch.setattr(ReviewQueueScreen, "PAGE_SIZE", 7)
    every = open_flags(demo_ctx)
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        assert [f.id for f in screen.shown] == [f.id for f in every[:7]]
        await pilot.press("]", "]")
        await settle(pilot)
        assert [f.id for f in screen.shown] == [f.id for f in every[14:21]]
        assert screen.query_one(ReviewTable).row_count == 7


def _decisions(ctx, flag_id: int) -> list[ReviewDecision]:
    with read_session(ctx.engine) as session:
        query = select(ReviewDecision).where(ReviewDecision.flag_id == flag_id)
        return list(session.exec(query.order_by(ReviewDecision.id)))


async def test_a_booster_decision_takes_its_booked_day_checked(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flag = screen.shown[0]
        await pilot.press("b", *"booked with the clinic", "enter")
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionDialog)
        day = dialog.query_one("#decision-until", Input)
        assert day.has_focus  # the day is asked for next, and may be left empty
        await pilot.press(*"2026-13-01", "enter")
        problem = dialog.query_one("#decision-problem", Static)
        assert "booster day: '2026-13-01' is not a day like" in str(problem.render())
        day.value = "2026-11-21"  # today (the clinic's clock in the tests): not after it
        await pilot.press("enter")
        assert "must be after today" in str(problem.render())
        day.value = "2027-11-22"  # a year and a day ahead
        await pilot.press("enter")
        assert "more than a year after today (2027-11-21 at the latest)" in str(problem.render())
        day.value = "2026-12-10"
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
    [decision] = _decisions(demo_ctx, flag.id)
    assert (decision.decision, decision.until.isoformat()) == ("booster_scheduled", "2026-12-10")


async def test_decided_flags_can_be_amended_and_reopened_with_a_reason(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flag = screen.shown[0]
        await pilot.press("f", *"ortho opinion", "enter")
        await settle(pilot)
        await pilot.press("a")  # amending is for decided flags: nothing happens here
        assert pilot.app.screen is screen
        await pilot.press("v")
        await settle(pilot)
        # the latest decision first (the demo story's earlier decisions follow)
        assert screen.decided_view and screen.shown[0].id == flag.id
        detail = str(screen.query_one(".flag-evidence", Static).render())
        assert "Decided: refer, by doctor" in detail and "ortho opinion" in detail
        await pilot.press("m")  # deciding is for open flags
        assert pilot.app.screen is screen
        await pilot.press("a")
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionDialog)
        await pilot.press("enter")  # Enter picks the highlighted decision; the reason is next
        await pilot.press("escape")
        assert pilot.app.screen is screen  # cancelled: nothing changed
        await pilot.press("a", "m", *"meant monitoring", "enter")
        await settle(pilot)
        await pilot.press("o")
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press(*"pain came back", "enter")
        await settle(pilot)
        assert flag.id not in {f.id for f in screen.shown}  # reopened: back among the open flags
        await pilot.press("v")
        await settle(pilot)
        assert not screen.decided_view and flag.id in {f.id for f in screen.shown}
    refer, monitor = _decisions(demo_ctx, flag.id)
    assert (refer.decision, refer.status, refer.ended_reason) == (
        "refer", "amended", "meant monitoring",
    )  # fmt: skip
    assert (monitor.decision, monitor.status, monitor.ended_reason) == (
        "continue_monitoring", "reopened", "pain came back",
    )  # fmt: skip


async def test_the_booster_is_recorded_from_the_queue(demo_ctx, run_app):
    from followup.ui.staff.treatment_form import TreatmentForm

    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flag = next(f for f in screen.shown if f.kind == "wearing_off")
        screen.query_one(ReviewTable).move_cursor(row=screen.shown.index(flag))
        await pilot.press("B")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, TreatmentForm) and form.patient_id == flag.patient_id
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert flag.id not in {f.id for f in screen.shown}  # superseded: read again, gone
    with read_session(demo_ctx.engine) as session:
        assert session.get(Flag, flag.id).status == "cleared"


async def test_a_flag_decided_meanwhile_by_another_reviewer_is_refused_by_name(demo_ctx, run_app):
    from followup.services.decide import decide
    from followup.ui.widgets.dialogs import ErrorDialog

    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        flag = screen.shown[0]
        await pilot.press("m")
        assert isinstance(pilot.app.screen, DecisionDialog)
        decide(demo_ctx, flag.id, "refer", "seen first", "dr.ada")  # another reviewer, first
        await pilot.press(*"seen in clinic; stable", "enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        said = str(dialog.query_one("#error-message", Static).render())
        assert said.startswith(f"flag {flag.id} was already decided by dr.ada at ")
        assert "Traceback" not in said
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert flag.id not in {f.id for f in screen.shown}  # the queue was read again
    with read_session(demo_ctx.engine) as session:
        decisions = session.exec(
            select(ReviewDecision).where(ReviewDecision.flag_id == flag.id)
        ).all()
    assert [(d.decision, d.reviewer) for d in decisions] == [("refer", "dr.ada")]


async def test_amending_to_a_booster_says_why_not_in_sight_at_80x24(demo_ctx, run_app):
    """Amending to "booster scheduled" at 80x24: the dialog grew past the screen and its
    messages were cut off, so Enter seemed to do nothing."""
    async with run_app(demo_ctx, user="doctor", size=(80, 24)) as pilot:
        await _queue(pilot)
        await pilot.press("f", *"ortho", "enter")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("a", "b", *"booked", "enter")
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionDialog)
        problem = dialog.query_one("#decision-problem", Static)
        assert "optional" in str(problem.render())
        await pilot.pause()
        assert in_sight(pilot.app.screen, problem)
        await pilot.press(*"2020-01-01", "enter")
        await pilot.pause()
        assert "must be after today" in str(problem.render())
        assert in_sight(pilot.app.screen, problem)
        assert in_sight(pilot.app.screen, dialog.query_one("#decision-until", Input))
