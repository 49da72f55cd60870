"""The thank-you screen: the patient's own trend in plain words, then back to the first screen
for the next patient (on Enter, or by itself after a short while)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from followup.services.self_report import OwnTrend
from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.words import knee_name, trend_paragraphs

PROBLEM_NOTED = (
    "You told us about a new problem with your knee. The clinic team will look at it. "
    "If it gets worse, or you feel unwell or feverish, please call the clinic."
)


class ThankYouScreen(KioskScreen):
    """Shows that the answers are saved and how the knee has done since treatment."""

    BINDINGS = [Binding("enter", "finish", "Finish", id="selfreport.finish")]

    def __init__(self, trend: OwnTrend | None, problem_reported: bool, close_after: float = 30):
        super().__init__()
        self.trend = trend
        self.problem_reported = problem_reported
        self.close_after = close_after

    def compose_body(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static("Thank you. Your answers have been saved.", classes="lead")
            if self.trend is not None:
                yield Static(f"Your {knee_name(self.trend.knee)}:", classes="group")
            for paragraph in trend_paragraphs(self.trend):
                yield Static(paragraph, classes="trend", markup=False)
            if self.problem_reported:
                yield Static(PROBLEM_NOTED, classes="trend")
            yield Static(
                "Press Enter when you have finished reading. "
                f"This screen closes by itself after {round(self.close_after)} seconds.",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.set_timer(self.close_after, self.action_finish, name="thank-you")

    def action_finish(self) -> None:
        if self.is_current:
            self.kiosk.start_over()
