"""The staff terminal UI: sign-in, the coordinator's worklist, patients, phone entry, the
clinicians' review queue and outcomes, and the admins' staff administration.

The App is given its Context (engine + clock) so tests run it on a temporary database at a frozen
date. It owns the session state (who is signed in, whether the screen is locked), the one place
where failures become dialogs, and navigation between the two sections (worklist, review queue),
which are kept alive while someone is signed in so a 100,000-patient worklist is computed once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

from rich.text import Text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from followup.errors import FollowupError
from followup.services.context import Context, open_context
from followup.services.staff import StaffMember
from followup.settings import Settings
from followup.store.schema import SchemaError
from followup.ui.staff.commands import PatientSearchCommands, ScreenCommands
from followup.ui.staff.messages import (
    DialogRequested,
    ListOutOfDate,
    PatientRequested,
    RecordsChanged,
    SessionUnlocked,
    StaffSignedIn,
    WorkFailed,
)
from followup.ui.staff.navigation import SectionNavigation
from followup.ui.staff.signin import LockScreen, SignInScreen
from followup.ui.staff.urgent_flags import URGENT_FLAG_BINDING, UrgentFlagWatch
from followup.ui.widgets.dialogs import ErrorDialog
from followup.ui.widgets.write_wait import WriteWaitNotice

CRASH_MESSAGE = (
    "followup stopped because of an internal error. Nothing more is shown, to protect patient "
    "data. Anything confirmed as saved is in the database."
)
THEMES = ("textual-dark", "textual-light")
# Actions that need someone signed in and the screen unlocked.
SIGNED_IN_ACTIONS = {
    "worklist",
    "review_queue",
    "outcomes",
    "staff_admin",
    "find_patient",
    "lock",
    "help",
    "toggle_theme",
    "command_palette",
    "urgent_flag",
}
# Actions that leave the current screen: not while a dialog or an unsaved entry is open.
NAVIGATION_ACTIONS = {
    "worklist", "review_queue", "outcomes", "staff_admin", "find_patient", "urgent_flag",
}  # fmt: skip
# Sections only clinicians (and admins) may open.
REVIEW_ACTIONS = {"review_queue", "outcomes"}


# The sections a member can open after signing in (their screens are built then).
SECTION_MODULES = (
    "followup.ui.staff.worklist",
    "followup.ui.staff.patient",
    "followup.ui.staff.review_queue",
    "followup.ui.staff.outcomes",
    "followup.ui.staff.admin",
)


def import_sections() -> None:
    """Import the sections' screens (about 0.2 s of imports: charts, tables, forms)."""
    for name in SECTION_MODULES:
        import_module(name)


class FollowupApp(SectionNavigation, UrgentFlagWatch, WriteWaitNotice, App[int]):
    """The staff UI. ``idle_clock`` (seconds, monotonic) is replaceable so tests can lock the
    session without waiting."""

    CSS_PATH = "staff.tcss"
    TITLE = "followup"
    COMMANDS = App.COMMANDS | {ScreenCommands, PatientSearchCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys and how to use this screen"),
        Binding("f2", "worklist", "Worklist", id="app.worklist", tooltip="Calls due and overdue"),
        Binding(
            "f3",
            "review_queue",
            "Review",
            id="app.review_queue",
            tooltip="Open flags awaiting a clinician's decision",
        ),
        Binding(
            "f4",
            "staff_admin",
            "Staff",
            id="app.staff_admin",
            tooltip="Staff accounts and sites (admins)",
        ),
        Binding(
            "f5",
            "outcomes",
            "Outcomes",
            id="app.outcomes",
            tooltip="Responder rates and how long relief lasts, per group (clinicians)",
        ),
        Binding(
            "ctrl+f",
            "find_patient",
            "Find patient",
            id="app.find_patient",
            tooltip="Find a patient by ID or name",
        ),
        URGENT_FLAG_BINDING,
        Binding("ctrl+l", "lock", "Lock", id="app.lock", tooltip="Lock the screen now (password)"),
        Binding(
            "ctrl+t",
            "toggle_theme",
            "Light/dark",
            id="app.toggle_theme",
            tooltip="Switch between the light and the dark theme",
            show=False,
        ),
        Binding(
            "ctrl+o",
            "sign_out",
            "Sign out",
            id="app.sign_out",
            tooltip="Sign out (asks first over an entry not saved)",
            show=False,
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Quit followup",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        ctx: Context,
        *,
        idle_clock: Callable[[], float] = time.monotonic,
        idle_check_seconds: float = 10.0,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.staff: StaffMember | None = None
        self.locked = False
        self._idle_clock = idle_clock
        self._idle_check_seconds = idle_check_seconds
        self._last_activity = idle_clock()
        self._deferred: list[tuple[Screen[Any], Callable[[Any], Any] | None]] = []
        self.theme = THEMES[0]

    # -- life cycle ------------------------------------------------------------------------

    WRITE_WAIT_MESSAGE = (
        "Another save or an import is writing to the database. Yours is kept and goes ahead as "
        "soon as it is free; please leave this screen open."
    )

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        self.set_interval(self._idle_check_seconds, self.check_idle_lock)
        self.listen_for_write_waits()
        # Once the sign-in screen shows, while a name and a password are typed: otherwise
        # the first section would wait for these imports after Enter.
        self.call_after_refresh(import_sections)

    def on_unmount(self) -> None:
        self.stop_listening_for_write_waits()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)) and not event.is_forwarded:
            self._last_activity = self._idle_clock()
        await super().on_event(event)

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print a traceback with local variables: patient data. Keep the exit
        # code (1) and the test harness's record of the error, print only a plain sentence.
        super()._handle_exception(error)
        self._exit_renderables[:] = [Text(CRASH_MESSAGE)]

    # -- session ---------------------------------------------------------------------------

    @property
    def idle_seconds(self) -> float:
        """Seconds since the last key press or click."""
        return self._idle_clock() - self._last_activity

    def check_idle_lock(self) -> None:
        """Lock when nothing was pressed for the configured idle time."""
        limit = self.ctx.settings.idle_lock_minutes * 60
        if self.staff is not None and not self.locked and limit > 0 and self.idle_seconds >= limit:
            self.lock()

    def signed_in(self, staff: StaffMember) -> None:
        """Called by the sign-in screen: open the role's home section."""
        from followup.ui.staff.outcomes import OutcomesScreen
        from followup.ui.staff.patient import PatientScreen
        from followup.ui.staff.review_queue import ReviewQueueScreen
        from followup.ui.staff.worklist import WorklistScreen

        self.staff = staff
        self.locked = False
        self._last_activity = self._idle_clock()
        self.sub_title = f"{staff.username} · {staff.role}"
        self.install_screen(WorklistScreen(), "worklist")
        self.install_screen(PatientScreen(), "patient")
        if staff.can_review:
            self.install_screen(ReviewQueueScreen(), "review")
            self.install_screen(OutcomesScreen(), "outcomes")
        if staff.role == "admin":
            from followup.ui.staff.admin import AdminScreen

            # Admins start on the worklist too: administration is occasional, F4 away.
            self.install_screen(AdminScreen(), "admin")
        self.switch_screen("review" if staff.role == "clinician" else "worklist")
        self.start_urgent_watch()

    def lock(self) -> None:
        """Lock the screen: nothing shows until the member's password is typed again."""
        if self.staff is None or self.locked:
            return
        self.locked = True
        self.pause_urgent_watch()
        self.push_screen(LockScreen(self.staff))

    def unlocked(self) -> None:
        """Called by the lock screen after the right password."""
        self.locked = False
        self._last_activity = self._idle_clock()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        self.resume_urgent_watch()
        deferred, self._deferred = self._deferred, []
        for screen, callback in deferred:
            self.push_screen(screen, callback)

    async def sign_out(self) -> None:
        """Back to the sign-in screen; the signed-in user's screens (and the patient data they
        hold) are removed, not just hidden. (Ctrl+O asks first over an unsaved entry:
        ``SectionNavigation.action_sign_out``.)"""
        self._deferred.clear()
        self.stop_urgent_watch()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.staff = None
        self.locked = False
        self.sub_title = ""
        for name in ("worklist", "review", "outcomes", "patient", "admin"):
            if self.is_screen_installed(name):
                screen = self.get_screen(name)
                self.uninstall_screen(name)
                if screen.is_attached:
                    await screen.remove()
        await self.push_screen(SignInScreen())

    # -- what screens ask (messages.py) ------------------------------------------------------

    def on_staff_signed_in(self, message: StaffSignedIn) -> None:
        self.signed_in(message.staff)

    def on_session_unlocked(self, message: SessionUnlocked) -> None:
        self.unlocked()

    def on_patient_requested(self, message: PatientRequested) -> None:
        self.open_patient(message.patient_id)

    def on_dialog_requested(self, message: DialogRequested) -> None:
        self.show_dialog(message.dialog, message.callback)

    def on_work_failed(self, message: WorkFailed) -> None:
        self.report_error(message.error, message.what)

    def on_records_changed(self, message: RecordsChanged) -> None:
        """Every open list reads its page again (the one on screen at once, the others when
        they are shown next)."""
        for name in ("worklist", "review", "outcomes"):
            if self.is_screen_installed(name):
                self.get_screen(name).post_message(ListOutOfDate())

    # -- dialogs and errors ----------------------------------------------------------------

    def show_dialog(
        self, screen: Screen[Any], callback: Callable[[Any], Any] | None = None
    ) -> None:
        """Push a dialog, or keep it until the lock screen is gone."""
        if self.locked:
            self._deferred.append((screen, callback))
        else:
            self.push_screen(screen, callback)

    def report_error(self, error: BaseException, what: str = "") -> None:
        """The one place where failures become dialogs. A FollowupError's message is meant for
        the user; anything else is reported without details (they may hold patient data)."""
        if isinstance(error, FollowupError):
            self.show_dialog(ErrorDialog(str(error), title="Not done"))
            return
        if isinstance(error, OperationalError) and "locked" in str(error.orig).lower():
            message = "The database is busy (another user is saving). Please try again."
        else:
            doing = f" while {what[:1].lower()}{what[1:]}" if what else ""
            message = (
                f"An internal error ({type(error).__name__}) happened{doing}. "
                "Nothing more is shown, to protect patient data."
            )
        self.show_dialog(ErrorDialog(message))

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Which app keys work now: signed in, unlocked, role allows, nothing unsaved open."""
        if action in SIGNED_IN_ACTIONS or action == "sign_out":
            if self.staff is None:
                return False
            if self.locked and action != "sign_out":
                return False
        if action in REVIEW_ACTIONS and (self.staff is None or not self.staff.can_review):
            return False
        if action == "staff_admin" and (self.staff is None or self.staff.role != "admin"):
            return False
        if action == "urgent_flag" and not self.urgent_flag_waiting:
            return False
        if action in NAVIGATION_ACTIONS and self._navigation_blocked():
            return None  # shown, but greyed out
        return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands minus Screenshot (patient data in a file) and Quit."""
        # Textual's own, minus Screenshot (it would write patient data to a file) and Quit
        # (ours is listed with its key).
        for command in super().get_system_commands(screen):
            if command.title not in ("Screenshot", "Quit"):
                yield command

    def action_command_palette(self) -> None:
        if self.staff is not None and not self.locked:
            super().action_command_palette()

    def action_lock(self) -> None:
        self.lock()

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]


def run(settings: Settings) -> int:
    """Open the database, run the UI, return the exit code (non-zero after a crash). Nothing that
    could hold patient data is printed: no traceback, no locals, no SQL parameters."""
    try:
        ctx = open_context(settings)
    except (FollowupError, SchemaError) as exc:
        print(f"followup: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"followup: cannot open the database ({type(exc).__name__})", file=sys.stderr)
        return 1
    try:
        app = FollowupApp(ctx)
        app.run()
        return app.return_code or 0
    except Exception as exc:  # noqa: BLE001 - never show a traceback (it may hold patient data)
        print(f"followup: internal error ({type(exc).__name__}). {CRASH_MESSAGE}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
