"""What staff do from the patient screen, each asking what it needs and writing through its
service in a worker: enter an assessment, log a call, edit the details, record a treatment or a
booster, mark an assessment or a treatment entered in error (a reason is required; it is kept,
struck through, never deleted), issue a self-report code, read one assessment in full.

The screen (``patient.PatientScreen``) says what is loaded and highlighted; when a write lands
it is told with ``PatientChanged`` and reads the patient again.
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import DataTable, TabbedContent

from followup.services.call_list import local_time
from followup.services.context import Context
from followup.services.patient_codes import IssuedCode, issue_code
from followup.services.patient_record import AssessmentLine, PatientDetail, TreatmentLine
from followup.services.record_assessment import mark_entered_in_error
from followup.services.record_treatment import mark_treatment_entered_in_error
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.calls import ask_and_log_call
from followup.ui.staff.patient_views import AssessmentDialog
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import CodeDialog, ConfirmDialog, TextDialog


class PatientChanged(Message):
    """Something was written for this patient; ``note`` says what, for a notification."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note


class CodeIssued(Message):
    """A new self-report code, to show once."""

    def __init__(self, issued: IssuedCode) -> None:
        super().__init__()
        self.issued = issued


class PatientActions(StaffScreen):
    """The patient screen's actions; the screen provides what is loaded and highlighted."""

    detail: PatientDetail | None

    def action_reload(self) -> None:
        raise NotImplementedError

    def active_tab(self) -> str:
        """The id of the tab on show."""
        return self.query_one("#patient-tabs", TabbedContent).active

    def _highlighted(self, table_id: str, rows: tuple) -> object | None:  # type: ignore[type-arg]
        row = self.query_one(table_id, DataTable).cursor_row
        return rows[row] if 0 <= row < len(rows) else None

    def highlighted_assessment(self) -> AssessmentLine | None:
        """The assessment under the cursor on the assessments tab."""
        if self.detail is None:
            return None
        return self._highlighted("#assessments", self.detail.assessments)  # type: ignore[return-value]

    def highlighted_treatment(self) -> TreatmentLine | None:
        """The treatment under the cursor in the overview's table."""
        if self.detail is None:
            return None
        return self._highlighted("#treatments", self.detail.treatments)  # type: ignore[return-value]

    # -- assessments and calls ---------------------------------------------------------------

    def action_enter_assessment(self) -> None:
        from followup.ui.staff.phone_entry import PhoneEntryScreen

        d = self.detail
        if d is None:
            return
        knees = d.treated_knees
        suggested = knees[0] if len(knees) == 1 else None

        def done(saved: object) -> None:
            if saved is not None:
                self.action_reload()

        self.app.push_screen(
            PhoneEntryScreen(d.id, d.name, knee=suggested, treated_knees=knees, phone=d.phone),
            done,
        )

    def action_show_assessment(self) -> None:
        a = self.highlighted_assessment()
        if a is not None:
            self.app.push_screen(AssessmentDialog(a))

    def action_log_call(self) -> None:
        d = self.detail
        if d is None:
            return
        ask_and_log_call(
            self, d.id, d.name, d.phone, local_time(self.ctx.now(), d.timezone),
            lambda call: PatientChanged(f"Call logged: {fmt.outcome(call.outcome)}."),
        )  # fmt: skip

    # -- details and treatments --------------------------------------------------------------

    def action_edit_details(self) -> None:
        from followup.ui.staff.patient_form import PatientForm

        def saved(patient_id: str | None) -> None:
            if patient_id is not None:
                self.action_reload()

        if self.detail is not None:
            self.app.push_screen(PatientForm(self.detail), saved)

    def action_record_treatment(self) -> None:
        from followup.ui.staff.treatment_form import TreatmentForm

        d = self.detail
        if d is not None:
            self.app.push_screen(TreatmentForm(d.id, d.name), self._treatment_recorded)

    def action_record_booster(self) -> None:
        """A booster of the highlighted treatment's knee (or the only treated knee)."""
        from followup.ui.staff.treatment_form import TreatmentForm

        d = self.detail
        if d is None:
            return
        t = self.highlighted_treatment() if self.active_tab() == "tab-overview" else None
        knees = d.treated_knees
        knee = t.knee if t is not None and not t.entered_in_error else None
        if knee is None and len(knees) == 1:
            knee = knees[0]
        if knee is None:
            self.notify(
                "Both knees are treated: highlight a treatment of the knee to boost (Overview).",
                severity="warning",
            )
            return
        self.app.push_screen(TreatmentForm(d.id, d.name, knee), self._treatment_recorded)

    def _treatment_recorded(self, recorded: object) -> None:
        if recorded is not None:
            self.action_reload()

    # -- corrections ---------------------------------------------------------------------------

    def action_entered_in_error(self) -> None:
        """The highlighted assessment (assessments tab) or treatment (overview) is wrong."""
        if self.active_tab() == "tab-overview":
            self._treatment_in_error()
            return
        a = self.highlighted_assessment()
        if a is None:
            return
        if a.entered_in_error:
            self.notify("That assessment is already marked entered in error.", severity="warning")
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self._mark_assessment(self.ctx, a.id, reason, self.staff.actor)

        self.app.push_screen(
            TextDialog(
                "Entered in error",
                f"Assessment of {a.assessed_on.isoformat()} ({a.knee} knee, "
                f"{fmt.words(a.source)}) will be kept but no longer counted. Why is it wrong?",
                placeholder="reason (required), e.g. wrong patient, wrong knee, duplicate",
            ),
            reason_given,
        )

    def _treatment_in_error(self) -> None:
        t = self.highlighted_treatment()
        if t is None:
            return
        if t.entered_in_error:
            self.notify("That treatment is already marked entered in error.", severity="warning")
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self._mark_treatment(self.ctx, t.id, reason, self.staff.actor)

        self.app.push_screen(
            TextDialog(
                "Treatment entered in error",
                f"Treatment {t.id} ({t.knee} knee, {t.treated_on.isoformat()}, "
                f"{fmt.product(t.product)}) will be kept, struck through, and no longer "
                "counted: its open flags close and the knee is judged without it. Why is it "
                "wrong?",
                placeholder="reason (required), e.g. wrong patient, wrong knee, wrong date",
            ),
            reason_given,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="entered-in-error",
          description="Marking the assessment entered in error")  # fmt: skip
    def _mark_assessment(self, ctx: Context, assessment_id: int, reason: str, actor: str) -> None:
        mark_entered_in_error(ctx, assessment_id, reason, actor)
        self.post_message(PatientChanged("Assessment marked entered in error."))

    @work(thread=True, exclusive=True, exit_on_error=False, group="entered-in-error",
          description="Marking the treatment entered in error")  # fmt: skip
    def _mark_treatment(self, ctx: Context, treatment_id: str, reason: str, actor: str) -> None:
        mark_treatment_entered_in_error(ctx, treatment_id, reason, actor)
        self.post_message(PatientChanged(f"Treatment {treatment_id} marked entered in error."))

    # -- self-report code ----------------------------------------------------------------------

    def action_issue_code(self) -> None:
        d = self.detail
        if d is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._issue_code(self.ctx, d.id, self.staff.actor)

        self.app.push_screen(
            ConfirmDialog(
                f"Issue a new self-report code for {d.name}? Any earlier code stops working.",
                yes="Issue",
                no="Cancel",
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="issue-code",
          description="Issuing a self-report code")  # fmt: skip
    def _issue_code(self, ctx: Context, patient_id: str, actor: str) -> None:
        self.post_message(CodeIssued(issue_code(ctx, patient_id, actor)))

    def on_code_issued(self, message: CodeIssued) -> None:
        self.show_dialog(CodeDialog(message.issued))

    def on_patient_changed(self, message: PatientChanged) -> None:
        self.notify(message.note, markup=False)
        self.action_reload()
