"""The questionnaire itself, one item at a time, in large high-contrast text.

Self-reports do not offer "declined to answer": the patient is alone with the form, so a
skipped item cannot be told apart from a slip of the finger, and a subscale with too many
missing items has no score at all. Every item must be answered; staff entry keeps the option."""

from __future__ import annotations

from dataclasses import replace

from textual import events
from textual.app import ComposeResult

from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.review import ReviewScreen
from followup.ui.kiosk.visit import Visit
from followup.ui.kiosk.words import knee_name
from followup.ui.widgets.questionnaire import Questionnaire


class QuestionsScreen(KioskScreen):
    """Hosts the Questionnaire for one knee and moves on to the review when it is complete."""

    AUTO_FOCUS = "Questionnaire"

    def __init__(self, visit: Visit) -> None:
        super().__init__()
        self.visit = visit
        self.heading = f"Knee questionnaire: your {knee_name(visit.knee).upper()}"

    def compose_body(self) -> ComposeResult:
        yield Questionnaire(
            self.visit.instrument,
            allow_decline=False,
            large=True,
            answers=self.visit.answers,
            id="questionnaire",
        )

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Questionnaire).fit_height(event.size.height)

    def on_questionnaire_completed(self, message: Questionnaire.Completed) -> None:
        review = ReviewScreen(replace(self.visit, answers=message.answers))
        self.app.push_screen(review, callback=self._review_closed)

    def _review_closed(self, result: None) -> None:
        # The patient went back from the review to change an answer: show the last item.
        questionnaire = self.query_one(Questionnaire)
        questionnaire.go_back()
        questionnaire.focus()
