"""The clinicians' review queue: open flags, urgent → action → watch, with the evidence sentence
and the knee's chart; one key per decision, each with a required note; the weekly packet export.

On opening, the stored flags are listed at once while the whole cohort is re-evaluated in the
background (flags depend on the date: windows close, durability runs out); the list is replaced
when that finishes. Decisions wait for the evaluation, which may still close or clear flags.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from followup.domain.records import DECISIONS
from followup.services.context import Context
from followup.services.decide import decide
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.review_packet import prepare_packet, record_packet
from followup.services.review_queue import FlagView, open_flags
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.evidence import evidence_lines, flag_heading
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.chart import KneeCharts
from followup.ui.widgets.dialogs import TextDialog
from followup.ui.widgets.keybar import KeyBar

PAGE_SIZE = 200
DECISION_KEYS = {
    "booster_scheduled": "b",
    "continue_monitoring": "m",
    "refer": "f",
    "dismissed": "d",
}
PACKET_FORMATS = ("html", "csv", "md")


class FlagsLoaded(Message):
    def __init__(self, flags: list[FlagView], evaluated: bool) -> None:
        super().__init__()
        self.flags = flags
        self.evaluated = evaluated


class FlagDecided(Message):
    def __init__(self, flag_id: int, decision: str) -> None:
        super().__init__()
        self.flag_id = flag_id
        self.decision = decision


class ChartLoaded(Message):
    def __init__(self, flag_id: int, trajectories: list[KneeTrajectory]) -> None:
        super().__init__()
        self.flag_id = flag_id
        self.trajectories = trajectories


class PacketWritten(Message):
    """The weekly packet was written and recorded: ``count`` flags in it, ``left_out`` open
    flags not."""

    def __init__(self, count: int, left_out: int, path: Path) -> None:
        super().__init__()
        self.count = count
        self.left_out = left_out
        self.path = path


def _decision_binding(decision: str) -> Binding:
    label = fmt.DECISION_LABELS[decision]
    return Binding(
        DECISION_KEYS[decision],
        f"decide('{decision}')",
        fmt.DECISION_SHORT[decision],
        id=f"review.{decision}",
        tooltip=f"Decide: {label} (asks for a note)",
    )


class ReviewTable(DataTable[object]):
    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Open patient",
            id="review.open_patient",
            tooltip="Open the flagged patient",
        ),
    ]


class ExportDialog(ModalScreen[tuple[str, Path] | None]):
    """Format (h, c or m) and file; Enter writes."""

    BINDINGS = [
        *(
            Binding(f[0], f"format('{f}')", f.upper(), id=f"export.{f}", tooltip=f"{f} format")
            for f in PACKET_FORMATS
        ),
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Cancel"),
    ]

    def __init__(self, as_of: date) -> None:
        super().__init__(classes="dialog-screen")
        self.as_of = as_of
        self.format = "html"

    def _default_path(self, fmt_name: str) -> str:
        return str(Path.home() / f"followup-review-{self.as_of.isoformat()}.{fmt_name}")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Weekly review packet as of {self.as_of.isoformat()}", markup=False)
            yield OptionList(
                *(Option(f"{f[0]}  {f.upper()}", id=f) for f in PACKET_FORMATS), id="formats"
            )
            yield Input(value=self._default_path("html"), id="packet-path")
            yield Static(
                "↑↓ or h/c/m: format · Tab: file name · Enter: write · Escape: cancel",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#formats", OptionList).focus()

    def action_format(self, name: str) -> None:
        self.query_one("#formats", OptionList).highlighted = PACKET_FORMATS.index(name)

    @on(OptionList.OptionHighlighted, "#formats")
    def _format(self, event: OptionList.OptionHighlighted) -> None:
        new = event.option.id or "html"
        path = self.query_one("#packet-path", Input)
        if path.value == self._default_path(self.format):
            path.value = self._default_path(new)
        self.format = new

    @on(OptionList.OptionSelected, "#formats")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on the format writes to the file name shown (Tab edits it first)."""
        event.stop()
        self.format = event.option.id or self.format
        self._write_to(self.query_one("#packet-path", Input).value)

    @on(Input.Submitted, "#packet-path")
    def _write(self, event: Input.Submitted) -> None:
        event.stop()
        self._write_to(event.value)

    def _write_to(self, value: str) -> None:
        if value.strip():
            self.dismiss((self.format, Path(value.strip()).expanduser()))
        else:
            self.query_one("#packet-path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewQueueScreen(StaffScreen):
    """Clinicians only (the app never opens it for others)."""

    BINDINGS = [
        *(_decision_binding(d) for d in DECISIONS),
        Binding(
            "x",
            "export_packet",
            "Export",
            id="review.export_packet",
            tooltip="Write the weekly review packet (HTML, CSV or Markdown)",
        ),
        Binding("]", "page(1)", "Next page", id="review.next_page", tooltip="Next page"),
        Binding("[", "page(-1)", "Prev page", id="review.previous_page", tooltip="Previous page"),
        Binding(
            "ctrl+r",
            "evaluate",
            "Re-evaluate",
            id="review.evaluate",
            tooltip="Evaluate the flag rules for the whole cohort again",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="review")
        self.flags: list[FlagView] | None = None
        self.evaluating = False
        self.evaluated = False
        self.page = 0
        self.shown: list[FlagView] = []
        self._chart_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading open flags…", id="review-summary", classes="bar")
        table = ReviewTable(id="review-table", cursor_type="row", zebra_stripes=True)
        for label, key in (
            ("Level", "level"),
            ("Flag", "kind"),
            ("Patient", "name"),
            ("ID", "id"),
            ("Knee", "knee"),
            ("Raised", "raised"),
            ("Months", "months"),
            ("Product", "product"),
            ("KL", "kl"),
            ("Banked", "banked"),
            ("Check by", "check_by"),
        ):
            table.add_column(label, key=key)
        yield table
        with VerticalScroll(id="review-detail"):
            yield Static("", id="review-evidence")
            yield Vertical(id="review-chart")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ReviewTable).focus()
        # The stored flags first, then the rules run again (usually only on the few episodes
        # that changed) and the list is refreshed: one after the other, not competing.
        self._list(self.ctx, self.staff.site_id)

    # -- loading ---------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-list",
        description="Listing open flags",
    )
    def _list(self, ctx: Context, site_id: str | None) -> None:
        flags = open_flags(ctx, site_id=site_id)
        self.post_message(FlagsLoaded(flags, evaluated=False))

    def action_evaluate(self) -> None:
        if self.evaluating:
            return
        self.evaluating = True
        self.refresh_bindings()
        self._summarise()
        self._evaluate(self.ctx, self.staff.site_id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-evaluate",
        description="Evaluating the flag rules",
    )
    def _evaluate(self, ctx: Context, site_id: str | None) -> None:
        evaluate_cohort(ctx)
        flags = open_flags(ctx, site_id=site_id)
        self.post_message(FlagsLoaded(flags, evaluated=True))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "review-evaluate":
            self.evaluating = False
            self.refresh_bindings()
            self._summarise()

    def on_flags_loaded(self, message: FlagsLoaded) -> None:
        if self.evaluated and not message.evaluated:
            return  # the plain listing finished after the evaluation: older
        if not message.evaluated and not self.evaluating:
            self.action_evaluate()
        if message.evaluated:
            self.evaluating = False
            self.evaluated = True
        self.flags = message.flags
        self._show_page(keep_cursor=True)

    # -- showing ---------------------------------------------------------------------------

    def _summarise(self) -> None:
        flags = self.flags
        summary = self.query_one("#review-summary", Static)
        if flags is None:
            summary.update("Loading open flags…")
            return
        counts = {lvl: sum(1 for f in flags if f.level == lvl) for lvl in fmt.LEVEL_STYLES}
        start = self.page * PAGE_SIZE
        shown = f"showing {start + 1}–{start + len(self.shown)}" if self.shown else "none"
        state = (
            "evaluating the rules… (decisions available when done)"
            if self.evaluating
            else f"evaluated as of {self.ctx.today().isoformat()}"
            if self.evaluated
            else "not evaluated"
        )
        text = Text()
        text.append(f"{len(flags)} open flags: ")
        for lvl, n in counts.items():
            text.append(f"{n} {lvl}", style=fmt.LEVEL_STYLES[lvl])
            text.append("  ")
        text.append(f"· {shown} · {state}")
        summary.update(text)

    def _show_page(self, keep_cursor: bool = False) -> None:
        table = self.query_one(ReviewTable)
        cursor = table.cursor_row if keep_cursor else 0
        flags = self.flags or []
        pages = max(1, -(-len(flags) // PAGE_SIZE))
        self.page = min(max(self.page, 0), pages - 1)
        start = self.page * PAGE_SIZE
        self.shown = flags[start : start + PAGE_SIZE]
        table.clear()
        today = self.ctx.today()
        for n, f in enumerate(self.shown):
            table.add_row(
                fmt.level(f.level),
                fmt.words(f.kind),
                Text(f.patient_name, overflow="ellipsis", no_wrap=True),
                f.patient_id,
                f.knee,
                fmt.short_day(f.raised_on, today),
                str(f.months_since_treatment(today)),
                fmt.product(f.product),
                fmt.number(f.kl_grade),
                fmt.number(f.banked_doses),
                fmt.short_day(f.booster_check_by, today) if f.booster_check_by else "",
                key=str(n),
            )
        if self.shown:
            table.move_cursor(row=min(cursor, len(self.shown) - 1))
        else:
            self._show_detail(None)
        self._summarise()
        self.refresh_bindings()

    def _current(self) -> FlagView | None:
        row = self.query_one(ReviewTable).cursor_row
        if 0 <= row < len(self.shown):
            return self.shown[row]
        return None

    @on(DataTable.RowHighlighted, "#review-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        flag = self._current()
        self._show_detail(flag)
        if self._chart_timer is not None:
            self._chart_timer.stop()
        if flag is not None:
            # Wait for the cursor to settle before reading a chart: holding ↓ must stay smooth.
            self._chart_timer = self.set_timer(0.15, partial(self._chart_for, flag))

    def _show_detail(self, flag: FlagView | None) -> None:
        evidence = self.query_one("#review-evidence", Static)
        self.query_one("#review-chart").remove_children()
        if flag is None:
            evidence.update("No open flag." if self.flags is not None else "")
            return
        text = Text()
        text.append(f"{flag.patient_name} ({flag.patient_id}) · ", style="bold")
        text.append(flag_heading(flag) + "\n", style=fmt.LEVEL_STYLES.get(flag.level, ""))
        text.append(flag.summary + "\n")
        text.append(
            f"Treated {flag.treated_on.isoformat()} with {fmt.product(flag.product)}, KL "
            f"{fmt.number(flag.kl_grade)}, banked doses {fmt.number(flag.banked_doses)}\n"
        )
        text.append("\n".join(evidence_lines(flag.evidence)), style="dim")
        evidence.update(text)

    def _chart_for(self, flag: FlagView) -> None:
        self._load_chart(self.ctx, flag)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-chart",
        description="Reading the knee's trajectory",
    )
    def _load_chart(self, ctx: Context, flag: FlagView) -> None:
        self.post_message(ChartLoaded(flag.id, knee_trajectories(ctx, flag.patient_id)))

    def on_chart_loaded(self, message: ChartLoaded) -> None:
        flag = self._current()
        if flag is None or flag.id != message.flag_id:
            return
        box = self.query_one("#review-chart")
        box.remove_children()
        today = self.ctx.today()
        box.mount_all(KneeCharts(t, today) for t in message.trajectories if t.knee == flag.knee)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return (not self.evaluating and self._current() is not None) or None
        if action == "page":
            step = parameters[0] if parameters else 0
            total = len(self.flags or [])
            if total <= PAGE_SIZE:
                return False
            if step == -1:
                return self.page > 0 or None
            return (self.page + 1) * PAGE_SIZE < total or None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        flag = self._current()
        if flag is not None:
            self.open_patient(flag.patient_id)

    def action_page(self, step: int) -> None:
        self.page += step
        self._show_page()

    def action_decide(self, decision: str) -> None:
        flag = self._current()
        if flag is None or self.evaluating:
            return

        def noted(note: str | None) -> None:
            if note:
                self._decide(self.ctx, flag.id, decision, note, self.staff.actor)

        self.app.push_screen(
            TextDialog(
                f"Decision: {fmt.DECISION_LABELS[decision]}",
                f"{flag.patient_name} ({flag.patient_id}), {flag.knee} knee: "
                f"{fmt.words(flag.kind)}. Why? The note is kept with the decision.",
                placeholder="note (required)",
            ),
            noted,
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-decide",
        description="Recording the decision",
    )
    def _decide(self, ctx: Context, flag_id: int, decision: str, note: str, reviewer: str) -> None:
        decide(ctx, flag_id, decision, note, reviewer)
        self.post_message(FlagDecided(flag_id, decision))

    def on_flag_decided(self, message: FlagDecided) -> None:
        if self.flags is not None:
            self.flags = [f for f in self.flags if f.id != message.flag_id]
            self._show_page(keep_cursor=True)
        self.notify(f"Decision recorded: {fmt.DECISION_LABELS[message.decision]}.")

    def action_export_packet(self) -> None:
        as_of = self.ctx.today()
        actor = self.staff.actor

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                self.notify(f"Writing the review packet to {answer[1]}…")
                self._export(self.ctx, as_of, answer[0], answer[1], actor)

        self.app.push_screen(ExportDialog(as_of), chosen)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-export",
        description="Writing the review packet",
    )
    def _export(self, ctx: Context, as_of: date, fmt_name: str, path: Path, actor: str) -> None:
        # Written alongside: imported late, like the packet's templates.
        from followup.reports.files import write_private
        from followup.reports.packet import render

        packet = prepare_packet(ctx, as_of, with_charts=fmt_name == "html")
        write_private(path, render(packet, fmt_name))
        record_packet(ctx, packet, actor)  # written: the next packet covers what changes after
        self.post_message(PacketWritten(len(packet.shown), packet.left_out_total, path))

    def on_packet_written(self, message: PacketWritten) -> None:
        left_out = f", {message.left_out} left out" if message.left_out else ""
        self.notify(f"Review packet written: {message.count} flags{left_out} → {message.path}")
