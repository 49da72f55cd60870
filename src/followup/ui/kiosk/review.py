"""The review after the 24th item: every answer on one screen, a key to report a new problem
first, and Enter to send. A reported problem is stored as the assessment's adverse event, which
raises a safety flag for the clinic's review."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from followup.services.context import Context
from followup.services.self_report import OwnTrend, SubmittedReport, own_trend, submit_self_report
from followup.store.models import MAX_TEXT
from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.visit import Visit
from followup.ui.kiosk.words import knee_name
from followup.ui.widgets.fields import OneLineInput

PROBLEM_EXAMPLES = "for example new swelling, redness, warmth, or a fever"


class ReviewScreen(KioskScreen):
    """Lists the answers; Enter sends them, P reports a new problem, Backspace goes back."""

    BINDINGS = [
        Binding("enter", "submit", "Send my answers", id="selfreport.submit"),
        Binding("p,P", "problem", "Report a new problem", id="selfreport.problem"),
        Binding("backspace", "back", "Change an answer", id="selfreport.back"),
    ]
    AUTO_FOCUS = "#answers"

    class Submitted(Message):
        """The assessment is stored; the patient's trend (None if unreadable) is attached."""

        def __init__(self, report: SubmittedReport, trend: OwnTrend | None) -> None:
            super().__init__()
            self.report = report
            self.trend = trend

    def __init__(self, visit: Visit) -> None:
        super().__init__()
        self.visit = visit
        self.heading = f"Please check your answers about your {knee_name(visit.knee).upper()}"
        self._sending = False

    def compose_body(self) -> ComposeResult:
        instrument = self.visit.instrument
        with VerticalScroll(id="answers"):
            subscale = None
            for item in instrument.items:
                if item.subscale != subscale:
                    subscale = item.subscale
                    yield Static(
                        instrument.subscale_prompts[subscale], classes="group", markup=False
                    )
                value = self.visit.answers.get(item.key)
                label = "" if value is None else f"{value}  {instrument.answer_labels[value]}"
                yield Static(
                    f"{item.number:>2}. {item.text:<60} {label}", classes="answer", markup=False
                )
        yield Static(id="problem", markup=False)
        yield Static(
            "Enter: send my answers    P: report a new problem first    "
            "Backspace: go back and change an answer",
            classes="hint",
        )

    def on_mount(self) -> None:
        self._show_problem()

    def _show_problem(self) -> None:
        problem = self.visit.problem
        self.query_one("#problem", Static).update(
            f"New problem you are reporting: {problem}   (P: change it)"
            if problem
            else f"Do you have a new problem with this knee ({PROBLEM_EXAMPLES})? Press P."
        )

    def action_back(self) -> None:
        if not self._sending:
            self.dismiss()

    def action_problem(self) -> None:
        if not self._sending:
            self.app.push_screen(ProblemScreen(self.visit.problem), callback=self._problem_set)

    def _problem_set(self, problem: str | None) -> None:
        self.visit = replace(self.visit, problem=problem)
        self._show_problem()

    def action_submit(self) -> None:
        if self._sending:
            return
        self._sending = True
        self.say("Sending your answers...")
        visit = self.visit
        self.in_thread(lambda ctx: self._send(ctx, visit), "Save the self-report")

    def _send(self, ctx: Context, visit: Visit) -> None:
        report = submit_self_report(ctx, visit.patient_id, visit.knee, visit.answers, visit.problem)
        try:
            trend = own_trend(ctx, visit.patient_id, visit.knee)
        except Exception:  # noqa: BLE001 - the answers are saved; only the trend is missing
            trend = None
        self.post_message(self.Submitted(report, trend))

    def on_review_screen_submitted(self, message: Submitted) -> None:
        self.kiosk.finished(message.trend, message.report.problem_reported)

    def database_failed(self, error: BaseException | None) -> None:
        """Say the answers could not be sent and let the patient try again."""
        super().database_failed(error)
        self._sending = False


class ProblemScreen(ModalScreen[str | None]):
    """Free text about a new problem; Enter keeps it, Escape leaves it as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="selfreport.problem_cancel")]
    AUTO_FOCUS = "#problem-text"

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="problem-card"):
            yield Static(
                f"Please describe the new problem with this knee ({PROBLEM_EXAMPLES}).",
                classes="lead",
            )
            yield OneLineInput(self.problem or "", id="problem-text", max_length=MAX_TEXT)
            yield Static(
                "Enter: done    Escape: cancel    (leave it empty to report nothing)",
                classes="hint",
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(self.problem)
