"""The patient's problem text refuses a paste it cannot hold whole (a line break, or more than
the field takes), with a message, and keeps what the patient typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from followup.store.models import MAX_TEXT
from followup.ui.kiosk.review import ProblemScreen

from .conftest import Clinic, answer_all, kiosk, settle, sign_in


async def test_a_multi_line_or_too_long_paste_is_refused(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, "2", typed=False)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        field = app.screen.query_one(Input)
        await pilot.press(*"swollen")
        app.post_message(events.Paste(" since Monday\nand warm"))
        await pilot.pause()
        assert field.value == "swollen"
        app.post_message(events.Paste("x" * MAX_TEXT))
        await pilot.pause()
        assert field.value == "swollen"
        refused = [n.message for n in app._notifications if n.title == "Paste refused"]
        assert len(refused) == 2 and "more than one line" in refused[0]
        app.post_message(events.Paste(" since Monday"))
        await pilot.pause()
        assert field.value == "swollen since Monday"
