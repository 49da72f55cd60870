"""A phone entry saved while another writer holds the SQLite database (a bulk import's write
phase): the coordinator is told the save is waiting, and then it is saved as usual."""

from __future__ import annotations

import pytest
from sqlmodel import select

from followup.store.engine import read_session
from followup.store.models import Assessment
from followup.ui.staff.phone_entry import PhoneEntryScreen
from followup.ui.staff.phone_entry_review import SavedDialog
from followup.ui.staff.worklist import WorklistScreen
from tests.ui.write_wait import toasts, until_the_wait_is_shown

from .conftest import settle


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_save_that_waits_says_so_then_is_saved(
    demo_ctx, run_app, write_lock_holder, size
) -> None:
    async with run_app(demo_ctx, user="demo", size=size, notifications=True) as pilot:
        app = pilot.app
        worklist = app.screen
        assert isinstance(worklist, WorklistScreen)
        row = next(n for n, call in enumerate(worklist.shown) if len(call.knees) == 1)
        await pilot.press(*["down"] * row, "a")
        await settle(pilot)
        entry = app.screen
        assert isinstance(entry, PhoneEntryScreen)
        await pilot.press("enter", *"2" * 24, "3", "enter", "30", "enter", "enter", "enter")
        await pilot.press("enter")
        assert entry.step == "step-review"
        with read_session(demo_ctx.engine) as session:
            before = len(session.exec(select(Assessment.id)).all())

        holder = write_lock_holder(demo_ctx).hold()
        await pilot.press("s")
        await until_the_wait_is_shown(pilot)
        assert app.write_wait_shown
        assert any("Waiting to save" in text for text in toasts(pilot))
        assert app.screen is entry  # still there, nothing lost

        holder.release()
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        assert not app.write_wait_shown
        assert not any("Waiting to save" in text for text in toasts(pilot))
    with read_session(demo_ctx.engine) as session:
        assert len(session.exec(select(Assessment.id)).all()) == before + 1
