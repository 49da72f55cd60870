"""The optional step of a phone entry: pain right now, the patient's overall rating, an adverse
event, a note, and the day the answers were given. Enter moves field to field; the screen
decides what happens before the first and after the last one."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.validation import Number
from textual.widgets import Input, Label, Static

from followup.store.fields import whole_number
from followup.store.models import MAX_TEXT
from followup.ui.staff.phone_entry_day import AssessmentDay
from followup.ui.widgets.fields import MovesOnInput

# The fields in the order Enter walks them.
EXTRA_FIELDS = ("pain-nrs", "patient-global", "adverse-event", "entry-note", "assessed-on")


def range_message(field_id: str | None) -> str:
    """What to say when a number typed in the pain or overall-rating field is out of range."""
    if field_id == "pain-nrs":
        return "Pain must be a whole number from 0 to 10 (or empty)."
    return "The overall rating must be a whole number from 0 to 100 (or empty)."


class ExtrasStep(VerticalScroll):
    """The optional fields, the "Assessed on" day filled in with ``assessed_on``."""

    def __init__(self, assessed_on: date, today: date, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.assessed_on = assessed_on
        self.today = today

    def compose(self) -> ComposeResult:
        """Lay out the optional fields, each moving on to the next with Enter."""
        yield Label("Optional: leave empty when not asked", classes="step-title")
        yield Label("Pain right now, 0 (none) to 10 (worst imaginable)")
        yield MovesOnInput(
            id="pain-nrs",
            next_field="#patient-global",
            required=False,
            type="integer",
            max_length=2,
            restrict=r"[0-9]*",
            validators=[Number(minimum=0, maximum=10)],
            valid_empty=True,
            placeholder="0-10",
        )
        yield Label("Patient's overall rating of the knee, 0 (very well) to 100 (very poor)")
        yield MovesOnInput(
            id="patient-global",
            next_field="#adverse-event",
            required=False,
            type="integer",
            max_length=3,
            restrict=r"[0-9]*",
            validators=[Number(minimum=0, maximum=100)],
            valid_empty=True,
            placeholder="0-100",
        )
        yield Label("Adverse event since the last contact (describe; empty if none)")
        yield MovesOnInput(
            id="adverse-event",
            next_field="#entry-note",
            required=False,
            max_length=MAX_TEXT,
        )
        yield Label("Note")
        yield MovesOnInput(
            id="entry-note",
            next_field="#assessed-on",
            required=False,
            max_length=MAX_TEXT,
        )
        yield Label("Assessed on (YYYY-MM-DD): the day the patient gave these answers")
        yield MovesOnInput(
            self.assessed_on.isoformat(),
            id="assessed-on",
            max_length=10,
            restrict=r"[0-9-]*",
            validators=[AssessmentDay(self.today)],
            placeholder="YYYY-MM-DD",
        )
        # Docked: in sight whichever field is refused, also when the fields scroll (80x24).
        with Vertical(id="extras-foot"):
            yield Static("", id="extras-problem", classes="problem", markup=False)
            yield Static(
                "Enter: next field (from the last: review) · ↑: previous field",
                classes="hint",
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        # Being corrected: the refusal no longer holds (Enter on an acceptable value moves on
        # without a word, so it would otherwise stay in sight under the next field).
        if event.input.id in EXTRA_FIELDS:
            self.query_one("#extras-problem", Static).update("")

    def move_on(self, event: Input.Submitted) -> bool:
        """Enter in one of these fields: say what is wrong with it, or focus the next field.
        True when Enter was pressed in the last field and it is acceptable."""
        field = event.input
        if field.id not in EXTRA_FIELDS:
            return False
        problem = self.query_one("#extras-problem", Static)
        result = event.validation_result
        if result is not None and not result.is_valid:
            if field.id == "assessed-on":
                problem.update(result.failure_descriptions[0])
            else:
                problem.update(range_message(field.id))
            return False
        problem.update("")
        index = EXTRA_FIELDS.index(field.id)
        if index + 1 < len(EXTRA_FIELDS):
            self.query_one(f"#{EXTRA_FIELDS[index + 1]}", Input).focus()
            return False
        return True

    def move_back(self, focused: object) -> bool:
        """Focus the field before ``focused``; False when it is the first (or not one of these)."""
        if not isinstance(focused, Input) or focused.id not in EXTRA_FIELDS:
            return False
        index = EXTRA_FIELDS.index(focused.id)
        if index == 0:
            return False
        self.query_one(f"#{EXTRA_FIELDS[index - 1]}", Input).focus()
        return True

    def number(self, field_id: str) -> int | None:
        """The whole number typed in a field, None when it is left empty."""
        text = self.query_one(f"#{field_id}", Input).value.strip()
        return whole_number(text) if text else None

    def text(self, field_id: str) -> str | None:
        """The text typed in a field, None when it is left empty."""
        return self.query_one(f"#{field_id}", Input).value.strip() or None

    def first_problem(self) -> tuple[str, str] | None:
        """The first optional field the service would refuse, and why."""
        for field_id, high in (("pain-nrs", 10), ("patient-global", 100)):
            value = self.number(field_id)
            if value is not None and not 0 <= value <= high:
                return field_id, range_message(field_id)
        day = self.query_one("#assessed-on", Input)
        result = day.validate(day.value)
        if result is not None and not result.is_valid:
            return "assessed-on", result.failure_descriptions[0]
        return None

    def show_problem(self, field_id: str, message: str) -> None:
        """Say what is wrong under the fields and put the cursor in the field concerned."""
        self.query_one("#extras-problem", Static).update(message)
        self.query_one(f"#{field_id}", Input).focus()
