"""Sign-in and the idle lock. Passwords are checked in a thread worker (the hash is slow on
purpose); wrong ones are counted and rate-limited by ``services.staff``, which also words the
refusal, so this screen never says whether a user name exists. Enter on an empty field asks for
it without asking the service (pressing Enter too soon is not a wrong password); on a database
without any staff account, the screen says how to create the first one."""

from __future__ import annotations

from typing import cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.staff import StaffMember, has_staff, sign_in
from followup.ui.staff.base import WorkerErrors
from followup.ui.staff.messages import SessionUnlocked, StaffSignedIn
from followup.ui.widgets.fields import MovesOnInput
from followup.ui.widgets.keybar import KeyBar


class SignedIn(Message):
    """The password was right."""

    def __init__(self, staff: StaffMember) -> None:
        super().__init__()
        self.staff = staff


class PasswordRefused(Message):
    """The service refused; ``reason`` is its message, safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class NoStaffYet(Message):
    """The database has no staff account: nobody can sign in yet."""


FIRST_ACCOUNT = (
    "No staff account exists yet. Create the first admin on the command line, on the same "
    "database:\n  followup init --admin NAME"
)


class PasswordCheck(WorkerErrors):
    """Shared by sign-in and unlock: check a password in a worker, report the outcome."""

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="sign-in",
        description="Checking the password",
    )
    def check_password(self, ctx: Context, username: str, password: str) -> None:
        """Check the password in a worker and post whether the member is signed in or refused."""
        try:
            staff = sign_in(ctx, username, password)
        except FollowupError as exc:
            self.post_message(PasswordRefused(str(exc)))
            return
        self.post_message(SignedIn(staff))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # WorkerErrors (also called: Textual dispatches to every class in the MRO) shows the
        # error; here the password field is given back.
        if event.state == WorkerState.ERROR and event.worker.group == "sign-in":
            self._give_back_password("Sign-in failed.")

    def on_password_refused(self, message: PasswordRefused) -> None:
        self._give_back_password(message.reason)

    def _give_back_password(self, problem: str) -> None:
        screen = cast(Screen[None], self)
        screen.query_one("#signin-problem", Static).update(problem)
        password = screen.query_one("#password", Input)
        password.disabled = False
        password.value = ""
        password.focus()


class SignInScreen(PasswordCheck, Screen[None]):
    """User name, Enter, password, Enter."""

    BINDINGS = [
        Binding("escape", "clear", "Clear", id="signin.clear", tooltip="Clear both fields"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="signin-box", classes="signin-box"):
            yield Label("followup", classes="signin-title")
            yield Static("Knee treatment follow-up · staff sign-in", classes="hint")
            yield MovesOnInput(
                placeholder="user name", id="username", next_field="#password", max_length=80
            )
            yield Input(placeholder="password", password=True, id="password", max_length=200)
            yield Static("", id="signin-problem", classes="problem")
            yield Static("", id="signin-first", classes="warning")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()
        self._look_for_staff(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sign-in-staff",
          description="Looking for staff accounts")  # fmt: skip
    def _look_for_staff(self, ctx: Context) -> None:
        if not has_staff(ctx):
            self.post_message(NoStaffYet())

    def on_no_staff_yet(self, message: NoStaffYet) -> None:
        self.query_one("#signin-first", Static).update(FIRST_ACCOUNT)

    @on(Input.Submitted, "#username")
    def _no_username(self, event: Input.Submitted) -> None:
        event.stop()  # Enter moves on by itself once a name is typed
        self.query_one("#signin-problem", Static).update("Type your user name.")

    @on(Input.Changed, "#username")
    def _name_typed(self, event: Input.Changed) -> None:
        # Asking for a name, or refusing one, no longer holds once it is being typed.
        event.stop()
        self.query_one("#signin-problem", Static).update("")

    @on(Input.Submitted, "#password")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.query_one("#signin-problem", Static)
        username = self.query_one("#username", Input).value.strip()
        if not username:
            problem.update("Type your user name.")
            self.query_one("#username", Input).focus()
            return
        if not event.value:
            problem.update("Type the password.")  # not a wrong password: nothing is counted
            return
        problem.update("Checking…")
        self.query_one("#password", Input).disabled = True
        self.check_password(self.ctx, username, event.value)

    def on_signed_in(self, message: SignedIn) -> None:
        self.app.post_message(StaffSignedIn(message.staff))

    def action_clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
            field.disabled = False
        self.query_one("#signin-problem", Static).update("")
        self.query_one("#username", Input).focus()


class LockScreen(PasswordCheck, Screen[None]):
    """Covers everything after the idle time; only the same user's password removes it.
    Whatever was on screen underneath (a half-entered form) is kept as it was."""

    BINDINGS = [
        Binding(
            "ctrl+o",
            "app.sign_out",
            "Sign out",
            id="lock.sign_out",
            tooltip="Sign out instead (anything not saved is lost)",
        ),
    ]

    def __init__(self, staff: StaffMember) -> None:
        super().__init__(id="lock-screen")
        self.locked_staff = staff

    def compose(self) -> ComposeResult:
        with Center(), Vertical(classes="signin-box"):
            yield Label("Locked", classes="signin-title")
            yield Static(
                f"Signed in as {self.locked_staff.username}. "
                "Enter the password to continue, or Ctrl+O to sign out.",
                markup=False,
            )
            yield Input(placeholder="password", password=True, id="password", max_length=200)
            yield Static("", id="signin-problem", classes="problem")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#signin-problem", Static).update("Type the password.")
            return
        self.query_one("#password", Input).disabled = True
        self.check_password(self.ctx, self.locked_staff.username, event.value)

    def on_signed_in(self, message: SignedIn) -> None:
        self.app.post_message(SessionUnlocked())
