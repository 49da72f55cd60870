"""The WOMAC-style questionnaire as one focusable widget, one item at a time.

Shared by the staff UI (fast entry over the phone) and the patient self-report kiosk: a single
digit answers an item and moves on, so a trained coordinator enters a form in 24 keystrokes and a
patient never has to find a field. All wording (recall period, lead-ins, items, answer labels)
comes from the ``Instrument``, so a licensed site's own text shows without code changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Label, Static

from followup.domain.instrument import ANSWER_MAX, ANSWER_MIN, ITEM_KEYS, Instrument

Answers = dict[str, int | None]
"""Answers by item key: 0-4, or None for "declined to answer"."""

ANSWER_KEYS = Binding.Group("Answer", compact=True)


def _answer_binding(value: int) -> Binding:
    return Binding(
        str(value),
        f"answer({value})",
        f"answer {value}",
        show=False,
        group=ANSWER_KEYS,
        id=f"questionnaire.answer_{value}",
        tooltip=f"Answer {value} and go to the next question",
    )


class AnswerChoice(Horizontal):
    """One of the five answers: its digit and label. Clicking it answers too (kiosk, browser)."""

    def __init__(self, value: int, label: str, *, large: bool) -> None:
        super().__init__(classes="answer-choice")
        self.value = value
        self.label = label
        self.large = large

    def compose(self) -> ComposeResult:
        if self.large:  # both: the digit drawn large, and on one row for a short screen
            yield Digits(str(self.value), classes="answer-digit answer-big")
            yield Label(str(self.value), classes="answer-digit answer-small")
        else:
            yield Label(str(self.value), classes="answer-digit")
        yield Label(self.label, classes="answer-label", markup=False)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        questionnaire = self.query_ancestor(Questionnaire)
        questionnaire.focus()
        questionnaire.answer(self.value)


class Questionnaire(Widget, can_focus=True):
    """Asks the instrument's 24 items one at a time.

    Digits 0-4 answer and move to the next item; Backspace or Up goes back one item (its earlier
    answer highlighted); ``d`` records "declined to answer" (None) when ``allow_decline``. Posts
    ``Answered`` after every answer and ``Completed`` after the 24th item. Given ``answers``, it
    starts at the first unanswered item (or the first item when all are answered).
    """

    BINDINGS = [
        *(_answer_binding(v) for v in range(ANSWER_MIN, ANSWER_MAX + 1)),
        Binding(
            "backspace,up",
            "previous",
            "Back",
            key_display="⌫",
            id="questionnaire.previous",
            tooltip="Go back one question (its answer can be changed)",
        ),
        Binding(
            "d,D",
            "decline",
            "Declined",
            id="questionnaire.decline",
            tooltip="Record that the patient declined to answer this question",
        ),
    ]

    DEFAULT_CSS = """
    Questionnaire {
        height: auto;
        padding: 0 1;
        border: round $primary 50%;
    }
    Questionnaire:focus { border: round $primary; }
    Questionnaire #q-counter { text-style: bold; color: $text-primary; }
    Questionnaire #q-recall { color: $text-muted; }
    Questionnaire #q-prompt { text-style: bold; margin: 1 0; }
    Questionnaire #q-choices { height: auto; }
    Questionnaire .answer-choice { height: 1; width: 1fr; }
    Questionnaire .answer-digit { width: 4; text-style: bold; }
    Questionnaire .answer-choice.-chosen { background: $accent; color: $text; }
    Questionnaire #q-status { color: $text-warning; height: auto; }
    Questionnaire #q-progress { margin-top: 1; color: $text-muted; }
    Questionnaire #q-hint { color: $text-muted; }

    /* Large: for older patients at the kiosk. A terminal cannot enlarge the font, so the
       digits are drawn three rows high, rows are spaced out, and colours are fixed at the
       highest contrast rather than taken from the theme. */
    Questionnaire.-large { background: black; color: white; border: heavy white; padding: 0 2; }
    Questionnaire.-large:focus { border: heavy yellow; }
    Questionnaire.-large #q-counter { color: yellow; }
    Questionnaire.-large #q-recall { color: white; }
    Questionnaire.-large #q-prompt { color: white; }
    Questionnaire.-large .answer-choice { height: 3; }
    Questionnaire.-large .answer-digit { width: 6; color: white; }
    Questionnaire.-large .answer-label { content-align: left middle; height: 3; padding-left: 2; }
    Questionnaire.-large .answer-choice.-chosen { background: yellow; color: black; }
    Questionnaire.-large .answer-choice.-chosen .answer-digit { color: black; }
    Questionnaire.-large #q-status { color: yellow; }
    Questionnaire.-large #q-progress { color: white; }
    Questionnaire.-large #q-hint { color: white; text-style: bold; }
    Questionnaire .answer-small { display: none; }

    /* Large on a short screen (``fit_height``): the answers take one row each, so every
       answer, the progress and the hint stay in sight; the contrast stays. */
    Questionnaire.-large.-short .answer-choice { height: 1; }
    Questionnaire.-large.-short .answer-label { height: 1; }
    Questionnaire.-large.-short .answer-big { display: none; }
    Questionnaire.-large.-short .answer-small { display: block; }
    """

    # The screen rows below which large answers (three rows each) do not all fit, with the
    # progress and the hint under them, on the kiosk's question screen (a three-line question).
    LARGE_ANSWER_ROWS = 32

    class Answered(Message):
        """An item was answered (None = declined); ``index`` is its 0-based position."""

        def __init__(
            self, index: int, answers: Answers, *, questionnaire: Questionnaire | None = None
        ) -> None:
            super().__init__()
            self.index = index
            self.answers = answers
            self.questionnaire = questionnaire

        @property
        def key(self) -> str:
            """The item key, e.g. ``p3``."""
            return ITEM_KEYS[self.index]

        @property
        def control(self) -> Questionnaire | None:
            return self.questionnaire

    class Completed(Message):
        """The 24th item was answered; ``answers`` holds all 24 keys."""

        def __init__(self, answers: Answers, *, questionnaire: Questionnaire | None = None):
            super().__init__()
            self.answers = answers
            self.questionnaire = questionnaire

        @property
        def control(self) -> Questionnaire | None:
            return self.questionnaire

    index: reactive[int] = reactive(0, init=False)
    """The item shown (0-based); ``len(items)`` once every item is answered."""

    def __init__(
        self,
        instrument: Instrument,
        *,
        allow_decline: bool,
        large: bool = False,
        answers: Mapping[str, int | None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="-large" if large else "")
        self.instrument = instrument
        self.allow_decline = allow_decline
        self.large = large
        self._answers: Answers = {k: v for k, v in (answers or {}).items() if k in ITEM_KEYS}
        unanswered = [i for i, k in enumerate(ITEM_KEYS) if k not in self._answers]
        self.set_reactive(Questionnaire.index, unanswered[0] if unanswered else 0)

    def fit_height(self, screen_rows: int) -> None:
        """Large answers on one row each when the screen is shorter than LARGE_ANSWER_ROWS."""
        self.set_class(self.large and screen_rows < self.LARGE_ANSWER_ROWS, "-short")

    @property
    def answers(self) -> Answers:
        """A copy of the answers so far, by item key."""
        return dict(self._answers)

    @property
    def item_count(self) -> int:
        """How many items the questionnaire asks."""
        return len(self.instrument.items)

    @property
    def is_complete(self) -> bool:
        """Whether every item has an answer (or was declined)."""
        return len(self._answers) == self.item_count

    def compose(self) -> ComposeResult:
        yield Label(id="q-counter")
        yield Static(self.instrument.recall, id="q-recall", markup=False)
        yield Static(id="q-prompt", markup=False)
        with Vertical(id="q-choices"):
            for value, label in enumerate(self.instrument.answer_labels):
                yield AnswerChoice(value, label, large=self.large)
        yield Static(id="q-status")
        yield Static(id="q-progress")
        yield Static(id="q-hint")

    def on_mount(self) -> None:
        self._show()

    def watch_index(self) -> None:
        self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No answers once done, declining only where allowed, no going back from the first."""
        if action == "decline":
            return self.allow_decline and not self._done
        if action == "answer":
            return not self._done
        if action == "previous":
            return self.index > 0
        return True

    # -- actions -------------------------------------------------------------------------

    def action_answer(self, value: int) -> None:
        self.answer(value)

    def action_decline(self) -> None:
        if self.allow_decline:
            self._record(None)

    def action_previous(self) -> None:
        self.go_back()

    def answer(self, value: int) -> None:
        """Answer the current item with 0-4 and move on."""
        if ANSWER_MIN <= value <= ANSWER_MAX:
            self._record(value)

    def go_back(self) -> None:
        """Show the previous item again, with its answer highlighted."""
        if self.index > 0:
            self.index -= 1

    def go_to(self, index: int) -> None:
        """Show item ``index`` (0-based), e.g. to change one answer from a review."""
        self.index = max(0, min(index, self.item_count - 1))

    # -- internals -----------------------------------------------------------------------

    @property
    def _done(self) -> bool:
        return self.index >= self.item_count

    def _record(self, value: int | None) -> None:
        if self._done:
            return
        index = self.index
        self._answers[ITEM_KEYS[index]] = value
        self.post_message(self.Answered(index, self.answers, questionnaire=self))
        if index == self.item_count - 1 and self.is_complete:
            self.post_message(self.Completed(self.answers, questionnaire=self))
        self.index = index + 1

    def _show(self) -> None:
        if not self.children:  # not composed yet; on_mount shows the first item
            return
        total = self.item_count
        answered = len(self._answers)
        prompt = self.query_one("#q-prompt", Static)
        status = self.query_one("#q-status", Static)
        choices = self.query_one("#q-choices")
        hints = []
        if self._done:
            self.query_one("#q-counter", Label).update(f"All {total} questions answered")
            prompt.update("")
            choices.display = False
            status.update("")
            status.display = False
        else:
            item = self.instrument.items[self.index]
            self.query_one("#q-counter", Label).update(f"Question {item.number} of {total}")
            prompt.update(self.instrument.prompt_for(item))
            choices.display = True
            earlier = self._answers.get(item.key, -1)
            for choice in self.query(AnswerChoice):
                choice.set_class(choice.value == earlier, "-chosen")
            status.update("Earlier answer: declined to answer" if earlier is None else "")
            status.display = earlier is None
            hints.append(f"Press {ANSWER_MIN}-{ANSWER_MAX} to answer")
            if self.allow_decline:
                hints.append("D: declined to answer")
        if self.index > 0:
            hints.append("Backspace or ↑: previous question")
        self.query_one("#q-hint", Static).update("   ·   ".join(hints))
        width = 24
        filled = round(width * answered / total) if total else 0
        self.query_one("#q-progress", Static).update(
            f"{'█' * filled}{'░' * (width - filled)}  {answered} of {total} answered"
        )
        self.refresh_bindings()
