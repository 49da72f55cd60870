"""The clinicians' review queue: open flags, urgent → action → watch, with the evidence sentence
and the knee's chart; one key per decision, each with a required note; the weekly packet export.

The screen holds only the page it shows, read from SQL (``services.review_queue
.open_flag_page``). On opening, the stored page shows at once while the cohort is re-evaluated in
a worker (flags depend on the date: windows close, durability runs out); the page is read again
when that finishes, when anyone's change lands (the audit trail is polled), and when the screen is
shown again. Decisions wait for the evaluation, which may still close or clear flags.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Static
from textual.worker import Worker, WorkerState

from followup.domain.records import DECISIONS
from followup.services.audit import committed_mark
from followup.services.context import Context
from followup.services.decide import decide
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.review_queue import FlagPage, FlagView, open_flag_page
from followup.ui.staff.flag_detail import FlagDetail
from followup.ui.staff.messages import ListOutOfDate, RecordsChanged
from followup.ui.staff.packet_export import PacketExport
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import TextDialog
from followup.ui.widgets.keybar import KeyBar

PAGE_SIZE = 50
POLL_SECONDS = 5.0
DECISION_KEYS = {
    "booster_scheduled": "b",
    "continue_monitoring": "m",
    "refer": "f",
    "dismissed": "d",
}


class PageRead(Message):
    """A page of open flags was read (``generation`` drops answers overtaken since)."""

    def __init__(self, page: FlagPage, mark: int, generation: int) -> None:
        super().__init__()
        self.page = page
        self.mark = mark
        self.generation = generation


class MarkChecked(Message):
    """The audit trail's latest mark, to compare with the page's."""

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark = mark


class FlagDecided(Message):
    """A decision was recorded on a flag."""

    def __init__(self, flag_id: int, patient_id: str, decision: str) -> None:
        super().__init__()
        self.flag_id = flag_id
        self.patient_id = patient_id
        self.decision = decision


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


class ReviewQueueScreen(PacketExport):
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
        self.data: FlagPage | None = None
        self.evaluating = False
        self.evaluated = False
        self.page = 0
        self.shown: list[FlagView] = []
        self.mark = -1
        self.generation = 0
        self.keep_cursor = False

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
        yield FlagDetail(id="review-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ReviewTable).focus()
        self.read_page()
        self.action_evaluate()
        self.set_interval(POLL_SECONDS, self.check_for_changes)

    def on_screen_resume(self) -> None:
        self.read_page(keep_cursor=True)

    # -- reading ---------------------------------------------------------------------------

    def read_page(self, keep_cursor: bool = False) -> None:
        """Read the current page of open flags (as stored) in a worker."""
        self.generation += 1
        self.keep_cursor = keep_cursor
        self._read(self.ctx, self.page, self.staff.site_id, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-list",
          description="Listing open flags")  # fmt: skip
    def _read(self, ctx: Context, page: int, site_id: str | None, generation: int) -> None:
        mark = committed_mark(ctx.engine)
        found = open_flag_page(ctx, page=page, page_size=PAGE_SIZE, site_id=site_id)
        self.post_message(PageRead(found, mark, generation))

    def on_page_read(self, message: PageRead) -> None:
        if message.generation != self.generation:
            return
        self.data, self.mark = message.page, message.mark
        pages = max(1, -(-message.page.total // PAGE_SIZE))
        if self.page >= pages and self.page > 0:  # the list got shorter under us
            self.page = pages - 1
            self.read_page()
            return
        self.shown = list(message.page.flags)
        self._show_page(keep_cursor=self.keep_cursor)

    def action_evaluate(self) -> None:
        if self.evaluating:
            return
        self.evaluating = True
        self.refresh_bindings()
        self._summarise()
        self._evaluate(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-evaluate",
          description="Evaluating the flag rules")  # fmt: skip
    def _evaluate(self, ctx: Context) -> None:
        evaluate_cohort(ctx)
        self.app.call_from_thread(self._evaluated)

    def _evaluated(self) -> None:
        self.evaluating = False
        self.evaluated = True
        self.refresh_bindings()
        self.read_page(keep_cursor=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "review-evaluate":
            self.evaluating = False
            self.refresh_bindings()
            self._summarise()

    def check_for_changes(self) -> None:
        """Every few seconds: has anyone's change landed since the page was read?"""
        if self.is_current and not self.evaluating:
            self._check(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-poll",
          description="Checking for changes")  # fmt: skip
    def _check(self, ctx: Context) -> None:
        self.post_message(MarkChecked(committed_mark(ctx.engine)))

    def on_mark_checked(self, message: MarkChecked) -> None:
        if message.mark != self.mark and not self.evaluating:
            self.action_evaluate()

    def on_list_out_of_date(self, message: ListOutOfDate) -> None:
        if self.is_current:
            self.read_page(keep_cursor=True)

    # -- showing ---------------------------------------------------------------------------

    def _summarise(self) -> None:
        summary = self.query_one("#review-summary", Static)
        if self.data is None:
            summary.update("Loading open flags…")
            return
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
        text.append(f"{self.data.total} open flags: ")
        for lvl, n in self.data.by_level.items():
            text.append(f"{n} {lvl}", style=fmt.LEVEL_STYLES.get(lvl, ""))
            text.append("  ")
        text.append(f"· {shown} · {state}")
        summary.update(text)

    def _show_page(self, keep_cursor: bool = False) -> None:
        table = self.query_one(ReviewTable)
        cursor = table.cursor_row if keep_cursor else 0
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
            table.move_cursor(row=min(max(cursor, 0), len(self.shown) - 1))
        else:
            self.query_one(FlagDetail).show(None, "No open flag.")
        self._summarise()
        self.refresh_bindings()

    def _current(self) -> FlagView | None:
        row = self.query_one(ReviewTable).cursor_row
        if 0 <= row < len(self.shown):
            return self.shown[row]
        return None

    @on(DataTable.RowHighlighted, "#review-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(FlagDetail).show(self._current(), "No open flag.")

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return (not self.evaluating and self._current() is not None) or None
        if action == "page":
            step = parameters[0] if parameters else 0
            total = self.data.total if self.data else 0
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
        self.page = max(0, self.page + step)
        self.read_page()

    def action_decide(self, decision: str) -> None:
        flag = self._current()
        if flag is None or self.evaluating:
            return

        def noted(note: str | None) -> None:
            if note:
                self._decide(self.ctx, flag, decision, note, self.staff.actor)

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
    def _decide(
        self, ctx: Context, flag: FlagView, decision: str, note: str, reviewer: str
    ) -> None:
        decide(ctx, flag.id, decision, note, reviewer)
        self.post_message(FlagDecided(flag.id, flag.patient_id, decision))

    def on_flag_decided(self, message: FlagDecided) -> None:
        self.notify(f"Decision recorded: {fmt.DECISION_LABELS[message.decision]}.")
        self.app.post_message(RecordsChanged(message.patient_id))
