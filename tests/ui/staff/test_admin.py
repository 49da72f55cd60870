"""Staff administration in the staff UI, by keys: accounts on-boarded and off-boarded, sites
added, refusals shown as the services word them, every change audited; only admins reach it.
And the sign-in screen: an empty password is not a wrong one, and an empty database says how
to create the first account."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from followup.errors import FollowupError
from followup.services.audit import list_events
from followup.services.staff import MAX_FAILURES, add_user, sign_in
from followup.services.staff_accounts import list_users
from followup.ui.staff import signin as signin_module
from followup.ui.staff.admin import AdminScreen
from followup.ui.staff.admin_dialogs import NewAccountDialog, NewSiteDialog, PasswordDialog
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.signin import FIRST_ACCOUNT, SignInScreen
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ConfirmDialog, ErrorDialog

from .conftest import FakeIdleClock, settle

PASSWORD = "long-password"


@pytest.fixture
def clinic(demo_ctx):
    """The demo with an admin (``admin``/``admin``, as the demo's accounts are made)."""
    add_user(demo_ctx, "admin", "admin", "admin", "test", allow_weak=True)
    return demo_ctx


def _account(ctx, username: str):
    return next(u for u in list_users(ctx) if u.username == username)


def _staff_events(ctx, username: str) -> list:
    return [e for e in list_events(ctx.engine) if e.entity_id == username]


async def _admin_screen(pilot) -> AdminScreen:
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AdminScreen)
    return screen


async def _highlight(pilot, screen: AdminScreen, username: str) -> None:
    table = screen.query_one("#accounts", DataTable)
    table.focus()
    table.move_cursor(row=[a.username for a in screen.accounts].index(username))
    await pilot.pause()


def _dialog_problem(pilot) -> str:
    return str(pilot.app.screen.query_one("#dialog-problem", Static).render())


async def test_an_admin_on_boards_and_off_boards_staff(clinic, run_app):
    async with run_app(clinic, user="admin") as pilot:
        screen = await _admin_screen(pilot)
        table = screen.query_one("#accounts", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "admin", "demo", "doctor",
        ]  # fmt: skip
        assert "hash" not in " ".join(str(c) for c in table.ordered_columns).lower()

        # A coordinator on a site nobody added yet: refused as the service words it.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewAccountDialog)
        await pilot.press(*"nina", "tab", "tab", *"east", "tab", *PASSWORD, "tab", *PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert _dialog_problem(pilot) == (
            "there is no site 'east'; an admin adds it with: followup site add east --name "
            "'SITE NAME'"
        )
        assert pilot.app.screen.query_one("#username", Input).value == "nina"  # kept
        assert "nina" not in [a.username for a in list_users(clinic)]
        await pilot.press("escape")

        # The site first, then the account.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewSiteDialog)
        await pilot.press(*"east", "tab", *"East clinic", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        sites = screen.query_one("#sites", DataTable)
        assert ("east", "East clinic") in [tuple(map(str, sites.get_row_at(i))) for i in range(3)]
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"nina", "tab", "tab", *"east", "tab", *PASSWORD, "tab", *PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        nina = _account(clinic, "nina")
        assert (nina.role, nina.site_id, nina.active) == ("coordinator", "east", True)
        assert sign_in(clinic, "nina", PASSWORD).site_id == "east"

        # Off-boarded: disabled after a confirmation.
        await _highlight(pilot, screen, "nina")
        await pilot.press("d")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert not _account(clinic, "nina").active
        row = screen.accounts.index(_account(clinic, "nina"))
        assert str(table.get_row_at(row)[3]) == "DISABLED"
        with pytest.raises(FollowupError):
            sign_in(clinic, "nina", PASSWORD)

        # The last active admin stays.
        await _highlight(pilot, screen, "admin")
        await pilot.press("d", "y")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message == (
            "'admin' is the last active admin; add another admin first "
            "(followup user add NAME --role admin)"
        )
        await pilot.press("enter")
        assert _account(clinic, "admin").active
    actions = [(e.action, e.entity_id) for e in list_events(clinic.engine)]
    assert ("create", "east") in actions  # the site
    assert ("create", "nina") in actions and ("disable", "nina") in actions
    assert ("disable", "admin") not in actions


async def test_a_reset_password_signs_in_and_a_locked_account_is_unlocked(clinic, run_app):
    for _ in range(MAX_FAILURES):
        with pytest.raises(FollowupError):
            sign_in(clinic, "demo", "wrong-password")
    assert _account(clinic, "demo").locked(clinic.now())
    async with run_app(clinic, user="admin") as pilot:
        screen = await _admin_screen(pilot)
        table = screen.query_one("#accounts", DataTable)
        row = [a.username for a in screen.accounts].index("demo")
        assert str(table.get_row_at(row)[4]) == "15 more min"

        await _highlight(pilot, screen, "demo")
        await pilot.press("u")
        await settle(pilot)
        assert not _account(clinic, "demo").locked(clinic.now())
        assert sign_in(clinic, "demo", "demo").username == "demo"
        assert str(table.get_row_at(row)[4]) == "–"

        await _highlight(pilot, screen, "doctor")
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PasswordDialog)
        await pilot.press(*"short", "tab", *"short", "enter")
        await settle(pilot)
        assert _dialog_problem(pilot) == "the password must have at least 8 characters"
        assert pilot.app.screen.query_one("#password", Input).value == ""  # typed again
        await pilot.press(*PASSWORD, "tab", *"another-password", "enter")
        assert "differ" in _dialog_problem(pilot)
        await pilot.press(*PASSWORD, "tab", *PASSWORD, "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
    assert sign_in(clinic, "doctor", PASSWORD).username == "doctor"
    with pytest.raises(FollowupError):
        sign_in(clinic, "doctor", "doctor")
    actions = [e.action for e in _staff_events(clinic, "doctor")]
    assert "reset_password" in actions
    assert "unlock" in [e.action for e in _staff_events(clinic, "demo")]
    assert all(PASSWORD not in str(e.new) for e in list_events(clinic.engine))


async def test_role_and_site_are_set_by_keys(clinic, run_app):
    async with run_app(clinic, user="admin") as pilot:
        screen = await _admin_screen(pilot)
        await _highlight(pilot, screen, "demo")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter", "down", "enter", "ctrl+s")  # coordinator -> clinician
        await settle(pilot)
        assert _account(clinic, "demo").role == "clinician"
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"nowhere", "enter")
        await settle(pilot)
        assert _dialog_problem(pilot).startswith("there is no site 'nowhere'")
        await pilot.press(*("backspace" for _ in "nowhere"), *"north", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert _account(clinic, "demo").site_id == "north"
    changes = [(e.action, e.old, e.new) for e in _staff_events(clinic, "demo")]
    assert ("set_role", {"role": "coordinator"}, {"role": "clinician"}) in changes
    assert ("set_site", {"site_id": None}, {"site_id": "north"}) in changes


async def test_a_coordinator_cannot_reach_staff_administration(clinic, run_app):
    async with run_app(clinic, user="demo") as pilot:
        app = pilot.app
        assert "f4" not in app.screen.active_bindings  # not offered
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        await app.run_action("staff_admin")  # even when asked directly
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        assert not app.is_screen_installed("admin")
    async with run_app(clinic, user="admin") as pilot:
        assert "f4" in pilot.app.screen.active_bindings
        assert isinstance(pilot.app.screen, WorklistScreen)  # admins start on the worklist too


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_admin_screen_and_its_dialog_fit(clinic, size):
    app = FollowupApp(clinic, idle_clock=FakeIdleClock(), idle_check_seconds=3600)
    async with app.run_test(size=size) as pilot:
        app.signed_in(sign_in(clinic, "admin", "admin"))
        await settle(pilot)
        screen = await _admin_screen(pilot)
        whole = screen.region
        for part in ("#accounts", "#sites", "#admin-summary"):
            region = screen.query_one(part).region
            assert region.height > 0 and whole.contains_region(region), part
        await pilot.press("a")
        await settle(pilot)
        dialog = pilot.app.screen
        for field in dialog.query("Input, Select, #dialog-problem"):
            assert whole.contains_region(field.region), field


async def test_an_empty_password_is_asked_for_not_counted(demo_ctx, run_app, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the service was asked")

    async with run_app(demo_ctx) as pilot:
        monkeypatch.setattr(signin_module, "sign_in", refuse)
        await pilot.press("enter")
        problem = pilot.app.screen.query_one("#signin-problem", Static)
        assert str(problem.render()) == "Type your user name."
        await pilot.press(*"demo", "enter", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SignInScreen)
        assert str(problem.render()) == "Type the password."
        assert pilot.app.focused is pilot.app.screen.query_one("#password")
        assert str(pilot.app.screen.query_one("#signin-first", Static).render()) == ""
    assert _account(demo_ctx, "demo").failed_attempts == 0
    assert not [e for e in list_events(demo_ctx.engine) if e.action == "sign_in_failed"]


async def test_an_empty_database_says_how_to_create_the_first_account(ctx, run_app):
    assert "followup init --admin NAME" in FIRST_ACCOUNT
    async with run_app(ctx) as pilot:
        await settle(pilot)
        first = pilot.app.screen.query_one("#signin-first", Static)
        assert str(first.render()) == FIRST_ACCOUNT
