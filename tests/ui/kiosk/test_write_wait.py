"""A patient's answers sent while another writer holds the SQLite database (a bulk import's
write phase): the patient is told to wait a moment, and then the answers are saved as usual."""

from __future__ import annotations

import pytest

from followup.ui.kiosk.review import ReviewScreen
from followup.ui.kiosk.thanks import ThankYouScreen
from tests.ui.write_wait import toasts, until_the_wait_is_shown

from .conftest import Clinic, answer_all, kiosk, settle, sign_in
from .test_kiosk_flow import self_reports


@pytest.mark.parametrize("size", [(100, 40), (80, 24)])
async def test_answers_sent_while_the_database_is_busy_wait_then_are_saved(
    clinic: Clinic, write_lock_holder, size
) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=size, notifications=True) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, "2", typed=False)
        assert isinstance(app.screen, ReviewScreen)

        holder = write_lock_holder(clinic.ctx).hold()
        await pilot.press("enter")
        await until_the_wait_is_shown(pilot)
        assert app.write_wait_shown
        assert any("busy for a moment" in text for text in toasts(pilot)), toasts(pilot)
        assert isinstance(app.screen, ReviewScreen)  # the answers are still there

        holder.release()
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen)
        assert not app.write_wait_shown
    assert len(self_reports(clinic)) == 1
