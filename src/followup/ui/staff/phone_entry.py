"""Entering a questionnaire over the phone: knee, the 24 items (one digit each), the optional
extras and the day the answers were given (today unless changed), then a review of the subscale
scores before anything is saved.

Nothing is written until the coordinator confirms on the review step, so an entry abandoned
half-way (Escape, sign-out, a crash) leaves no trace. Saving re-evaluates the knee's flags in the
same transaction; any flag raised by this form is shown at once.
"""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import ContentSwitcher, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from followup.domain.instrument import ITEM_KEYS
from followup.domain.scoring import score
from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.record_assessment import (
    AssessmentEntry,
    SavedAssessment,
    latest_treatments,
)
from followup.services.record_assessment import record_assessment as save_assessment
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.knee_picker import TreatmentsRead, knee_choices, untreated_question
from followup.ui.staff.phone_entry_day import assessment_day
from followup.ui.staff.phone_entry_extras import EXTRA_FIELDS, ExtrasStep
from followup.ui.staff.phone_entry_review import (
    SavedDialog,
    review_answers,
    review_extras,
    review_problem,
    review_scores,
)
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import ConfirmDialog
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.questionnaire import Questionnaire

STEPS = ("step-knee", "step-items", "step-extras", "step-review")


class AssessmentSaved(Message):
    """The phone entry's assessment was saved (with the knee's flags re-evaluated)."""

    def __init__(self, saved: SavedAssessment) -> None:
        super().__init__()
        self.saved = saved


class PhoneEntryScreen(StaffScreen):
    """Dismisses with the SavedAssessment, or None when abandoned."""

    # Focus is given step by step: a questionnaire focused behind the knee step would take
    # digits as answers unseen.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("l", "knee('left')", "Left knee", id="entry.left", tooltip="The left knee"),
        Binding("r", "knee('right')", "Right knee", id="entry.right", tooltip="The right knee"),
        Binding(
            "enter",
            "accept_knee",
            "Suggested knee",
            id="entry.accept_knee",
            tooltip="Take the knee suggested by the worklist",
        ),
        Binding(
            "up",
            "previous_field",
            "Back",
            id="entry.previous_field",
            tooltip="The previous field (from the first: back to the questions)",
        ),
        Binding(
            "s,enter",
            "save",
            "Save",
            id="entry.save",
            tooltip="Save this assessment",
            priority=False,
        ),
        Binding(
            "b",
            "back_to_extras",
            "Back",
            id="entry.back",
            tooltip="Back to the optional fields",
        ),
        Binding(
            "q",
            "back_to_items",
            "Change answers",
            id="entry.change_answers",
            tooltip="Back to the questions (the last one first; ↑ goes further back)",
        ),
        Binding(
            "escape",
            "abandon",
            "Cancel entry",
            id="entry.cancel",
            tooltip="Leave without saving anything",
        ),
    ]

    def __init__(
        self,
        patient_id: str,
        name: str,
        *,
        knee: str | None = None,
        treated_knees: tuple[str, ...] = (),
        phone: str | None = None,
    ) -> None:
        super().__init__(classes="phone-entry")
        self.patient_id = patient_id
        self.patient_name = name
        self.suggested_knee = knee
        self.treated_knees = treated_knees  # what the caller knew, until the record is read
        self.latest: dict[str, date | None] | None = None  # treated knees: latest treatment
        self.pending_knee: str | None = None  # chosen before the record was read
        self.phone = phone
        self.knee: str | None = None
        self.answers: dict[str, int | None] = {}
        self.step = STEPS[0]
        self.saving = False
        self.editing = False  # back in the questions from a later step: return there after
        self.today = date.min  # the clinic's today, read once the screen has its app
        self.assessed_on = date.min  # the last acceptable "Assessed on" day

    @property
    def has_unsaved_entry(self) -> bool:
        """Whether leaving now would lose an entry begun (a knee chosen, not yet saving)."""
        return self.knee is not None and not self.saving

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.today = self.assessed_on = self.ctx.today()
        yield Header()
        yield Static(self._heading(), id="entry-heading", classes="bar", markup=False)
        with ContentSwitcher(initial=STEPS[0], id="entry-steps"):
            with Vertical(id="step-knee", classes="entry-step"):
                yield Label("Which knee is this questionnaire about?", classes="step-title")
                yield Static(self._knee_text(), id="knee-choices", markup=False)
            with Vertical(id="step-items", classes="entry-step"):
                yield Questionnaire(self.ctx.instrument, allow_decline=True, id="questionnaire")
            yield ExtrasStep(self.assessed_on, self.today, id="step-extras", classes="entry-step")
            with VerticalScroll(id="step-review", classes="entry-step"):
                yield Label("Check before saving", classes="step-title")
                # First, so a small terminal shows it: nothing to save, an urgent flag coming,
                # saving, not saved.
                yield Static("", id="review-problem", classes="problem", markup=False)
                yield Static("", id="review-scores", markup=False)
                yield Static("", id="review-answers", markup=False)
                yield Static("", id="review-extras", markup=False)
                yield Static(
                    "Enter or s: save · b: back to the optional fields · q: change answers · "
                    "Escape: cancel without saving",
                    classes="hint",
                )
        yield KeyBar()

    def _heading(self) -> str:
        knee = f"{self.knee} knee" if self.knee else "knee not chosen yet"
        return (
            f"Phone entry · {self.patient_name} ({self.patient_id}) · phone "
            f"{self.phone or fmt.DASH} · {knee} · assessed on {self.assessed_on.isoformat()}"
        )

    def _knee_text(self) -> str:
        return knee_choices(self.latest, self.suggested_knee, self.treated_knees)

    def on_mount(self) -> None:
        self._read_treatments(self.ctx, self.patient_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="entry-treatments",
          description="Reading the patient's treatments")  # fmt: skip
    def _read_treatments(self, ctx: Context, patient_id: str) -> None:
        self.post_message(TreatmentsRead(latest_treatments(ctx, patient_id)))

    def on_treatments_read(self, message: TreatmentsRead) -> None:
        self.latest = message.latest
        self.query_one("#knee-choices", Static).update(self._knee_text())
        if self.pending_knee is not None:
            knee, self.pending_knee = self.pending_knee, None
            self.action_knee(knee)

    # -- steps -----------------------------------------------------------------------------

    def _go(self, step: str) -> None:
        self.step = step
        self.query_one("#entry-steps", ContentSwitcher).current = step
        self.query_one("#entry-heading", Static).update(self._heading())
        if step == "step-items":
            self.query_one(Questionnaire).focus()
        elif step == "step-extras":
            self.query_one("#pain-nrs", Input).focus()
        elif step == "step-review":
            self._fill_review()
            self.set_focus(None)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Each step's keys only on that step; no going back while saving."""
        step = self.step
        if action in ("knee", "accept_knee"):
            if action == "accept_knee" and self.suggested_knee is None:
                return False
            return step == "step-knee"
        if action == "previous_field":
            return step == "step-extras"
        if action in ("save", "back_to_extras", "back_to_items"):
            return step == "step-review" and not self.saving
        return True

    def action_knee(self, knee: str) -> None:
        """Start on that knee; for one with no treatment on record, only once confirmed."""
        if self.latest is None:
            self.pending_knee = knee  # taken when the record is read, a moment from now
            return
        if knee in self.latest:
            self._start(knee)
            return

        def answer(anyway: bool | None) -> None:
            if anyway:
                self._start(knee)

        self.app.push_screen(
            ConfirmDialog(untreated_question(knee), yes="Enter it", no="Choose again"), answer
        )

    def _start(self, knee: str) -> None:
        self.knee = knee
        self._go("step-items")

    def action_accept_knee(self) -> None:
        if self.suggested_knee:
            self.action_knee(self.suggested_knee)

    @on(Questionnaire.Completed)
    def _answered_all(self, event: Questionnaire.Completed) -> None:
        event.stop()
        self.answers = dict(event.answers)
        if self.editing:
            self._to_review()
        else:
            self._go("step-extras")

    @on(Questionnaire.Answered)
    def _answered_one(self, event: Questionnaire.Answered) -> None:
        event.stop()
        self.answers = dict(event.answers)
        if self.editing and len(self.answers) == len(ITEM_KEYS):
            self._to_review()  # one answer changed: straight back to the review

    def action_back_to_items(self) -> None:
        questionnaire = self.query_one(Questionnaire)
        questionnaire.go_to(len(ITEM_KEYS) - 1)
        self.editing = True
        self._go("step-items")

    def action_back_to_extras(self) -> None:
        self._go("step-extras")

    # -- optional fields -------------------------------------------------------------------

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        if self.query_one(ExtrasStep).move_on(event):
            self._to_review()

    def action_previous_field(self) -> None:
        focused = self.focused
        if not isinstance(focused, Input) or focused.id not in EXTRA_FIELDS:
            return
        if not self.query_one(ExtrasStep).move_back(focused):
            self.action_back_to_items()

    @on(Input.Changed, "#assessed-on")
    def _day_changed(self, event: Input.Changed) -> None:
        try:
            self.assessed_on = assessment_day(event.value, self.today)
        except FollowupError:
            return  # said when the coordinator moves on
        self.query_one("#entry-heading", Static).update(self._heading())

    def _to_review(self) -> None:
        extras = self.query_one(ExtrasStep)
        problem = extras.first_problem()
        if problem is None:
            self._go("step-review")
            return
        field_id, message = problem
        if self.step != "step-extras":
            self._go("step-extras")
        extras.show_problem(field_id, message)

    # -- review and save -------------------------------------------------------------------

    def _entry(self) -> AssessmentEntry:
        assert self.knee is not None
        extras = self.query_one(ExtrasStep)
        return AssessmentEntry(
            patient_id=self.patient_id,
            knee=self.knee,
            assessed_on=self.assessed_on,
            source="phone",
            answers={k: self.answers.get(k) for k in ITEM_KEYS},
            pain_nrs=extras.number("pain-nrs"),
            patient_global=extras.number("patient-global"),
            adverse_event=extras.text("adverse-event"),
            note=extras.text("entry-note"),
        )

    def _fill_review(self) -> None:
        entry = self._entry()
        scores = score(entry.answers, self.ctx.instrument.version)
        self.query_one("#review-scores", Static).update(
            review_scores(self.patient_name, entry, scores, self.today)
        )
        self.query_one("#review-answers", Static).update(review_answers(entry))
        self.query_one("#review-extras", Static).update(review_extras(entry))
        self._say_on_review(review_problem(entry, scores))

    def _say_on_review(self, text: str) -> None:
        """The review step's line at its top (an empty one takes no room)."""
        line = self.query_one("#review-problem", Static)
        line.update(text)
        line.display = bool(text)

    def action_save(self) -> None:
        if self.saving:
            return
        entry = self._entry()
        if all(v is None for v in entry.answers.values()):
            self._say_on_review("Every item was declined: there is nothing to save.")
            return
        self.saving = True
        self.refresh_bindings()
        self._say_on_review("Saving…")
        self._save(self.ctx, entry, self.staff.actor)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="save-assessment",
        description="Saving the assessment",
    )
    def _save(self, ctx: Context, entry: AssessmentEntry, actor: str) -> None:
        self.post_message(AssessmentSaved(save_assessment(ctx, entry, actor)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The error itself is shown by WorkerErrors; here the form stays, ready to retry.
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "entry-treatments":  # asked about what the caller did not know
            self.latest = dict.fromkeys(self.treated_knees)
            self.pending_knee = None
            self.query_one("#knee-choices", Static).update(self._knee_text())
        elif event.worker.group == "save-assessment":
            self.saving = False
            self._say_on_review("Not saved.")
            self.refresh_bindings()

    def on_assessment_saved(self, message: AssessmentSaved) -> None:
        saved = message.saved

        def closed(_: None) -> None:
            self.dismiss(saved)  # not returned: Textual would await it inside this handler

        self.show_dialog(SavedDialog(saved), closed)

    def action_abandon(self) -> None:
        if self.knee is None:
            self.dismiss(None)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                "Leave this entry? Nothing of it has been saved.", yes="Leave", no="Stay"
            ),
            answer,
        )
