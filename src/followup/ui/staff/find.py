"""Find a patient: a search box that answers as you type (ID prefix or name), Down/Enter to pick.
Each keystroke starts an exclusive worker, so only the latest query's answer is shown."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from followup.services.context import Context
from followup.services.find_patient import SEARCH_LIMIT, PatientHit, search_patients
from followup.ui.staff.base import StaffModal
from followup.ui.widgets.plain_table import plain


class PatientsFound(Message):
    """The answer to one query."""

    def __init__(self, query: str, hits: list[PatientHit]) -> None:
        super().__init__()
        self.query = query
        self.hits = hits


class FindPatientDialog(StaffModal):
    """Enter opens the highlighted patient (the app closes this dialog); Escape closes it."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="find.close", tooltip="Close without choosing"),
        Binding(
            "down",
            "to_results",
            "Results",
            id="find.results",
            tooltip="Move into the list of patients found",
            show=False,
        ),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.initial = query
        self.hits: list[PatientHit] = []
        self.shown_query = ""  # the query whose answer is on screen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog find-dialog"):
            yield Label("Find patient", classes="dialog-title")
            yield Input(
                value=self.initial,
                placeholder="patient ID (P0042) or part of the name",
                id="find-query",
                max_length=80,
            )
            yield OptionList(id="find-results")
            yield Static("Type to search · ↓ to the list · Enter opens", id="find-status")

    def on_mount(self) -> None:
        self.query_one("#find-query", Input).focus()
        if self.initial:
            self._search(self.ctx, self.initial, self.staff.site_id)

    @on(Input.Changed, "#find-query")
    def _changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if not text:
            self.workers.cancel_group(self, "find")
            self._show(PatientsFound("", []))
            return
        self._search(self.ctx, text, self.staff.site_id)

    @on(Input.Submitted, "#find-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self.hits) >= 1:
            results = self.query_one("#find-results", OptionList)
            index = results.highlighted if results.highlighted is not None else 0
            self.open_patient(self.hits[index].id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="find",
        description="Finding patients",
    )
    def _search(self, ctx: Context, text: str, site_id: str | None) -> None:
        self.post_message(PatientsFound(text, search_patients(ctx, text, site_id=site_id)))

    def on_patients_found(self, message: PatientsFound) -> None:
        current = self.query_one("#find-query", Input).value.strip()
        if message.query != current:
            return  # an older answer overtaken by typing
        self._show(message)

    def _show(self, message: PatientsFound) -> None:
        self.hits = message.hits
        self.shown_query = message.query
        results = self.query_one("#find-results", OptionList)
        results.clear_options()
        results.add_options(
            Option(plain(f"{h.id:<10} {h.name}  · born {h.birth_date.isoformat()}"), id=h.id)
            for h in self.hits
        )
        if self.hits:
            results.highlighted = 0
        status = self.query_one("#find-status", Static)
        if not message.query:
            status.update("Type to search · ↓ to the list · Enter opens")
        elif not self.hits:
            status.update("No patient found.")
        elif len(self.hits) >= SEARCH_LIMIT:
            status.update(f"First {SEARCH_LIMIT} matches: type more to narrow down.")
        else:
            status.update(f"{len(self.hits)} found · Enter opens the highlighted one")

    @on(OptionList.OptionSelected, "#find-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.open_patient(event.option.id)

    def action_to_results(self) -> None:
        if self.hits:
            self.query_one("#find-results", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
