"""Outcomes (clinicians): responder rates and how long relief lasts, per group, from the clinic's
own data, with honest uncertainty: "for KL 2-3 knees treated with cultured adipose cells, how
long does relief last, and is it shorter for smokers?"

The analysis is the command line's (``services.outcomes.build_outcomes``): run in a thread worker
(a few seconds on a large clinic) for the grouping (``g`` steps through product, KL grade,
smoking, route, site and none) and the filters (``f``). The screen draws the Kaplan-Meier curves
with the number at risk under them, the log-rank comparison with its caution, a table per
group, what was left out and how everything is counted; ``x`` writes the same analysis as the
HTML report a clinic can hand out. Narrow terminals stack the chart over the tables and scroll
them together; wide ones put them side by side and scroll the tables alone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from followup.reports.outcomes import BY_TITLES
from followup.services.context import Context
from followup.services.outcome_model import GroupOutcome, OutcomesReport
from followup.services.outcomes import build_outcomes
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.messages import ListOutOfDate
from followup.ui.staff.outcome_chart import AtRiskRows, SurvivalChart, legend
from followup.ui.staff.outcome_filters import GROUPING_NAMES, FilterDialog, OutcomeOptions
from followup.ui.staff.outcome_tables import comparison, group_table, left_out, method_notes
from followup.ui.widgets.dialogs import TextDialog
from followup.ui.widgets.keybar import KeyBar

# From this width the chart and the tables stand side by side.
WIDE = 160
CHART_TITLE = "Kaplan-Meier: % of responders still holding, by months since treatment"


class OutcomesComputed(Message):
    """The analysis for ``options`` is ready (``generation`` drops answers overtaken since)."""

    def __init__(self, report: OutcomesReport, options: OutcomeOptions, generation: int) -> None:
        super().__init__()
        self.report = report
        self.options = options
        self.generation = generation


class OutcomesReportWritten(Message):
    """The HTML report was written to ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class OutcomesScreen(StaffScreen):
    """Clinicians only (the app never opens it for others)."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    BINDINGS = [
        Binding(
            "g",
            "next_grouping",
            "Group by",
            id="outcomes.next_grouping",
            tooltip="Group by product, KL grade, smoking, route, site or none (steps through)",
        ),
        Binding(
            "f",
            "filters",
            "Filters",
            id="outcomes.filters",
            tooltip="Choose which knees: product, KL grade range, smoking, route, site",
        ),
        Binding(
            "x",
            "write_report",
            "Report",
            id="outcomes.write_report",
            tooltip="Write this analysis as an HTML report to hand out",
        ),
        Binding(
            "t",
            "toggle_ticks",
            "Censor ticks",
            id="outcomes.toggle_ticks",
            tooltip="Show or hide censored knees as | marks on the curves",
        ),
        Binding(
            "ctrl+r",
            "recompute",
            "Recompute",
            id="outcomes.recompute",
            tooltip="Run the analysis again on the data as it is now",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="outcomes")
        self.options = OutcomeOptions()
        self.report: OutcomesReport | None = None
        self.computing = False
        self.generation = 0
        self.censor_ticks = False
        self.out_of_date = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Computing the outcomes…", id="outcomes-bar", classes="bar", markup=False)
        with VerticalScroll(id="outcomes-body"):
            with Vertical(id="outcomes-figure"):
                yield Static(CHART_TITLE, id="km-title", classes="hint")
                yield SurvivalChart(id="km-chart")
                yield Static("Knees still followed (at risk)", id="km-at-risk-title",
                             classes="hint")  # fmt: skip
                yield AtRiskRows(id="km-at-risk")
                yield Static("", id="km-legend")
                yield Static("", id="km-test")
            with VerticalScroll(id="outcomes-tables"):
                yield Vertical(id="group-tables")
                yield Static("", id="outcomes-left-out")
                yield Static("", id="outcomes-methods")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.staff.site_id:  # limited to one site: the analysis is too
            self.options = replace(self.options, site=self.staff.site_id)
        self._focus_scroller()
        self.compute()

    def on_screen_resume(self) -> None:
        if self.out_of_date:
            self.compute()

    def on_resize(self, event: Resize) -> None:
        self._focus_scroller()

    def _focus_scroller(self) -> None:
        """The arrow keys scroll what scrolls: everything when narrow, the tables when wide."""
        wide = self.size.width >= WIDE
        self.query_one("#outcomes-tables" if wide else "#outcomes-body").focus()

    # -- computing -------------------------------------------------------------------------

    def compute(self) -> None:
        """Run the analysis for the current options in a worker; the old figures stay on screen
        (marked as out of date) until it is done."""
        self.generation += 1
        self.computing = True
        self.out_of_date = False
        self._summarise()
        self.refresh_bindings()
        self._compute(self.ctx, self.options, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="outcomes",
          description="Computing the outcomes")  # fmt: skip
    def _compute(self, ctx: Context, options: OutcomeOptions, generation: int) -> None:
        report = build_outcomes(ctx, ctx.today(), options.by, options.only())
        self.post_message(OutcomesComputed(report, options, generation))

    def on_outcomes_computed(self, message: OutcomesComputed) -> None:
        if message.generation != self.generation:
            return
        self.computing = False
        self.report = message.report
        self._show(message.report)
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "outcomes":
            self.computing = False
            self.refresh_bindings()
            self._summarise(failed=True)

    def on_list_out_of_date(self, message: ListOutOfDate) -> None:
        """Someone in this session saved something: recompute now if shown, else when shown."""
        if self.is_current:
            self.compute()
        else:
            self.out_of_date = True

    # -- showing ---------------------------------------------------------------------------

    def _summarise(self, failed: bool = False) -> None:
        o = self.options
        by = f"by {GROUPING_NAMES[o.by]}" if o.by else "all knees together"
        chosen = f"Outcomes {by} · {o.filters_text()}"
        bar = self.query_one("#outcomes-bar", Static)
        if self.computing:
            bar.update(f"{chosen} · computing… (a few seconds on a large clinic)")
        elif failed:
            bar.update(f"{chosen} · could not be computed; Ctrl+R tries again")
        elif self.report is not None:
            g = self.report.overall
            left = g.episodes - g.counted
            bar.update(
                f"{chosen} · as of {self.report.as_of.isoformat()} · {g.counted} of "
                f"{g.episodes} episodes counted" + (f", {left} left out" if left else "")
            )

    def groups(self) -> tuple[GroupOutcome, ...]:
        """The groups on screen (all knees as one when not grouped)."""
        if self.report is None:
            return ()
        return self.report.groups or (self.report.overall,)

    def _show(self, report: OutcomesReport) -> None:
        groups = self.groups()
        self._summarise()
        self.query_one(SurvivalChart).show(groups, self.censor_ticks)
        self.query_one(AtRiskRows).show(groups)
        self.query_one("#km-legend", Static).update(legend(groups))
        self.query_one("#km-test", Static).update(comparison(report))
        shown: list[tuple[int | None, GroupOutcome]] = list(enumerate(groups))
        if report.groups:
            shown.append((None, report.overall))
        tables = self.query_one("#group-tables", Vertical)
        tables.remove_children()
        tables.mount_all(Static(group_table(g, i, report), classes="group-table") for i, g in shown)
        self.query_one("#outcomes-left-out", Static).update(left_out(report))
        self.query_one("#outcomes-methods", Static).update(method_notes(report))

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Writing the report only once the outcomes are computed."""
        if action == "write_report":
            return (self.report is not None and not self.computing) or None
        return True

    def action_next_grouping(self) -> None:
        self.options = self.options.next_grouping()
        self.compute()

    def action_filters(self) -> None:
        def chosen(options: OutcomeOptions | None) -> None:
            if options is not None and options != self.options:
                self.options = options
                self.compute()

        self.show_dialog(FilterDialog(self.options, fixed_site=self.staff.site_id), chosen)

    def action_toggle_ticks(self) -> None:
        self.censor_ticks = not self.censor_ticks
        self.query_one(SurvivalChart).show(self.groups(), self.censor_ticks)

    def action_recompute(self) -> None:
        self.compute()

    def action_write_report(self) -> None:
        report = self.report
        if report is None or self.computing:
            return
        by = f"-by-{report.by.replace('_', '-')}" if report.by else ""
        by_text = f"by {BY_TITLES.get(report.by, report.by)}" if report.by else "all knees"
        default = Path.home() / f"followup-outcomes{by}-{report.as_of.isoformat()}.html"

        def chosen(answer: str | None) -> None:
            if answer:
                self._write(report, Path(answer).expanduser())

        self.show_dialog(
            TextDialog(
                "Write the outcomes report",
                f"The analysis on screen ({by_text}; {self.options.filters_text()}) as one "
                "HTML file, readable by you only. It "
                "holds figures for groups of knees, no names or patient IDs.",
                placeholder="file name (.html)",
                value=str(default),
                field="file name",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="outcomes-report",
          description="Writing the outcomes report")  # fmt: skip
    def _write(self, report: OutcomesReport, path: Path) -> None:
        # Imported here, like the packet's templates: only the export needs Jinja2.
        from followup.reports.files import write_private
        from followup.reports.outcomes import render_html

        write_private(path, render_html(report))
        self.post_message(OutcomesReportWritten(path))

    def on_outcomes_report_written(self, message: OutcomesReportWritten) -> None:
        self.notify(f"Outcomes report written → {message.path}", markup=False)
