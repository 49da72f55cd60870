"""One patient: details and risk factors, treatments per knee, trajectory charts, assessments
(with the "entered in error" correction), the contact log and open flags with their evidence.

Everything is read in one worker (``patients.patient_detail`` + ``trajectory``) and redrawn after
each change made here (a call logged, a form saved or corrected), so the screen never shows a
half-updated patient.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Header,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from followup.services.call_list import local_time
from followup.services.context import Context
from followup.services.patient_codes import IssuedCode, issue_code
from followup.services.patient_record import PatientDetail, patient_detail
from followup.services.record_assessment import mark_entered_in_error
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.calls import ask_and_log_call
from followup.ui.staff.evidence import evidence_lines, flag_heading
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.chart import KneeCharts
from followup.ui.widgets.dialogs import CodeDialog, ConfirmDialog, TextDialog
from followup.ui.widgets.keybar import KeyBar

TABS = ("tab-overview", "tab-charts", "tab-assessments", "tab-contacts", "tab-flags")


class PatientLoaded(Message):
    def __init__(self, detail: PatientDetail, trajectories: list[KneeTrajectory]) -> None:
        super().__init__()
        self.detail = detail
        self.trajectories = trajectories


class PatientChanged(Message):
    """Something was written for this patient; ``note`` says what, for a notification."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note


class CodeIssued(Message):
    def __init__(self, issued: IssuedCode) -> None:
        super().__init__()
        self.issued = issued


def _table(table_id: str, *labels: tuple[str, ...]) -> DataTable[object]:
    table: DataTable[object] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
    for group in labels:
        for label in group:
            table.add_column(label)
    return table


def _tab_binding(n: int, label: str) -> Binding:
    return Binding(
        str(n),
        f"tab({n - 1})",
        label,
        show=False,
        id=f"patient.tab_{n}",
        tooltip=f"Show the {label.lower()} tab",
    )


class PatientScreen(StaffScreen):
    BINDINGS = [
        Binding(
            "a",
            "enter_assessment",
            "Assessment",
            id="patient.enter_assessment",
            tooltip="Enter a questionnaire by phone",
        ),
        Binding("c", "log_call", "Log call", id="patient.log_call", tooltip="Log a call attempt"),
        Binding(
            "e",
            "entered_in_error",
            "In error",
            id="patient.entered_in_error",
            tooltip="Mark the highlighted assessment as entered in error (asks for a reason)",
        ),
        Binding(
            "i",
            "issue_code",
            "Code",
            id="patient.issue_code",
            tooltip="Issue a new self-report code for this patient (shown once)",
        ),
        Binding("escape", "close", "Back", id="patient.close", tooltip="Close this patient"),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="patient.reload",
            tooltip="Read this patient again",
            show=False,
        ),
        _tab_binding(1, "Overview"),
        _tab_binding(2, "Charts"),
        _tab_binding(3, "Assessments"),
        _tab_binding(4, "Contacts"),
        _tab_binding(5, "Flags"),
    ]

    def __init__(self) -> None:
        super().__init__(id="patient", classes="patient-screen")
        self.patient_id: str | None = None
        self.detail: PatientDetail | None = None
        self.trajectories: list[KneeTrajectory] = []
        self.charts_shown = False

    def show_patient(self, patient_id: str) -> None:
        """Show another patient. The screen is built once per session (building it costs more
        than reading a patient); everything of the previous patient is cleared first, so it
        can never show under the new one's name."""
        self.patient_id = patient_id
        self.detail = None
        self.trajectories = []
        if self.is_mounted:
            self._clear()
            self.action_reload()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="patient-head", classes="bar"):
            yield Static("", id="patient-title")
            yield Static("", id="patient-risk")
        with TabbedContent(id="patient-tabs"):
            with TabPane("1 Overview", id="tab-overview"):
                with VerticalScroll():
                    yield Static("", id="treatment-summary")
                    yield _table(
                        "treatments",
                        ("Knee", "Treated", "Product", "Cells (M)", "Route", "KL", "Banked"),
                        ("Booster of", "ID"),
                    )
                    yield Static("", id="flag-summary")
            with TabPane("2 Charts", id="tab-charts"):
                yield VerticalScroll(id="charts")
            with TabPane("3 Assessments", id="tab-assessments"):
                yield _table(
                    "assessments",
                    ("Date", "Knee", "Source", "Pain", "Stiff.", "Function", "Total", "NRS"),
                    ("Global", "Answered", "Adverse event", "Status"),
                )
            with TabPane("4 Contacts", id="tab-contacts"):
                yield _table("contacts", ("When (caller's time)", "Outcome", "Note", "By"))
            with TabPane("5 Flags", id="tab-flags"), VerticalScroll():
                yield Static("", id="flags")
        yield KeyBar()

    def on_mount(self) -> None:
        self._clear()
        if self.patient_id is not None:
            self.action_reload()

    def _clear(self) -> None:
        self.query_one("#patient-title", Static).update(f"Patient {self.patient_id} · loading…")
        self.query_one("#patient-risk", Static).update("")
        self.query_one("#treatment-summary", Static).update("")
        self.query_one("#flag-summary", Static).update("")
        for table in self.query(DataTable):
            table.clear()
        self.query_one("#charts").remove_children()
        self.query_one("#flags", Static).update("")
        # No loading overlay: its animation costs more than the read it would cover.
        self.query_one("#patient-tabs", TabbedContent).active = TABS[0]
        self.charts_shown = False

    # -- loading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.patient_id is not None:
            self._load(self.ctx, self.patient_id, self.staff.site_id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="patient",
        description="Opening the patient",
    )
    def _load(self, ctx: Context, patient_id: str, site_id: str | None) -> None:
        detail = patient_detail(ctx, patient_id, site_id=site_id)
        self.post_message(PatientLoaded(detail, knee_trajectories(ctx, patient_id)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if (
            event.state == WorkerState.ERROR
            and event.worker.group == "patient"
            and self.detail is None
            and self.app.screen is self
        ):
            self.dismiss(None)  # nothing to show (e.g. no such patient); the dialog says why

    def on_patient_loaded(self, message: PatientLoaded) -> None:
        if message.detail.id != self.patient_id:
            return  # read for a patient shown before this one
        self.detail = message.detail
        self.trajectories = message.trajectories
        self._show_head(message.detail)
        self._show_treatments(message.detail)
        self._show_assessments(message.detail)
        self._show_contacts(message.detail)
        self._show_flags(message.detail)
        self.charts_shown = False
        if self.query_one("#patient-tabs", TabbedContent).active == "tab-charts":
            self._show_charts()

    # -- showing ---------------------------------------------------------------------------

    def _show_head(self, d: PatientDetail) -> None:
        today = self.ctx.today()
        local = ""
        if d.timezone:
            try:
                now = self.ctx.now().astimezone(ZoneInfo(d.timezone))
                local = f" {now.strftime('%H:%M %a')}"
            except (ZoneInfoNotFoundError, ValueError):
                local = " (unknown time zone)"
        title = Text()
        title.append(d.name, style="bold")
        title.append(
            f" · {d.id} · {d.age(today)} y (born {d.birth_date.isoformat()}) · "
            f"{d.sex or fmt.DASH} · ☎ {d.phone or fmt.DASH} · "
            f"{d.timezone or 'time zone unknown'}{local} · site {d.site_id or fmt.DASH}"
        )
        self.query_one("#patient-title", Static).update(title)
        risk = Text(
            f"Smoker {fmt.yes_no(d.smoker)} · diabetes {fmt.yes_no(d.diabetes)} · "
            f"BMI {fmt.number(d.bmi)} · activity {fmt.words(d.activity)} · "
            f"{d.email or 'no email'}"
        )
        if d.flags:
            urgent = sum(1 for f in d.flags if f.level == "urgent")
            risk.append(f"   {len(d.flags)} open flag(s)", style="bold")
            if urgent:
                risk.append(f", {urgent} URGENT", style="bold red")
        self.query_one("#patient-risk", Static).update(risk)

    def _show_treatments(self, d: PatientDetail) -> None:
        table = self.query_one("#treatments", DataTable)
        table.clear()
        for t in d.treatments:
            table.add_row(
                t.knee,
                t.treated_on.isoformat(),
                fmt.product(t.product),
                fmt.number(t.cells_millions),
                fmt.words(t.route),
                fmt.number(t.kl_grade),
                fmt.number(t.banked_doses),
                t.booster_of or fmt.DASH,
                t.id,
                key=t.id,
            )
        lines = []
        for knee in ("left", "right"):
            ts = d.treatments_of(knee)
            if not ts:
                continue
            boosters = sum(1 for t in ts if t.booster_of)
            last = ts[-1]
            lines.append(
                f"{knee.capitalize()} knee: {len(ts)} treatment(s), {boosters} booster(s); latest "
                f"{last.treated_on.isoformat()} {fmt.product(last.product)}, KL "
                f"{fmt.number(last.kl_grade)}, banked doses left {fmt.number(last.banked_doses)}"
            )
        self.query_one("#treatment-summary", Static).update(
            "\n".join(lines) if lines else "No treatment recorded."
        )
        flags = (
            "\n".join(f"{flag_heading(f)}\n  {f.summary}" for f in d.flags)
            if d.flags
            else "No open flag."
        )
        self.query_one("#flag-summary", Static).update(Text("\nOpen flags\n", style="bold") + flags)

    def _show_assessments(self, d: PatientDetail) -> None:
        table = self.query_one("#assessments", DataTable)
        cursor = table.cursor_row
        table.clear()
        for a in d.assessments:
            status = (
                Text(f"ENTERED IN ERROR: {a.error_reason or ''}", style="dim strike")
                if a.entered_in_error
                else Text("valid" if a.total is not None else "not valid", style="")
            )
            table.add_row(
                a.assessed_on.isoformat(),
                a.knee,
                fmt.words(a.source),
                fmt.score(a.pain),
                fmt.score(a.stiffness),
                fmt.score(a.function),
                fmt.score(a.total),
                fmt.number(a.pain_nrs),
                fmt.number(a.patient_global),
                f"{a.answered}/24",
                Text(a.adverse_event or "", style="bold red", overflow="ellipsis", no_wrap=True),
                status,
                key=str(a.id),
            )
        if d.assessments:
            table.move_cursor(row=min(max(cursor, 0), len(d.assessments) - 1))

    def _show_contacts(self, d: PatientDetail) -> None:
        table = self.query_one("#contacts", DataTable)
        table.clear()
        for c in d.contacts:
            table.add_row(
                c.caller_time.strftime("%Y-%m-%d %H:%M"),
                fmt.outcome(c.outcome),
                Text(c.note or "", overflow="ellipsis", no_wrap=True),
                c.created_by,
                key=str(c.id),
            )

    def _show_flags(self, d: PatientDetail) -> None:
        # One Static for all cards: widgets are what makes opening a patient slow, not text.
        body = Text()
        if not d.flags:
            body.append("No open flag.")
        for f in d.flags:
            body.append("▌ " + flag_heading(f) + "\n", style=fmt.LEVEL_STYLES.get(f.level, ""))
            body.append("▌ " + f.summary + "\n")
            for line in evidence_lines(f.evidence):
                body.append("▌   " + line + "\n", style="dim")
            body.append("\n")
        self.query_one("#flags", Static).update(body)

    def _show_charts(self) -> None:
        """Charts are built when their tab is first shown: plots are the costliest widgets."""
        box = self.query_one("#charts", VerticalScroll)
        box.remove_children()
        self.charts_shown = True
        if self.detail is None:
            return
        if not self.trajectories:
            box.mount(Static("No treated knee: nothing to chart."))
            return
        box.mount_all(KneeCharts(t, self.ctx.today()) for t in self.trajectories)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Not greyed while a patient loads (the actions wait for it): recomputing the footer
        # twice per patient would cost more than the read.
        if action == "entered_in_error":
            if self.query_one("#patient-tabs", TabbedContent).active != "tab-assessments":
                return False  # only where the assessment to correct can be seen
            return True
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-charts" and not self.charts_shown:
            self._show_charts()
        self.refresh_bindings()

    def action_tab(self, index: int) -> None:
        tabs = self.query_one("#patient-tabs", TabbedContent)
        tabs.active = TABS[index]
        if TABS[index] == "tab-assessments":
            self.query_one("#assessments", DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)

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

    def action_log_call(self) -> None:
        d = self.detail
        if d is None:
            return
        ask_and_log_call(
            self,
            d.id,
            d.name,
            d.phone,
            local_time(self.ctx.now(), d.timezone),
            lambda call: PatientChanged(f"Call logged: {fmt.outcome(call.outcome)}."),
        )

    def _highlighted_assessment(self) -> int | None:
        table = self.query_one("#assessments", DataTable)
        if self.detail is None or not self.detail.assessments:
            return None
        row = table.cursor_row
        if row < 0 or row >= len(self.detail.assessments):
            return None
        return self.detail.assessments[row].id

    def action_entered_in_error(self) -> None:
        assessment_id = self._highlighted_assessment()
        if assessment_id is None or self.detail is None:
            return
        line = next(a for a in self.detail.assessments if a.id == assessment_id)
        if line.entered_in_error:
            self.notify("That assessment is already marked entered in error.", severity="warning")
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self._mark_in_error(self.ctx, assessment_id, reason, self.staff.actor)

        self.app.push_screen(
            TextDialog(
                "Entered in error",
                f"Assessment of {line.assessed_on.isoformat()} ({line.knee} knee, "
                f"{fmt.words(line.source)}) will be kept but no longer counted. Why is it wrong?",
                placeholder="reason (required), e.g. wrong patient, wrong knee, duplicate",
            ),
            reason_given,
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="entered-in-error",
        description="Marking the assessment entered in error",
    )
    def _mark_in_error(self, ctx: Context, assessment_id: int, reason: str, actor: str) -> None:
        mark_entered_in_error(ctx, assessment_id, reason, actor)
        self.post_message(PatientChanged("Assessment marked entered in error."))

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

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="issue-code",
        description="Issuing a self-report code",
    )
    def _issue_code(self, ctx: Context, patient_id: str, actor: str) -> None:
        self.post_message(CodeIssued(issue_code(ctx, patient_id, actor)))

    def on_code_issued(self, message: CodeIssued) -> None:
        self.show_dialog(CodeDialog(message.issued))

    def on_patient_changed(self, message: PatientChanged) -> None:
        self.notify(message.note)
        self.action_reload()
