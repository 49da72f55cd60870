"""What key screens look like, as SVG snapshots (pytest-textual-snapshot): the coordinator's
worklist on the demo clinic, the review step of a phone entry and the clinician's review queue.

Everything on screen is pinned: the demo database at the frozen clock (tests/conftest.py), so
dates, "their time" and "as of" never move; the idle lock is off; the terminal is 120 x 40.
After a deliberate change of layout, look at the new screens and accept them with
``pytest tests/ui/staff/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from textual.pilot import Pilot

from followup.services.context import Context
from followup.services.staff import sign_in
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.phone_entry import PhoneEntryScreen
from followup.ui.staff.worklist import WorklistScreen

from .conftest import SIZE, FakeIdleClock, settle


def staff_app(ctx: Context) -> FollowupApp:
    return FollowupApp(ctx, idle_clock=FakeIdleClock(), idle_check_seconds=3600)


def signed_in_as(ctx: Context, username: str):  # noqa: ANN201 - a run_before callback
    """Sign in directly (the demo accounts' password is the user name) and let the home
    screen read its page."""

    async def run_before(pilot: Pilot[object]) -> None:
        pilot.app.signed_in(sign_in(ctx, username, username))  # type: ignore[attr-defined]
        await settle(pilot)

    return run_before


def test_worklist_on_the_demo_clinic(demo_ctx, snap_compare) -> None:
    assert snap_compare(
        staff_app(demo_ctx), terminal_size=SIZE, run_before=signed_in_as(demo_ctx, "demo")
    )


def test_phone_entry_review_step(demo_ctx, snap_compare) -> None:
    sign_in_first = signed_in_as(demo_ctx, "demo")

    async def run_before(pilot: Pilot[object]) -> None:
        await sign_in_first(pilot)
        worklist = pilot.app.screen
        assert isinstance(worklist, WorklistScreen)
        row = next(n for n, call in enumerate(worklist.shown) if len(call.knees) == 1)
        await pilot.press(*["down"] * row, "a")
        await settle(pilot)
        entry = pilot.app.screen
        assert isinstance(entry, PhoneEntryScreen)
        await pilot.press("enter")  # the knee the worklist suggests
        await pilot.press("2", "1", "d", *"3" * 21)  # item 3 declined
        await pilot.press("4", "enter", "4", "0", "enter", "enter", *"by phone", "enter")
        await pilot.press("enter")  # assessed on: today, as offered
        await settle(pilot)
        assert entry.step == "step-review"

    assert snap_compare(staff_app(demo_ctx), terminal_size=SIZE, run_before=run_before)


def test_review_queue_for_a_clinician(demo_ctx, snap_compare) -> None:
    assert snap_compare(
        staff_app(demo_ctx), terminal_size=SIZE, run_before=signed_in_as(demo_ctx, "doctor")
    )
