"""The coordinator's worklist: follow-up calls due this week and overdue, with the patient's
local time (calls outside 9:00-20:00 there are marked).

``due_list`` is computed once per visit in a worker and kept here; the table shows one page of
it (a DataTable fills at about 10k rows a second, so a cohort-sized table would freeze the UI).
The list is computed without the patients' names, phones and last contacts; those are read for
the page shown (and kept), since reading them for every call due would take most of the time.
"""

from __future__ import annotations

import threading
from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from followup.services.audit import committed_mark
from followup.services.call_list import (
    DueItem,
    call_list_changed_since,
    due_list,
    with_details,
)
from followup.services.context import Context
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.calls import CallOutcome, ask_and_log_call
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.keybar import KeyBar

PAGE_SIZE = 200
VIEWS = ("all", "overdue", "today", "week")
VIEW_LABELS = {
    "all": "All calls",
    "overdue": "Overdue",
    "today": "Due today (window open)",
    "week": "Coming this week",
}


PREFETCH_WAIT_SECONDS = 30


class CallListPrefetch:
    """The call list, computed while a coordinator signs in (the list takes about a second at
    100,000 patients; typing a name and password takes longer), so the worklist opens at once.

    It holds patient IDs and dates only, never shown before sign-in, and is used once: by the
    next worklist of someone not limited to a site (their list is all sites'), for the same day
    and only if no assessment or treatment was written since it was computed."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: tuple[date, int, list[DueItem]] | None = None

    def compute(self, ctx: Context) -> None:
        """Run in a thread worker."""
        try:
            mark = committed_mark(ctx.engine)
            as_of = ctx.today()
            self._result = (as_of, mark, due_list(ctx, as_of, details=False))
        finally:
            self._done.set()

    def take(self, ctx: Context, as_of: date) -> list[DueItem] | None:
        """The list for ``as_of`` if still current (waiting for one under way), else None."""
        if not self._done.wait(timeout=PREFETCH_WAIT_SECONDS):
            return None  # never started or stuck: compute it afresh
        result, self._result = self._result, None
        if result is None or result[0] != as_of or call_list_changed_since(ctx, result[1]):
            return None
        return result[2]


def _with_patient(item: DueItem, known: DueItem) -> DueItem:
    """``item`` with the patient's details from another call of theirs."""
    return item._replace(
        name=known.name,
        phone=known.phone,
        timezone=known.timezone,
        patient_local_time=known.patient_local_time,
        last_contact_at=known.last_contact_at,
        last_contact_outcome=known.last_contact_outcome,
    )


def view_of(item: DueItem, today: date) -> str:
    """The view (other than "all") a call belongs to."""
    if item.status == "overdue":
        return "overdue"
    return "today" if item.window_start <= today else "week"


def in_view(item: DueItem, view: str, today: date) -> bool:
    return view == "all" or view_of(item, today) == view


class WorklistLoaded(Message):
    def __init__(self, items: list[DueItem], as_of: date) -> None:
        super().__init__()
        self.items = items
        self.as_of = as_of


class DetailsLoaded(Message):
    def __init__(self, detailed: list[DueItem], generation: int) -> None:
        super().__init__()
        self.detailed = detailed
        self.generation = generation  # details read before a refresh are dropped


class CallLogged(Message):
    def __init__(self, patient_id: str, call: CallOutcome, at_utc: object) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.call = call
        self.at = at_utc


class WorklistTable(DataTable[object]):
    """The calls of one page; Enter opens the patient."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Open patient",
            id="worklist.open_patient",
            tooltip="Open the highlighted patient",
        ),
    ]


class WorklistScreen(StaffScreen):
    """Home for coordinators."""

    BINDINGS = [
        Binding("c", "log_call", "Log call", id="worklist.log_call", tooltip="Log a call attempt"),
        Binding(
            "a",
            "enter_assessment",
            "Assessment",
            id="worklist.enter_assessment",
            tooltip="Enter the questionnaire for this knee by phone",
        ),
        Binding(
            "v",
            "next_view",
            "View",
            id="worklist.next_view",
            tooltip="All / overdue / due today / coming this week",
        ),
        Binding("]", "page(1)", "Next page", id="worklist.next_page", tooltip="Next page"),
        Binding("[", "page(-1)", "Prev page", id="worklist.previous_page", tooltip="Previous page"),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="worklist.refresh",
            tooltip="Recompute the worklist",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="worklist")
        self.items: list[DueItem] | None = None
        self.as_of: date | None = None
        self.view = "all"
        self.page = 0
        self.rows: list[DueItem] = []  # the current view's calls
        self.counts: dict[str, int] = dict.fromkeys(VIEWS[1:], 0)
        self.shown: list[DueItem] = []  # the page in the table, with the patients' details
        self.details: dict[str, DueItem] = {}  # patient ID -> a call with their details
        self.generation = 0
        self.keep_cursor = True  # for a page shown once its details arrive

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="worklist-bar", classes="bar"):
            yield Static("Loading the worklist…", id="worklist-summary")
        table = WorklistTable(id="worklist-table", cursor_type="row", zebra_stripes=True)
        # Most needed first, for narrow terminals: who, and whether it is a decent hour there.
        table.add_column("Status", key="status")
        table.add_column("Patient", key="name", width=20)
        table.add_column("Patient's time", key="local")
        table.add_column("Knee", key="knee")
        table.add_column("Follow-up", key="timepoint")
        table.add_column("Window", key="window")
        table.add_column("Last contact", key="last")
        table.add_column("ID", key="id")
        yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(WorklistTable).focus()
        self.action_refresh()

    # -- loading ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        # A message, not Textual's loading overlay: its animation would take the CPU from
        # the worker computing the list (~2-3 s at 100,000 patients).
        self.query_one("#worklist-summary", Static).update("Loading the worklist…")
        self.details = {}  # contacts may have been logged since
        self.generation += 1
        self._load(self.ctx, self.staff.site_id, self.view, self.generation)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="worklist",
        description="Loading the worklist",
    )
    def _load(self, ctx: Context, site_id: str | None, view: str, generation: int) -> None:
        as_of = ctx.today()
        prefetched = self.followup.take_prefetched_calls() if site_id is None else None
        items = prefetched.take(ctx, as_of) if prefetched is not None else None
        if items is None:
            items = due_list(ctx, as_of, site_id=site_id, details=False)
        # The first page's details in the same worker: one trip, not two, to the first screen.
        first = [i for i in items if in_view(i, view, as_of)][:PAGE_SIZE]
        detailed = with_details(ctx, first)
        self.post_message(DetailsLoaded(detailed, generation))
        self.post_message(WorklistLoaded(items, as_of))

    def on_worklist_loaded(self, message: WorklistLoaded) -> None:
        self.items = message.items
        self.as_of = message.as_of
        self._refilter(keep_cursor=True)
        if self.focused is None:
            self.query_one(WorklistTable).focus()
        # Once the list is drawn: the collection pauses the screen for a moment, better after
        # the coordinator sees the list than before.

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="worklist-details",
        description="Reading the patients of this page",
    )
    def _load_details(self, ctx: Context, items: list[DueItem], generation: int) -> None:
        self.post_message(DetailsLoaded(with_details(ctx, items), generation))

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        if message.generation != self.generation:
            return
        self.details.update((i.patient_id, i) for i in message.detailed)
        if self.items is not None:
            self._show_page(keep_cursor=self.keep_cursor)

    # -- showing ---------------------------------------------------------------------------

    def _refilter(self, keep_cursor: bool = False) -> None:
        """Recompute the view's rows and the counts (once per change: a cohort's worklist has
        tens of thousands of calls, too many to filter on every footer refresh)."""
        today = self.as_of or self.ctx.today()
        counts = dict.fromkeys(VIEWS[1:], 0)
        rows, view = [], self.view
        for item in self.items or []:  # one pass: tens of thousands of calls
            belongs = view_of(item, today)
            counts[belongs] += 1
            if view in ("all", belongs):
                rows.append(item)
        self.rows, self.counts = rows, counts
        self._show_page(keep_cursor)

    def _show_page(self, keep_cursor: bool = False) -> None:
        table = self.query_one(WorklistTable)
        cursor = table.cursor_row if keep_cursor else 0
        rows = self.rows
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        self.page = min(max(self.page, 0), pages - 1)
        start = self.page * PAGE_SIZE
        page = rows[start : start + PAGE_SIZE]
        missing = [i for i in page if i.patient_id not in self.details]
        if missing:  # shown once their patients' details are read
            self.keep_cursor = keep_cursor
            self.query_one("#worklist-summary", Static).update("Loading the worklist…")
            self._load_details(self.ctx, missing, self.generation)
            return
        self.shown = [_with_patient(i, self.details[i.patient_id]) for i in page]
        table.clear()
        today = self.as_of or self.ctx.today()
        for n, item in enumerate(self.shown):
            table.add_row(*self._cells(item, today), key=str(n))
        if self.shown:
            table.move_cursor(row=min(cursor, len(self.shown) - 1))
        self._summarise(rows, start)
        self.refresh_bindings()  # the paging keys depend on the number of rows

    def _cells(self, item: DueItem, today: date) -> list[object]:
        status = (
            Text("overdue", style="bold red")
            if item.status == "overdue"
            else Text("due now" if item.window_start <= today else "this week")
        )
        window = (
            f"{fmt.short_day(item.window_start, today)}–{fmt.short_day(item.window_end, today)}"
        )
        last = "never"
        if item.last_contact_at:
            when = fmt.short_day(item.last_contact_at.date(), today)
            last = f"{fmt.outcome(item.last_contact_outcome)} {when}"
        return [
            status,
            Text(item.name, overflow="ellipsis", no_wrap=True),
            fmt.local_time(item.patient_local_time, item.decent_hour, today),
            item.knee,
            item.timepoint,
            window,
            last,
            item.patient_id,
        ]

    def _summarise(self, rows: list[DueItem], start: int) -> None:
        items = self.items or []
        today = self.as_of or self.ctx.today()
        counts = self.counts
        shown = f"showing {start + 1}–{start + len(self.shown)} of {len(rows)}" if rows else "none"
        text = (
            f"[b]{VIEW_LABELS[self.view]}[/b]: {shown}   ·   {len(items)} calls: "
            f"{counts['overdue']} overdue, {counts['today']} due today, "
            f"{counts['week']} coming this week   ·   as of {today.isoformat()}"
        )
        self.query_one("#worklist-summary", Static).update(text)

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.page = 0
        self._refilter()

    def action_page(self, step: int) -> None:
        self.page += step
        self._show_page()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("log_call", "enter_assessment"):
            return bool(self.shown) or None
        if action == "page":
            rows = len(self.rows)
            step = parameters[0] if parameters else 0
            if rows <= PAGE_SIZE:
                return False  # one page: no paging keys in the footer
            if step == -1:
                return self.page > 0 or None
            return (self.page + 1) * PAGE_SIZE < rows or None
        return True

    # -- row actions -----------------------------------------------------------------------

    def _current(self) -> DueItem | None:
        table = self.query_one(WorklistTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self._current()
        if item is not None:
            self.followup.open_patient(item.patient_id)

    def action_log_call(self) -> None:
        item = self._current()
        if item is None:
            return

        ctx = self.ctx
        ask_and_log_call(
            self,
            item.patient_id,
            item.name,
            item.phone,
            item.patient_local_time,
            lambda call: CallLogged(item.patient_id, call, ctx.now()),
        )

    def on_call_logged(self, message: CallLogged) -> None:
        known = self.details.get(message.patient_id)
        if known is not None:
            self.details[message.patient_id] = known._replace(
                last_contact_at=message.at, last_contact_outcome=message.call.outcome
            )
        if self.items is not None:
            self._show_page(keep_cursor=True)
        self.notify(f"Call logged: {fmt.outcome(message.call.outcome)}.")

    def action_enter_assessment(self) -> None:
        from followup.ui.staff.phone_entry import PhoneEntryScreen

        item = self._current()
        if item is None:
            return

        def done(saved: object) -> None:
            if saved is not None:
                self.action_refresh()

        self.app.push_screen(
            PhoneEntryScreen(item.patient_id, item.name, knee=item.knee, phone=item.phone), done
        )
