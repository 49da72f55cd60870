"""Sign-in, roles and the idle lock, driven with keys as a user would."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Static

from followup.services.context import Context
from followup.store.engine import read_session
from followup.store.models import AuditEvent, StaffUser
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.review_queue import ReviewQueueScreen
from followup.ui.staff.signin import LockScreen, SignInScreen
from followup.ui.staff.worklist import WorklistScreen

from .conftest import FakeIdleClock, settle, sign_in


def _failed_attempts(ctx: Context, username: str) -> int:
    with read_session(ctx.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
        return user.failed_attempts


async def test_wrong_password_is_refused_then_right_one_opens_the_worklist(demo_ctx, run_app):
    async with run_app(demo_ctx) as pilot:
        app = pilot.app
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "demo", "not-the-password")
        assert isinstance(app.screen, SignInScreen)
        assert "wrong user name or password" in str(
            app.screen.query_one("#signin-problem", Static).render()
        )
        assert app.screen.query_one("#password", Input).value == ""
        assert _failed_attempts(demo_ctx, "demo") == 1
        # Retyping the password alone is enough: the user name is kept.
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        assert app.staff is not None and app.staff.role == "coordinator"
        assert _failed_attempts(demo_ctx, "demo") == 0
    with read_session(demo_ctx.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "sign_in_failed" in actions


async def test_repeated_wrong_passwords_lock_the_account(demo_ctx, run_app):
    async with run_app(demo_ctx) as pilot:
        await pilot.press(*"demo", "enter")
        for _ in range(5):
            await pilot.press(*"nope", "enter")
            await settle(pilot)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SignInScreen)
        message = str(pilot.app.screen.query_one("#signin-problem", Static).render())
        assert "locked" in message


async def test_clinician_starts_in_the_review_queue(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        assert isinstance(pilot.app.screen, ReviewQueueScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReviewQueueScreen)


async def test_coordinator_cannot_reach_the_review_queue(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        app = pilot.app
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        assert "f3" not in app.screen.active_bindings  # not even offered in the footer
        assert not app.is_screen_installed("review")
        await app.run_action("review_queue")  # even when asked directly
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)


async def test_idle_session_locks_and_needs_the_same_password(demo_ctx, run_app):
    clock = FakeIdleClock()
    async with run_app(demo_ctx, user="demo", idle_clock=clock) as pilot:
        app: FollowupApp = pilot.app  # type: ignore[assignment]
        clock.advance(demo_ctx.settings.idle_lock_minutes * 60 - 5)
        app.check_idle_lock()
        assert not app.locked
        clock.advance(10)
        app.check_idle_lock()
        await pilot.pause()
        assert app.locked and isinstance(app.screen, LockScreen)
        # Nothing behind the lock is reachable.
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"doctor", "enter")  # another user's password
        await settle(pilot)
        assert app.locked and isinstance(app.screen, LockScreen)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert not app.locked
        assert isinstance(app.screen, WorklistScreen)


async def test_activity_keeps_the_session_open(demo_ctx, run_app):
    clock = FakeIdleClock()
    async with run_app(demo_ctx, user="demo", idle_clock=clock) as pilot:
        app: FollowupApp = pilot.app  # type: ignore[assignment]
        clock.advance(demo_ctx.settings.idle_lock_minutes * 60 - 5)
        await pilot.press("down")
        clock.advance(10)
        app.check_idle_lock()
        assert not app.locked


async def test_sign_out_from_the_lock_screen(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        app = pilot.app
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.staff is None
        await sign_in(pilot, "doctor", "doctor")
        assert isinstance(app.screen, ReviewQueueScreen)


async def test_user_name_and_password_typed_in_one_burst_stay_apart(demo_ctx, run_app):
    """A password manager (or a fast typist) sends name, Enter, password, Enter at once."""
    from textual import events

    async with run_app(demo_ctx) as pilot:
        app = pilot.app
        await settle(pilot)
        for key in [*"demo", "enter", *"demo", "enter"]:
            app.post_message(events.Key(key, None if key == "enter" else key))
        await pilot.pause(0.3)
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)


SECTIONS_LOADED_WHILE_SIGNING_IN = """
import asyncio, sys
from followup.settings import Settings
from followup.services.context import open_context
from followup.ui.staff.app import SECTION_MODULES, FollowupApp
from followup.ui.staff.signin import SignInScreen

async def main():
    app = FollowupApp(open_context(Settings(database_url=sys.argv[1])))
    async with app.run_test(size=(80, 24)) as pilot:
        assert not any(m in sys.modules for m in SECTION_MODULES), "loaded before the app ran"
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)  # nothing typed yet
        print(" ".join(sorted(m for m in SECTION_MODULES if m not in sys.modules)) or "all")

asyncio.run(main())
"""


def test_the_sections_are_imported_while_the_sign_in_screen_waits(demo_ctx) -> None:
    # Their imports take a few hundred milliseconds: done while a name and a password are
    # typed, the first section shows that much sooner after Enter. A fresh interpreter: this
    # one has imported every screen long ago.
    import subprocess
    import sys

    url = demo_ctx.engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", SECTIONS_LOADED_WHILE_SIGNING_IN, url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "all"


async def test_signing_out_or_quitting_with_an_entry_typed_asks_first(demo_ctx, run_app):
    """Ctrl+O in the middle of a phone entry signed out at once and the answers typed so far
    were gone without a word (Escape in the entry asks; the app-wide keys did not)."""
    from followup.ui.staff.phone_entry import PhoneEntryScreen
    from followup.ui.widgets.dialogs import ConfirmDialog

    async with run_app(demo_ctx, user="demo") as pilot:
        app = pilot.app
        await pilot.press("a", "enter", "1", "2")
        entry = app.screen
        assert isinstance(entry, PhoneEntryScreen) and entry.has_unsaved_entry
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is entry and app.staff is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is entry and app.is_running
        await pilot.press("3")  # the entry goes on where it was
        assert len([a for a in entry.query_one("Questionnaire").answers.values()]) == 3
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.staff is None


async def test_the_ask_for_a_user_name_goes_once_one_is_typed(demo_ctx, run_app):
    """Enter on an empty name asked for one; typing it and Enter left "Type your user name."
    on the screen while the password was being typed."""
    async with run_app(demo_ctx) as pilot:
        app = pilot.app
        await settle(pilot)
        problem = app.screen.query_one("#signin-problem", Static)
        await pilot.press("enter")
        assert str(problem.render()) == "Type your user name."
        await pilot.press(*"demo", "enter")
        assert app.focused is app.screen.query_one("#password")
        assert str(problem.render()) == ""
