"""The clinicians' review queue: order, evidence, a decision with its required note, and the
weekly packet."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Static

from followup.domain.records import LEVELS
from followup.services.review_queue import open_flags
from followup.store.engine import read_session
from followup.store.models import Flag, ReviewDecision, ReviewPacketRecord
from followup.ui.staff.review_queue import ExportDialog, ReviewQueueScreen, ReviewTable
from followup.ui.widgets.chart import KneeCharts
from followup.ui.widgets.dialogs import TextDialog

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
        flags = screen.flags
        assert flags and len(flags) == len(open_flags(demo_ctx))
        ranks = [LEVELS.index(f.level) for f in flags]
        assert ranks == sorted(ranks)  # urgent, then action, then watch
        first = flags[0]
        evidence = str(screen.query_one("#review-evidence", Static).render())
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
        count = len(screen.flags)
        await pilot.press("m")
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press("enter")  # no note: refused
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press(*"seen in clinic; stable", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert len(screen.flags) == count - 1
        assert flag.id not in {f.id for f in screen.flags}
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
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _queue(pilot)
        count = len(screen.flags)
        await pilot.press("d", "escape")
        await settle(pilot)
        assert len(screen.flags) == count
    with read_session(demo_ctx.engine) as session:
        assert session.exec(select(ReviewDecision)).all() == []


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
