"""The base of every self-report screen: a title bar, a line for messages to the patient, and
database work in thread workers whose failures become a friendly message on that line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from followup.services.context import Context
from followup.ui.kiosk.words import problem_message

if TYPE_CHECKING:
    from followup.ui.kiosk.app import SelfReportApp

DATABASE = "database"


class MessageLine(Static):
    """The line for messages to the patient, scrolled into sight whenever it grows: on a
    small screen (80x24) it is below the card, and a patient does not scroll to look."""

    def on_resize(self) -> None:
        if self.size.height and str(self.render()):
            self.scroll_visible(animate=False)


class KioskScreen(Screen[None]):
    """A full screen of the kiosk. Subclasses yield their body from ``compose_body``."""

    heading = "Knee questionnaire"

    @property
    def kiosk(self) -> SelfReportApp:
        """The self-report app this screen runs in."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="title", markup=False)
        with Vertical(id="body"):
            yield from self.compose_body()
            yield MessageLine(id="message", markup=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def say(self, text: str) -> None:
        """Show a message to the patient (or clear it with an empty string), scrolled into
        sight (``MessageLine``)."""
        message = self.query_one("#message", Static)
        message.update(text)
        if text:
            self.call_after_refresh(message.scroll_visible, animate=False)

    def in_thread(self, work: Callable[[Context], Any], description: str) -> Worker[Any]:
        """Run ``work(ctx)`` in a thread worker; it posts its own result messages. Only one
        runs at a time per screen, and it dies with the screen (a reset drops late results)."""
        kiosk = self.kiosk  # read on the UI thread; workers must not touch the DOM

        def run() -> Any:
            return work(kiosk.context())

        return self.run_worker(
            run,
            thread=True,
            exclusive=True,
            group=DATABASE,
            exit_on_error=False,
            description=description,
        )

    @property
    def busy(self) -> bool:
        """A database action of this screen is under way (signing in, sending answers)."""
        return any(
            w.node is self and w.group == DATABASE and not w.is_finished for w in self.app.workers
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == DATABASE and event.state == WorkerState.ERROR:
            self.database_failed(event.worker.error)

    def database_failed(self, error: BaseException | None) -> None:
        """Tell the patient; subclasses also re-enable their keys so they can try again."""
        self.say(problem_message(error))
