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

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from followup.services.decide import DecisionView
from followup.services.review_queue import (
    DecidedPage,
    FlagPage,
    FlagView,
    decided_flag_page,
    open_flag_page,
)
from followup.ui.staff.flag_detail import FlagDetail
from followup.ui.staff.paged_list import PagedListScreen, PageReader
from followup.ui.staff.review_decisions import DECISION_BINDINGS, ReviewDecisions
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import PlainTable

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


class ReviewQueueScreen(ReviewDecisions, PagedListScreen):
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

    READ_DESCRIPTION = "Listing flags"

    def __init__(self) -> None:
        super().__init__(id="review")
        self.data: FlagPage | DecidedPage | None = None
        self.decided_view = False
        self.shown: list[FlagView] = []

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

    # -- reading ---------------------------------------------------------------------------

    def page_reader(self) -> PageReader:
        """The current page of open (or decided) flags, of the staff member's site."""
        read = decided_flag_page if self.decided_view else open_flag_page
        return partial(read, page=self.page, page_size=self.PAGE_SIZE, site_id=self.staff.site_id)

    def page_rows(self, page: FlagPage | DecidedPage) -> list[FlagView]:
        """The page's flags."""
        return list(page.flags)

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
        self.summarise()
        self.refresh_bindings()
        self.read_page()

    def summarise(self) -> None:
        """How many flags by level, which are shown, and whether the rules are being run."""
        summary = self.query_one("#review-summary", Static)
        if self.data is None:
            summary.update("Loading decided flags…" if self.decided_view else "Loading open flags…")
            return
        if isinstance(self.data, DecidedPage):
            start = self.page * self.PAGE_SIZE
            shown = f"showing {start + 1}–{start + len(self.shown)}" if self.shown else "none"
            summary.update(
                f"{fmt.plural(self.data.total, 'decided flag')}, newest decision first · {shown} · "
                "a: amend · o: reopen · v: back to the open flags"
            )
            return
        start = self.page * self.PAGE_SIZE
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

    def show_page(self, keep_cursor: bool = False) -> None:
        """The page's flags (a decided one with its decision)."""
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
        self.summarise()
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
            return self.paging_allowed(parameters)
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        flag = self.current_flag()
        if flag is not None:
            self.open_patient(flag.patient_id)
