"""One patient: details and risk factors, treatments per knee, trajectory charts, assessments,
the contact log and the flags over time (open ones with their evidence, decided and cleared ones
with what became of them).

Everything is read in one worker (``patient_record.patient_detail``, ``trajectory``,
``flag_history``) and redrawn after each change made here (``patient_actions``: a call logged, a
form saved, a treatment recorded, something marked entered in error), so the screen never shows
a half-updated patient. The rows and text come from ``patient_views``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from followup.services.call_list import local_time
from followup.services.context import Context
from followup.services.flag_history import FlagEvent, flag_history
from followup.services.patient_record import PatientDetail, patient_detail
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.ui.staff.patient_actions import PatientActions
from followup.ui.staff.patient_views import (
    assessment_row,
    call_summary,
    flag_history_text,
    open_flag_summary,
    treatment_row,
    treatment_summary,
)
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.chart import KneeCharts
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import PlainTable

TABS = ("tab-overview", "tab-charts", "tab-assessments", "tab-contacts", "tab-flags")
CONTACT_COLUMNS = ("Outcome", "Note", "By")  # after the time, whose title names the clock
# Where each correction applies: the highlighted row of the table on show.
IN_ERROR_TABS = ("tab-overview", "tab-assessments")


class PatientLoaded(Message):
    """The patient, the knees' trajectories and the flags over time, read together."""

    def __init__(
        self, detail: PatientDetail, trajectories: list[KneeTrajectory], history: list[FlagEvent]
    ) -> None:
        super().__init__()
        self.detail = detail
        self.trajectories = trajectories
        self.history = history


def _table(table_id: str, *labels: tuple[str, ...]) -> PlainTable:
    table = PlainTable(id=table_id, cursor_type="row", zebra_stripes=True)
    for group in labels:
        for label in group:
            table.add_column(label)
    return table


def _binding(key: str, action: str, label: str, tooltip: str, show: bool = True) -> Binding:
    return Binding(key, action, label, id=f"patient.{action.split('(')[0]}", tooltip=tooltip,
                   show=show)  # fmt: skip


def _tab_binding(n: int, label: str) -> Binding:
    return Binding(str(n), f"tab({n - 1})", label, show=False, id=f"patient.tab_{n}",
                   tooltip=f"Show the {label.lower()} tab")  # fmt: skip


class PatientScreen(PatientActions):
    """One patient, tab by tab; the actions are ``patient_actions``'."""

    BINDINGS = [
        _binding("a", "enter_assessment", "Assessment", "Enter a questionnaire by phone"),
        _binding("c", "log_call", "Log call", "Log a call attempt"),
        _binding("t", "record_treatment", "Treatment", "Record a new treatment"),
        _binding("B", "record_booster", "Booster",
                 "Record a booster of the highlighted knee, filled in from its latest treatment"),
        _binding("e", "entered_in_error", "In error",
                 "Mark the highlighted assessment (Assessments) or treatment (Overview) as "
                 "entered in error; asks for a reason"),
        _binding("i", "issue_code", "Code",
                 "Issue a new self-report code for this patient (shown once)"),
        _binding("E", "edit_details", "Edit details",
                 "Change the contact details, time zone, site, language or risk factors"),
        _binding("escape", "close", "Back", "Close this patient"),
        _binding("ctrl+r", "reload", "Reload", "Read this patient again", show=False),
        _tab_binding(1, "Overview"),
        _tab_binding(2, "Charts"),
        _tab_binding(3, "Assessments"),
        _tab_binding(4, "Contacts"),
        _tab_binding(5, "Flags"),
    ]  # fmt: skip

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
            yield Static("", id="patient-title", markup=False)
            yield Static("", id="patient-risk", markup=False)
        with TabbedContent(id="patient-tabs"):
            with TabPane("1 Overview", id="tab-overview"):
                with VerticalScroll():
                    yield Static("", id="treatment-summary", markup=False)
                    yield _table(
                        "treatments",
                        ("Knee", "Treated", "Product", "Cells (M)", "Route", "KL", "Banked"),
                        ("Booster of", "ID", "Status"),
                    )
                    yield Static("", id="call-summary", markup=False)
                    yield Static("", id="flag-summary", markup=False)
            with TabPane("2 Charts", id="tab-charts"):
                yield VerticalScroll(id="charts")
            with TabPane("3 Assessments", id="tab-assessments"):
                yield _table(
                    "assessments",
                    ("Date", "Knee", "Source", "Pain", "Stiff.", "Function", "Total", "NRS"),
                    ("Global", "Answered", "Adverse event", "Status"),
                )
            with TabPane("4 Contacts", id="tab-contacts"):
                yield _table("contacts", ("When", *CONTACT_COLUMNS))
            with TabPane("5 Flags & history", id="tab-flags"), VerticalScroll():
                yield Static("", id="flags", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self._clear()
        if self.patient_id is not None:
            self.action_reload()

    def _clear(self) -> None:
        self.query_one("#patient-title", Static).update(f"Patient {self.patient_id} · loading…")
        self.query_one("#patient-risk", Static).update("")
        self.query_one("#treatment-summary", Static).update("")
        self.query_one("#call-summary", Static).update("")
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
        trajectories = knee_trajectories(ctx, patient_id)
        self.post_message(PatientLoaded(detail, trajectories, flag_history(ctx, patient_id)))

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
        self.query_one("#flags", Static).update(
            flag_history_text(message.history, message.detail.flags)
        )
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
            risk.append(f"   {fmt.plural(len(d.flags), 'open flag')}", style="bold")
            if urgent:
                risk.append(f", {urgent} URGENT", style="bold red")
        self.query_one("#patient-risk", Static).update(risk)

    def _show_treatments(self, d: PatientDetail) -> None:
        table = self.query_one("#treatments", DataTable)
        cursor = table.cursor_row
        table.clear()
        for t in d.treatments:
            table.add_row(*treatment_row(t), key=t.id)
        if d.treatments:
            table.move_cursor(row=min(max(cursor, 0), len(d.treatments) - 1))
        self.query_one("#treatment-summary", Static).update(treatment_summary(d))
        today = self.ctx.today()
        self.query_one("#call-summary", Static).update(call_summary(d.calls, today))
        self.query_one("#flag-summary", Static).update(open_flag_summary(d.flags))

    def _show_assessments(self, d: PatientDetail) -> None:
        table = self.query_one("#assessments", DataTable)
        cursor = table.cursor_row
        table.clear()
        for a in d.assessments:
            table.add_row(*assessment_row(a), key=str(a.id))
        if d.assessments:
            table.move_cursor(row=min(max(cursor, 0), len(d.assessments) - 1))

    def _show_contacts(self, d: PatientDetail) -> None:
        """Each call at the patient's own time (their time zone), said in the column title; the
        clinic's time, and that, when the patient's time zone is not known."""
        table = self.query_one("#contacts", DataTable)
        known = local_time(self.ctx.now(), d.timezone) is not None
        title = f"Patient's time ({d.timezone})"
        if not known:
            title = "Clinic time (patient's time zone unknown)"
        table.clear(columns=True)
        for label in (title, *CONTACT_COLUMNS):
            table.add_column(label)
        for c in d.contacts:
            when = local_time(c.contacted_at, d.timezone) if known else c.contacted_at.astimezone()
            table.add_row(
                f"{when:%Y-%m-%d %H:%M}",
                fmt.outcome(c.outcome),
                Text(c.note or "", overflow="ellipsis", no_wrap=True),
                c.created_by,
                key=str(c.id),
            )

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

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ "Entered in error" only on the tabs that show the row to correct."""
        # Not greyed while a patient loads (the actions wait for it): recomputing the footer
        # twice per patient would cost more than the read.
        if action == "entered_in_error":
            return self.active_tab() in IN_ERROR_TABS  # where the row to correct is seen
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-charts" and not self.charts_shown:
            self._show_charts()
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an assessment shows it in full."""
        if event.data_table.id == "assessments":
            event.stop()
            self.action_show_assessment()

    def action_tab(self, index: int) -> None:
        tabs = self.query_one("#patient-tabs", TabbedContent)
        tabs.active = TABS[index]
        if TABS[index] == "tab-assessments":
            self.query_one("#assessments", DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
