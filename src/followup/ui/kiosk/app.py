"""The self-report app: a restricted Textual app a patient cannot leave.

No command palette, no quit key (Ctrl+Q and Ctrl+C are bound to nothing; staff stop the kiosk
from outside with a signal), and an idle timeout that puts the first screen back, dropping any
unsaved answers. Screens are created fresh for every patient and handed only that patient's
visit, so nothing of one patient is left for the next. The app keeps just the database context.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from followup.domain.instrument import Instrument
from followup.services.context import Context, open_context
from followup.services.self_report import KneeInFollowUp, OwnTrend
from followup.settings import Settings
from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.knee import KneeChoiceScreen
from followup.ui.kiosk.questions import QuestionsScreen
from followup.ui.kiosk.sign_in import SignInScreen
from followup.ui.kiosk.thanks import ThankYouScreen
from followup.ui.kiosk.visit import Visit
from followup.ui.widgets.write_wait import WriteWaitNotice

THANK_YOU_SECONDS = 30
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Activity that keeps a visit alive; a mouse merely moving over the screen does not.
ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class SelfReportApp(WriteWaitNotice, App[None]):
    """Patient self-report for one patient at a time, over and over."""

    TITLE = "Knee questionnaire"
    CSS_PATH = "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    # Override the App's own bindings for these keys: they would quit, or offer how to quit.
    BINDINGS = [
        Binding("ctrl+q", "ignore", show=False, priority=True, id="selfreport.no_quit"),
        Binding(
            "ctrl+c", "ignore", show=False, priority=True, system=True, id="selfreport.no_interrupt"
        ),
    ]

    def __init__(self, settings: Settings, *, stop_on_signal: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.stop_on_signal = stop_on_signal
        self._ctx: Context | None = None
        self._ctx_lock = threading.Lock()
        self.last_activity = time.monotonic()
        self.refusals = 0

    # -- database ------------------------------------------------------------------------

    def context(self) -> Context:
        """The process's one database context, opened on first use (called from workers)."""
        with self._ctx_lock:
            if self._ctx is None:
                self._ctx = open_context(self.settings)
            return self._ctx

    async def on_unmount(self) -> None:
        self.stop_listening_for_write_waits()
        if self._ctx is not None:
            self._ctx.close()

    # -- the flow of a visit -------------------------------------------------------------

    WRITE_WAIT_MESSAGE = "The system is busy for a moment. Your answers are kept; please wait."

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        self.listen_for_write_waits()
        # Timer.reset() only restarts at the end of the current interval, so check often.
        self.set_interval(min(1.0, self.idle_seconds / 4), self._check_idle, name="idle")
        if self.stop_on_signal:
            loop = asyncio.get_running_loop()
            for stop in STOP_SIGNALS:
                loop.add_signal_handler(stop, self.exit)

    def show(self, screen: Screen) -> None:
        """Replace whatever the patient sees (review, dialogs included) with ``screen``."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(screen)

    def start_over(self) -> None:
        """The first screen again, fresh, for the next patient."""
        self.show(SignInScreen())

    def signed_in(
        self, patient_id: str, knees: tuple[KneeInFollowUp, ...], instrument: Instrument
    ) -> None:
        """After sign-in: pick the knee when both are in follow-up, else straight to it."""
        if len(knees) == 1:
            knee = knees[0]
            self.begin(Visit(patient_id, knee.knee, knee.treated_on, instrument))
        else:
            self.show(KneeChoiceScreen(patient_id, knees, instrument))

    def begin(self, visit: Visit) -> None:
        """Start the questions for the knee the patient chose."""
        self.show(QuestionsScreen(visit))

    def finished(self, trend: OwnTrend | None, problem_reported: bool) -> None:
        """Thank the patient, with their own trend when there is one, until the visit closes."""
        close_after = min(THANK_YOU_SECONDS, self.idle_seconds)
        self.show(ThankYouScreen(trend, problem_reported, close_after=close_after))

    def sign_in_refused(self) -> None:
        """Count a wrong sign-in; in a browser visit (``followup serve`` sets a limit) the
        visit ends after the allowed number, so one visit cannot go on guessing codes."""
        self.refusals += 1
        limit = self.settings.selfreport_refusals_per_visit
        if limit > 0 and self.refusals >= limit:
            self.exit()

    # -- locking the patient in ----------------------------------------------------------

    def action_ignore(self) -> None:
        """Bound to the keys that would otherwise leave the app."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY) and not event.is_forwarded:
            self.last_activity = time.monotonic()
        await super().on_event(event)

    @property
    def idle_seconds(self) -> float:
        """How long the kiosk waits without a key press before ending the visit."""
        return max(1, self.settings.selfreport_idle_seconds)

    def _check_idle(self) -> None:
        screen = self.screen
        if time.monotonic() - self.last_activity < self.idle_seconds:
            return
        if isinstance(screen, KioskScreen) and screen.busy:
            return  # a sign-in or a save is under way: a slow database must not lose it
        self.last_activity = time.monotonic()
        self.idle_expired()

    def idle_expired(self) -> None:
        """Nobody has touched the kiosk for a while: put the first screen back."""
        screen = self.screen
        if not (isinstance(screen, SignInScreen) and screen.is_pristine):
            self.start_over()

    def _fatal_error(self) -> None:
        # Textual's crash report prints local variables: on a kiosk that would show one
        # patient's answers to the next. Keep the traceback for staff, without the locals.
        from rich.traceback import Traceback

        self._exit_renderables.append(Traceback(show_locals=False, width=None))
        self._close_messages_no_wait()


def run(settings: Settings) -> int:
    """Run the kiosk until staff stop it with a signal. In a terminal, an unexpected crash
    starts a fresh app rather than dropping the patient at a shell prompt."""
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)  # Ctrl+C must stay an ordinary key
    on_terminal = sys.stdout.isatty() and "TEXTUAL_DRIVER" not in os.environ
    while True:
        app = SelfReportApp(settings, stop_on_signal=True)
        app.run()
        if app.return_code in (0, None) or not on_terminal:
            return app.return_code or 0
        time.sleep(2)  # a crash loop (say, a broken database) must not spin
