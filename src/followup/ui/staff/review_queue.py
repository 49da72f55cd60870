"""The clinicians' review queue: open flags, urgent → action → watch, with the evidence sentence
and the knee's chart; one key per decision, each with a required note; the weekly packet export.
``v`` switches to the decided flags (newest decision first), where a decision is amended (``a``)
or reopened (``o``) with a reason (``review_decisions``).

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

from followup.services.audit import committed_mark
from followup.services.context import Context
from followup.services.decide import DecisionView
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.review_queue import (
    DecidedPage,
    FlagPage,
    FlagView,
    decided_flag_page,
    open_flag_page,
)
from followup.ui.staff.flag_detail import FlagDetail
from followup.ui.staff.messages import ListOutOfDate
from followup.ui.staff.review_decisions import DECISION_BINDINGS, ReviewDecisions
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import PlainTable

PAGE_SIZE = 50
POLL_SECONDS = 5.0
OPEN_COLUMNS = (
    ("Level", "level"), ("Flag", "kind"), ("Patient", "name"), ("ID", "id"), ("Knee", "knee"),
    ("Raised", "raised"), ("Months", "months"), ("Product", "product"), ("KL", "kl"),
    ("Banked", "banked"), ("Check by", "check_by"),
)  # fmt: skip
DECIDED_COLUMNS = (
    ("Decided", "decided"), ("Decision", "decision"), ("By", "by"), ("Flag", "kind"),
    ("Patient", "name"), ("ID", "id"), ("Knee", "knee"), ("Raised", "raised"),
    ("Booked for", "until"),
)  # fmt: skip


class PageRead(Message):
    """A page of open flags was read (``generation`` drops answers overtaken since)."""

    def __init__(self, page: FlagPage | DecidedPage, mark: int, generation: int) -> None:
        super().__init__()
        self.page = page
        self.mark = mark
        self.generation = generation


class MarkChecked(Message):
    """The audit trail's latest mark, to compare with the page's."""

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark = mark


class ReviewTable(PlainTable):
    """The open flags of one page; Enter opens the patient."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Open patient",
            id="review.open_patient",
            tooltip="Open the flagged patient",
        ),
    ]


class ReviewQueueScreen(ReviewDecisions):
    """Clinicians only (the app never opens it for others)."""

    BINDINGS = [
        *DECISION_BINDINGS,
        Binding(
            "v",
            "switch_view(True)",
            "Decided",
            id="review.decided_view",
            tooltip="Show the decided flags, to amend or reopen a decision",
        ),
        Binding(
            "v",
            "switch_view(False)",
            "Open flags",
            id="review.open_view",
            tooltip="Back to the open flags",
        ),
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
        self.data: FlagPage | DecidedPage | None = None
        self.decided_view = False
        self.evaluating = False
        self.evaluated = False
        self.evaluate_after_page = False
        self.page = 0
        self.shown: list[FlagView] = []
        self.mark = -1
        self.generation = 0
        self.keep_cursor = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading open flags…", id="review-summary", classes="bar")
        table = ReviewTable(id="review-table", cursor_type="row", zebra_stripes=True)
        for label, key in OPEN_COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield FlagDetail(id="review-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ReviewTable).focus()
        # The stored page first (read when the screen is shown: on_screen_resume), then the
        # whole cohort brought up to today, which re-reads the page when done.
        self.evaluate_after_page = True
        self.set_interval(POLL_SECONDS, self.check_for_changes)

    def on_screen_resume(self) -> None:
        """Shown (the first time too): read the page on screen as it is stored now."""
        self.read_page(keep_cursor=True)

    # -- reading ---------------------------------------------------------------------------

    def read_page(self, keep_cursor: bool = False) -> None:
        """Read the current page of open flags (as stored) in a worker."""
        self.generation += 1
        self.keep_cursor = keep_cursor
        self._read(self.ctx, self.page, self.staff.site_id, self.generation, self.decided_view)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-list",
          description="Listing flags")  # fmt: skip
    def _read(
        self, ctx: Context, page: int, site_id: str | None, generation: int, decided: bool
    ) -> None:
        mark = committed_mark(ctx.engine)
        read = decided_flag_page if decided else open_flag_page
        found = read(ctx, page=page, page_size=PAGE_SIZE, site_id=site_id)
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
        if self.evaluate_after_page:
            self.evaluate_after_page = False
            self.action_evaluate()

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

    def action_switch_view(self, decided: bool) -> None:
        """Open flags ↔ decided flags, from the first page."""
        if decided == self.decided_view:
            return
        self.decided_view = decided
        self.page = 0
        self.data, self.shown = None, []
        table = self.query_one(ReviewTable)
        table.clear(columns=True)
        for label, key in DECIDED_COLUMNS if self.decided_view else OPEN_COLUMNS:
            table.add_column(label, key=key)
        self.query_one(FlagDetail).show(None, "Reading…")
        self._summarise()
        self.refresh_bindings()
        self.read_page()

    def _summarise(self) -> None:
        summary = self.query_one("#review-summary", Static)
        if self.data is None:
            summary.update("Loading decided flags…" if self.decided_view else "Loading open flags…")
            return
        if isinstance(self.data, DecidedPage):
            start = self.page * PAGE_SIZE
            shown = f"showing {start + 1}–{start + len(self.shown)}" if self.shown else "none"
            summary.update(
                f"{fmt.plural(self.data.total, 'decided flag')}, newest decision first · {shown} · "
                "a: amend · o: reopen · v: back to the open flags"
            )
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
            decision = self._decision(f)
            if decision is not None:
                table.add_row(*self._decided_cells(f, decision, today), key=str(n))
                continue
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
            self.query_one(FlagDetail).show(None, self._empty())
        self._summarise()
        self.refresh_bindings()

    def _empty(self) -> str:
        return "No decided flag." if self.decided_view else "No open flag."

    def _decision(self, flag: FlagView) -> DecisionView | None:
        if isinstance(self.data, DecidedPage):
            return self.data.decisions.get(flag.id)
        return None

    @staticmethod
    def _decided_cells(f: FlagView, d: DecisionView, today) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
        return (
            fmt.short_day(d.decided_at.date(), today),
            fmt.DECISION_LABELS.get(d.decision, d.decision),
            Text(d.reviewer, overflow="ellipsis", no_wrap=True),
            fmt.words(f.kind),
            Text(f.patient_name, overflow="ellipsis", no_wrap=True),
            f.patient_id,
            f.knee,
            fmt.short_day(f.raised_on, today),
            d.until.isoformat() if d.until else "",
        )

    def current_flag(self) -> FlagView | None:
        """The highlighted flag, None when the page is empty."""
        row = self.query_one(ReviewTable).cursor_row
        if 0 <= row < len(self.shown):
            return self.shown[row]
        return None

    @on(DataTable.RowHighlighted, "#review-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        flag = self.current_flag()
        decision = None if flag is None else self._decision(flag)
        self.query_one(FlagDetail).show(flag, self._empty(), decision)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Decision keys only where the highlighted flag allows them; paging only across pages."""
        if action in ("decide", "amend", "reopen"):
            return self.decision_allowed(action)
        if action == "record_booster":
            return self.current_flag() is not None or None
        if action == "switch_view":
            return bool(parameters) and parameters[0] != self.decided_view
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
        flag = self.current_flag()
        if flag is not None:
            self.open_patient(flag.patient_id)

    def action_page(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.read_page()
