"""Entering a questionnaire by phone: digits, going back, a declined item, the optional fields
with a bad value refused, the day of the answers, the review, and what reaches the database (or
does not)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select
from textual.widgets import Static

from followup.errors import FollowupError
from followup.store.engine import read_session
from followup.store.models import Assessment, Flag
from followup.ui.staff.phone_entry import PhoneEntryScreen
from followup.ui.staff.phone_entry_day import MAX_ENTRY_AGE_DAYS, assessment_day
from followup.ui.staff.phone_entry_review import SavedDialog
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ConfirmDialog
from tests.ui.sight import in_sight

from .conftest import settle


def _count(ctx) -> int:
    with read_session(ctx.engine) as session:
        return session.exec(select(func.count()).select_from(Assessment)).one()


def _latest(ctx, patient_id: str, knee: str) -> Assessment:
    with read_session(ctx.engine) as session:
        row = session.exec(
            select(Assessment)
            .where(Assessment.patient_id == patient_id, Assessment.knee == knee)
            .order_by(Assessment.id.desc())  # type: ignore[union-attr]
        ).first()
    assert row is not None
    return row


async def _start_entry(pilot) -> tuple[str, str]:
    screen = pilot.app.screen
    assert isinstance(screen, WorklistScreen)
    row = next(n for n, call in enumerate(screen.shown) if len(call.knees) == 1)
    for _ in range(row):
        await pilot.press("down")
    item = screen.shown[row].first
    await pilot.press("a")
    assert isinstance(pilot.app.screen, PhoneEntryScreen)
    await pilot.press("enter")  # the worklist's knee is suggested
    return item.patient_id, item.knee


async def test_full_assessment_by_digits_with_back_and_a_declined_item(demo_ctx, run_app):
    before = _count(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        patient_id, knee = await _start_entry(pilot)
        entry = pilot.app.screen
        # Item 1: 2. Item 2: 3, then Backspace and 1 instead. Item 3: declined. Then 21 x 1.
        await pilot.press("2", "3", "backspace", "1", "d", *("1" * 21))
        assert entry.step == "step-extras"
        await pilot.press("1", "2", "enter")  # pain NRS 12: refused with a message
        problem = str(entry.query_one("#extras-problem", Static).render())
        assert "0 to 10" in problem
        assert entry.step == "step-extras"
        await pilot.press("backspace", "backspace", "7", "enter")
        await pilot.press("5", "5", "enter")  # patient global
        await pilot.press(*"hot knee", "enter")  # an adverse event
        await pilot.press(*"by phone", "enter")
        await pilot.press("enter")  # assessed on: today, as offered
        assert entry.step == "step-review"
        review = str(entry.query_one("#review-scores", Static).render())
        assert "Pain" in review and "4 of 5 answered" in review
        # One answer changed from the review: back to the questions, ↑ to item 23, 4.
        await pilot.press("q", "up", "4")
        assert entry.step == "step-review"  # one change: straight back to the review
        assert _count(demo_ctx) == before  # nothing saved before the review is confirmed
        await pilot.press("s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, SavedDialog)
        # The adverse event raised a safety flag: shown the moment the form is saved.
        assert "safety" in dialog.saved.new_kinds
        assert "URGENT" in " ".join(str(w.render()) for w in dialog.query(Static))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
    assert _count(demo_ctx) == before + 1
    row = _latest(demo_ctx, patient_id, knee)
    assert (row.p1, row.p2, row.p3, row.p4, row.f16, row.f17) == (2, 1, None, 1, 4, 1)
    assert (row.pain_nrs, row.patient_global, row.note) == (7, 55, "by phone")
    assert (row.source, row.created_by, row.answered) == ("phone", "demo", 23)
    assert row.assessed_on == demo_ctx.today()
    assert row.adverse_event == "hot knee"
    assert row.pain_score is not None  # one missing pain item is imputed, not zero
    with read_session(demo_ctx.engine) as session:
        kinds = session.exec(
            select(Flag.kind).where(
                Flag.patient_id == patient_id, Flag.knee == knee, Flag.status == "open"
            )
        ).all()
    assert "safety" in kinds


async def test_abandoned_entry_saves_nothing(demo_ctx, run_app):
    before = _count(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        await _start_entry(pilot)
        await pilot.press("1", "2", "3")
        assert pilot.app.screen.has_unsaved_entry
        await pilot.press("f2")  # leaving by navigation is not offered mid-entry
        assert isinstance(pilot.app.screen, PhoneEntryScreen)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(pilot.app.screen, PhoneEntryScreen)
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
    assert _count(demo_ctx) == before


async def test_optional_fields_typed_fast_land_in_their_own_fields(demo_ctx, run_app):
    """A coordinator types pain, Enter, rating, Enter, ... without waiting for the screen."""
    from textual import events
    from textual.widgets import Input

    async with run_app(demo_ctx, user="demo") as pilot:
        app = pilot.app
        await _start_entry(pilot)
        screen = app.screen
        await pilot.press(*"2" * 24)
        await settle(pilot)
        for key in ["4", "enter", *"35", "enter", "enter", *"note"]:
            event = events.Key(key, None if len(key) > 1 else key)
            event.set_sender(app)
            app._driver.send_message(event)  # as Pilot does, but without waiting between keys
        await pilot.pause(0.3)
        await settle(pilot)
        values = {f.id: f.value for f in screen.query(Input)}
        assert values["pain-nrs"] == "4"
        assert values["patient-global"] == "35"
        assert values["adverse-event"] == ""
        assert values["entry-note"] == "note"


async def _to_assessed_on(pilot) -> PhoneEntryScreen:
    """All 24 items answered 2, the other optional fields left empty: at "Assessed on"."""
    await _start_entry(pilot)
    entry = pilot.app.screen
    await pilot.press(*"2" * 24, "enter", "enter", "enter", "enter")
    assert entry.step == "step-extras" and entry.focused.id == "assessed-on"
    return entry


async def test_an_assessment_taken_yesterday_is_saved_with_that_date(demo_ctx, run_app):
    before = _count(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        entry = await _to_assessed_on(pilot)
        heading = entry.query_one("#entry-heading", Static)
        assert "assessed on 2026-11-21" in str(heading.render())  # today, offered
        await pilot.press(*"2026-11-20")  # the offered date is selected: typing replaces it
        assert "assessed on 2026-11-20" in str(heading.render())
        await pilot.press("enter")
        assert entry.step == "step-review"
        review = str(entry.query_one("#review-scores", Static).render())
        assert "assessed on 2026-11-20 (yesterday)" in review
        patient_id, knee = entry.patient_id, entry.knee
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SavedDialog)
        await pilot.press("enter")
        await settle(pilot)
    assert _count(demo_ctx) == before + 1
    assert _latest(demo_ctx, patient_id, knee).assessed_on == date(2026, 11, 20)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("2026-11-22", "Assessed on: 2026-11-22 is after today (2026-11-21)"),
        ("2026-02-30", "Assessed on: 2026-02-30 is not a real date"),
        ("2026-1-5", "Assessed on: 2026-1-5 is not a date written YYYY-MM-DD"),
        ("2016-11-20", "Assessed on: 2016-11-20 is more than 90 days ago"),
        ("", "Assessed on: no date given: type it as YYYY-MM-DD"),
    ],
)
async def test_a_bad_assessment_date_is_refused_and_nothing_saved(
    demo_ctx, run_app, typed, message
):
    before = _count(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:
        entry = await _to_assessed_on(pilot)
        await pilot.press(*(typed or ["backspace"]), "enter")
        assert entry.step == "step-extras" and entry.focused.id == "assessed-on"
        assert message in str(entry.query_one("#extras-problem", Static).render())
        assert "assessed on 2026-11-21" in str(entry.query_one("#entry-heading").render())
        await pilot.press("up", "enter")  # from the note: back to the date, still refused
        assert entry.step == "step-extras" and entry.focused.id == "assessed-on"
        await pilot.press("enter")
        assert entry.step == "step-extras"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
    assert _count(demo_ctx) == before


def test_the_assessment_day_goes_back_at_most_90_days() -> None:
    today = date(2026, 11, 21)
    oldest = today - timedelta(days=MAX_ENTRY_AGE_DAYS)
    assert assessment_day(oldest.isoformat(), today) == oldest
    assert assessment_day(" 2026-11-21 ", today) == today
    with pytest.raises(FollowupError, match="more than 90 days ago"):
        assessment_day((oldest - timedelta(days=1)).isoformat(), today)


async def test_a_refused_optional_field_is_explained_in_sight_at_80x24(demo_ctx, run_app):
    """At 80x24 the message sat below the last field, out of sight: Enter seemed to do
    nothing."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        await _start_entry(pilot)
        entry = pilot.app.screen
        await pilot.press(*"2" * 24, "1", "1", "enter")  # pain now: 11
        await pilot.pause()
        assert entry.step == "step-extras" and entry.focused.id == "pain-nrs"
        problem = entry.query_one("#extras-problem", Static)
        assert "0 to 10" in str(problem.render())
        assert in_sight(pilot.app.screen, problem)
        assert in_sight(pilot.app.screen, entry.focused)


async def test_the_review_says_an_urgent_flag_is_coming_in_sight_at_80x24(demo_ctx, run_app):
    """The line saying an adverse event raises an urgent safety flag sat below the answers,
    out of sight on a small terminal: the coordinator saved without seeing it."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        await _start_entry(pilot)
        entry = pilot.app.screen
        await pilot.press(*"2" * 24, "enter", "enter", *"hot knee", "enter", "enter", "enter")
        await pilot.pause()
        assert entry.step == "step-review"
        problem = entry.query_one("#review-problem", Static)
        assert "urgent safety flag" in str(problem.render())
        assert in_sight(pilot.app.screen, problem)


async def test_a_corrected_field_leaves_no_stale_message(demo_ctx, run_app):
    """Pain 11 refused, corrected to 7, Enter: the next field had focus but the screen still
    said "Pain must be a whole number from 0 to 10"."""
    async with run_app(demo_ctx, user="demo") as pilot:
        await _start_entry(pilot)
        entry = pilot.app.screen
        await pilot.press(*"2" * 24, "1", "1", "enter")
        problem = entry.query_one("#extras-problem", Static)
        assert "0 to 10" in str(problem.render())
        await pilot.press("backspace", "backspace", "7", "enter")
        assert entry.focused.id == "patient-global"
        assert str(problem.render()) == ""
