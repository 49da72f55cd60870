"""What saving a phone entry tells the rest of the app, as messages (STYLE.md: tests assert on
messages as well as on screens): the screen's save worker posts AssessmentSaved with what the
service saved, the worklist then posts RecordsChanged for the patient, and the app tells the
open lists (ListOutOfDate) to read their page again. Nothing fails on the way."""

from __future__ import annotations

from sqlmodel import select
from textual.message import Message

from followup.services.staff import sign_in
from followup.store.engine import read_session
from followup.store.models import Assessment
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.messages import ListOutOfDate, RecordsChanged, StaffSignedIn, WorkFailed
from followup.ui.staff.phone_entry import AssessmentSaved, PhoneEntryScreen
from followup.ui.staff.phone_entry_review import SavedDialog
from followup.ui.staff.worklist import WorklistScreen

from .conftest import SIZE, FakeIdleClock, settle


def distinct(messages: list[Message], kind: type[Message]) -> list[Message]:
    """Each message of ``kind`` once (the hook sees a bubbling message at every pump)."""
    seen: dict[int, Message] = {}
    for message in messages:
        if isinstance(message, kind):
            seen.setdefault(id(message), message)
    return list(seen.values())


async def test_saving_a_phone_entry_posts_saved_then_records_changed(demo_ctx) -> None:
    messages: list[Message] = []
    app = FollowupApp(demo_ctx, idle_clock=FakeIdleClock(), idle_check_seconds=3600)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        # Signed in as the sign-in screen does it, by a message: the app then starts the
        # screens from its own task, where the message hook sees every message they receive.
        app.post_message(StaffSignedIn(sign_in(demo_ctx, "demo", "demo")))
        await settle(pilot)
        worklist = app.screen
        assert isinstance(worklist, WorklistScreen)
        row = next(n for n, call in enumerate(worklist.shown) if len(call.knees) == 1)
        call = worklist.shown[row].first
        await pilot.press(*["down"] * row, "a")
        await settle(pilot)
        entry = app.screen
        assert isinstance(entry, PhoneEntryScreen)
        await pilot.press("enter", *"2" * 24)  # the suggested knee, every item answered 2
        await pilot.press("3", "enter", "30", "enter", *"swollen knee", "enter", "enter", "enter")
        assert entry.step == "step-review"
        messages.clear()  # from here on: only what the save sends

        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SavedDialog)
        (saved,) = distinct(messages, AssessmentSaved)
        assert isinstance(saved, AssessmentSaved)
        assert saved.saved is dialog.saved
        assert saved.saved.scores.total == 50.0  # 2 of 4 on every item
        assert "safety" in saved.saved.new_kinds  # the adverse event raised an urgent flag
        assert not distinct(messages, RecordsChanged)  # not before the dialog is closed

        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is worklist
        (changed,) = distinct(messages, RecordsChanged)
        assert isinstance(changed, RecordsChanged) and changed.patient_id == call.patient_id
        assert messages.index(changed) > messages.index(saved)
        assert distinct(messages, ListOutOfDate)  # the app told the lists to read again
        assert not distinct(messages, WorkFailed)

    with read_session(demo_ctx.engine) as session:
        stored = session.get(Assessment, saved.saved.id)
        assert stored is not None
        assert (stored.patient_id, stored.knee) == (call.patient_id, call.knee)
        assert (stored.source, stored.adverse_event) == ("phone", "swollen knee")
        latest = session.exec(select(Assessment.id).order_by(Assessment.id.desc())).first()  # type: ignore[union-attr]
        assert latest == saved.saved.id
