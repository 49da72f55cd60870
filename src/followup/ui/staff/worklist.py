"""The coordinator's worklist: the calls to make, one row per patient (both knees named when both
are due), with the patient's own local time (marked outside 9:00-20:00 there), the phone number
on request, the window and the last contact.

The screen never holds more than the page it shows: each page is read from the stored calls in
SQL (``services.call_list.call_page``). On opening, the stored page shows at once while the
cohort's evaluation is brought up to today in a worker; the page is read again when it is done,
when anyone's change lands (the audit trail's latest mark is polled every few seconds), and when
the screen is shown again. The local time keeps ticking.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from followup.services.call_list import (
    DEFAULT_VIEW,
    VIEWS,
    CallPage,
    PatientCall,
    call_page,
    view_counts,
)
from followup.services.context import Context
from followup.ui.staff.call_sheet_export import CALL_SHEET_BINDING, CallSheetDialog
from followup.ui.staff.calls import CallOutcome, ask_and_log_call
from followup.ui.staff.messages import RecordsChanged
from followup.ui.staff.paged_list import PagedListScreen, PageReader
from followup.ui.staff.patient_form import NEW_PATIENT
from followup.ui.staff.worklist_rows import call_cells, call_line, columns_that_fit, summary_text
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import PlainTable

TICK_SECONDS = 30.0
VIEW_ORDER = tuple(VIEWS)


class CountsRead(Message):
    """How many patients each view holds, read after the page it goes with."""

    def __init__(self, counts: dict[str, int], generation: int) -> None:
        super().__init__()
        self.counts = counts
        self.generation = generation


class WorklistTable(PlainTable):
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


class WorklistScreen(PagedListScreen):
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
            tooltip="Today / this week / next 14 days / next 30 days / overdue",
        ),
        Binding(
            "p",
            "toggle_phone",
            "Phone",
            id="worklist.toggle_phone",
            tooltip="Show or hide the phone numbers",
        ),
        NEW_PATIENT,
        CALL_SHEET_BINDING,
        Binding("]", "page(1)", "Next page", id="worklist.next_page", tooltip="Next page"),
        Binding("[", "page(-1)", "Prev page", id="worklist.previous_page", tooltip="Previous page"),
        Binding(
            "ctrl+r",
            "evaluate",
            "Refresh",
            id="worklist.refresh",
            tooltip="Bring the call list up to date now",
            show=False,
        ),
    ]

    READ_DESCRIPTION = "Reading the worklist"
    EVALUATE_DESCRIPTION = "Bringing the call list up to date"

    def __init__(self) -> None:
        super().__init__(id="worklist")
        self.view = DEFAULT_VIEW
        self.data: CallPage | None = None
        self.shown: list[PatientCall] = []
        self.show_phone = False
        self.counts: dict[str, int] = {}  # how many each view holds, read after the page
        self.columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="worklist-bar", classes="bar"):
            yield Static("Loading the worklist…", id="worklist-summary")
        yield WorklistTable(id="worklist-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="worklist-call")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(WorklistTable).focus()
        self._set_columns()
        self.set_interval(TICK_SECONDS, self.tick)

    def on_resize(self, event: events.Resize) -> None:
        if self._set_columns():
            self.show_page(keep_cursor=False)

    # -- reading ---------------------------------------------------------------------------

    def page_reader(self) -> PageReader:
        """The current view's page, of the staff member's site."""
        return partial(
            _read_calls, view=self.view, page=self.page, page_size=self.PAGE_SIZE,
            site_id=self.staff.site_id,
        )  # fmt: skip

    def page_rows(self, page: CallPage) -> list[PatientCall]:
        """The page's calls, one per patient."""
        return list(page.calls)

    def after_read(self, ctx: Context, page: CallPage, generation: int) -> None:
        """The other views' sizes for the summary line, once the page is on its way."""
        counts = view_counts(ctx, self.staff.site_id, page.today)
        self.post_message(CountsRead(counts, generation))

    def on_counts_read(self, message: CountsRead) -> None:
        if message.generation == self.generation:
            self.counts = message.counts
            self.summarise()

    def tick(self) -> None:
        """The patients' clocks move on: redraw their local times."""
        if self.is_current and self.shown:
            self.show_page(keep_cursor=True)

    # -- showing ---------------------------------------------------------------------------

    def _set_columns(self) -> bool:
        """Keep the columns that fit the terminal, dropping the least important first; True
        when the set changed."""
        wanted = columns_that_fit(self.size.width or 120, self.show_phone)
        keys = tuple(c[0] for c in wanted)
        if keys == self.columns:
            return False
        self.columns = keys
        table = self.query_one(WorklistTable)
        table.clear(columns=True)
        for key, title, width_, _priority in wanted:
            table.add_column(title, key=key, width=width_)
        return True

    def show_page(self, keep_cursor: bool = False) -> None:
        """The page's calls, in the columns that fit."""
        table = self.query_one(WorklistTable)
        cursor = table.cursor_row if keep_cursor else 0
        table.clear()
        now = self.ctx.now()
        today = self.data.today if self.data else self.ctx.today()
        self.shown = [call.with_time(now) for call in self.shown]
        for n, call in enumerate(self.shown):
            cells = call_cells(call, today)
            table.add_row(*(cells[key] for key in self.columns), key=str(n))
        if self.shown:
            table.move_cursor(row=min(max(cursor, 0), len(self.shown) - 1))
        self._describe_current()
        self.summarise()
        self.refresh_bindings()

    def _describe_current(self) -> None:
        """The highlighted call in words under the list (empty with nothing to call)."""
        call = self._current()
        line: Text | str = ""
        if call is not None and self.data is not None:
            with_phone = self.show_phone and "phone" not in self.columns
            line = call_line(call, self.data.today, with_phone)
        self.query_one("#worklist-call", Static).update(line)

    def summarise(self) -> None:
        """The view, which rows of how many, the other views' sizes, and "updating…"."""
        first = self.page * self.PAGE_SIZE + 1
        text = summary_text(self.view, self.data, first, len(self.shown), self.counts)
        if self.evaluating:
            text.append(" · updating…")
        self.query_one("#worklist-summary", Static).update(text)

    def action_next_view(self) -> None:
        self.view = VIEW_ORDER[(VIEW_ORDER.index(self.view) + 1) % len(VIEW_ORDER)]
        self.page = 0
        self.read_page()

    def action_toggle_phone(self) -> None:
        self.show_phone = not self.show_phone
        self._set_columns()
        self.show_page(keep_cursor=True)

    def action_export_call_sheet(self) -> None:
        self.app.push_screen(CallSheetDialog(self.view))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row keys only with calls shown; paging keys only across pages."""
        if action in ("log_call", "enter_assessment"):
            return bool(self.shown) or None
        if action == "page":
            return self.paging_allowed(parameters)
        return True

    # -- row actions -----------------------------------------------------------------------

    def _current(self) -> PatientCall | None:
        table = self.query_one(WorklistTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._describe_current()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        call = self._current()
        if call is not None:
            self.open_patient(call.patient_id)

    def action_log_call(self) -> None:
        call = self._current()
        if call is None:
            return
        first = call.first
        ask_and_log_call(
            self, first.patient_id, first.name, first.phone, first.patient_local_time,
            lambda outcome: CallLogged(first.patient_id, outcome),
        )  # fmt: skip

    def on_call_logged(self, message: CallLogged) -> None:
        self.notify(f"Call logged: {fmt.outcome(message.call.outcome)}.")
        self.app.post_message(RecordsChanged(message.patient_id))

    def action_enter_assessment(self) -> None:
        from followup.ui.staff.phone_entry import PhoneEntryScreen

        call = self._current()
        if call is None:
            return
        first = call.first

        def done(saved: object) -> None:
            if saved is not None:
                self.app.post_message(RecordsChanged(first.patient_id))

        knees = tuple(k.knee for k in call.knees)
        entry = PhoneEntryScreen(
            first.patient_id,
            first.name,
            knee=first.knee if len(knees) == 1 else None,
            phone=first.phone,
            treated_knees=knees,
        )
        self.app.push_screen(entry, done)


def _read_calls(
    ctx: Context, view: str, page: int, page_size: int, site_id: str | None
) -> CallPage:
    return call_page(ctx, view, page=page, page_size=page_size, site_id=site_id, with_counts=False)


class CallLogged(Message):
    """A call from the worklist was logged."""

    def __init__(self, patient_id: str, call: CallOutcome) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.call = call
