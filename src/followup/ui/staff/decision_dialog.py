"""The dialogs of a review decision: the note a decision needs (and, for a booster, the day it is
booked for, optional), the choice of a new decision with its reason when amending one, and the
reason for reopening one. They only collect and check the answer; the screen does the write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from followup.domain.flags.decisions import BOOSTER_SCHEDULED
from followup.domain.records import DECISIONS
from followup.domain.written_dates import written_day
from followup.services.decide import booster_day_problem
from followup.store.models import MAX_TEXT
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.fields import OneLineInput

DECISION_KEYS = {
    "booster_scheduled": "b",
    "continue_monitoring": "m",
    "refer": "f",
    "dismissed": "d",
}


@dataclass(frozen=True)
class DecisionAnswer:
    """What the clinician entered: the decision, why, and a booster's booked day if given."""

    decision: str
    note: str
    until: date | None = None


def booster_day(text: str, today: date) -> date | None:
    """The booked day typed for a booster (empty: none); ValueError names what is wrong."""
    text = text.strip()
    if not text:
        return None
    try:
        day = written_day(text)
    except ValueError:
        raise ValueError(f"booster day: {text!r} is not a day like 2026-12-24") from None
    problem = booster_day_problem(day, today)
    if problem is not None:
        raise ValueError(f"booster day: {problem}")
    return day


class DecisionDialog(ModalScreen[DecisionAnswer | None]):
    """A decision's note, and for a booster its booked day. With ``decision`` None (amending),
    the new decision is chosen first with its key (b, m, f, d) and the note is the reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="decision.cancel", tooltip="Cancel")]

    def __init__(self, about: str, today: date, decision: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.about = about
        self.today = today
        self.decision = decision
        self.amending = decision is None

    def compose(self) -> ComposeResult:
        # Scrolls when taller than the screen (amending to a booster at 80x24); a problem is
        # scrolled into sight when shown (``_say``).
        with VerticalScroll(classes="dialog decision-dialog"):
            title = (
                "Amend the decision"
                if self.amending
                else f"Decision: {fmt.DECISION_LABELS[self.decision or '']}"
            )
            yield Label(title, classes="dialog-title", markup=False)
            yield Static(self.about, markup=False)
            if self.amending:
                yield OptionList(
                    *(
                        Option(f"{DECISION_KEYS[d]}  {fmt.DECISION_LABELS[d]}", id=d)
                        for d in DECISIONS
                    ),
                    id="decision-choice",
                )
            note = "reason for the change (required)" if self.amending else "note (required)"
            yield OneLineInput(placeholder=note, max_length=MAX_TEXT, id="decision-note")
            yield OneLineInput(
                placeholder="booster booked for (YYYY-MM-DD, optional)",
                max_length=10,
                id="decision-until",
                classes="-hidden" if self.decision != BOOSTER_SCHEDULED else "",
            )
            yield Static("", id="decision-problem", classes="problem", markup=False)
            yield Static("Enter: save · Escape: cancel", classes="hint")

    def on_mount(self) -> None:
        if self.amending:
            self.query_one(OptionList).focus()
        else:
            self.query_one("#decision-note", Input).focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        """In the choice list, a decision's letter picks it."""
        if not self.amending or not isinstance(self.focused, OptionList):
            return
        for decision, key in DECISION_KEYS.items():
            if event.key == key:
                event.stop()
                self._choose(decision)

    @on(OptionList.OptionSelected, "#decision-choice")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(str(event.option.id))

    def _choose(self, decision: str) -> None:
        self.decision = decision
        choice = self.query_one(OptionList)
        choice.highlighted = DECISIONS.index(decision)
        until = self.query_one("#decision-until", Input)
        until.set_class(decision != BOOSTER_SCHEDULED, "-hidden")
        self.query_one("#decision-note", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.decision is None:
            self._say("Choose the new decision first (b, m, f or d).")
            self.query_one(OptionList).focus()
            return
        note = self.query_one("#decision-note", Input).value.strip()
        if not note:
            self._say("note: say why; it is kept with the decision.")
            self.query_one("#decision-note", Input).focus()
            return
        until = None
        if self.decision == BOOSTER_SCHEDULED:
            field = self.query_one("#decision-until", Input)
            if event.input is self.query_one("#decision-note", Input) and not field.value:
                field.focus()  # one more Enter saves without a day
                self._say("The booked day is optional: Enter again to save without one.")
                return
            try:
                until = booster_day(field.value, self.today)
            except ValueError as error:
                self._say(str(error))
                field.focus()
                return
        self.dismiss(DecisionAnswer(self.decision, note, until))

    def _say(self, message: str) -> None:
        """Show what is wrong, scrolled into sight with the field above it."""
        problem = self.query_one("#decision-problem", Static)
        problem.update(message)
        self.call_after_refresh(problem.scroll_visible, animate=False)

    def action_cancel(self) -> None:
        self.dismiss(None)
