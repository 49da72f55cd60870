"""Writing the worklist's current view as a call sheet (``x`` on the worklist): a small dialog
for the format (HTML to print, CSV for a spreadsheet) and the file, which then writes the sheet
itself in a worker (``services.call_sheet``, ``reports.call_sheet``), readable by its owner only.

The dialog stays open until the file is written, so a path that cannot be written (a folder
that does not exist) is corrected in place; the error itself is shown by the app.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from followup.services.call_list import VIEWS
from followup.services.call_sheet import read_call_sheet
from followup.services.context import Context
from followup.ui.staff.base import StaffModal

SHEET_FORMATS = {"html": "HTML: a page to print", "csv": "CSV: for a spreadsheet"}
# The worklist's key (its action opens ``CallSheetDialog`` on the view shown).
CALL_SHEET_BINDING = Binding(
    "x",
    "export_call_sheet",
    "Call sheet",
    id="worklist.export_call_sheet",
    tooltip="Write this view's calls to a file: a sheet to print (HTML) or CSV",
)


class CallSheetWritten(Message):
    """The call sheet was written: ``calls`` rows to ``path``."""

    def __init__(self, calls: int, path: Path) -> None:
        super().__init__()
        self.calls = calls
        self.path = path


class CallSheetDialog(StaffModal):
    """Format (h or c) and file for one view's call sheet; Enter writes, Escape cancels."""

    BINDINGS = [
        *(
            Binding(
                f[0], f"format('{f}')", f.upper(), id=f"call_sheet.{f}", tooltip=SHEET_FORMATS[f]
            )
            for f in SHEET_FORMATS
        ),
        Binding("escape", "cancel", "Cancel", id="call_sheet.cancel", tooltip="Write nothing"),
    ]

    def __init__(self, view: str) -> None:
        super().__init__(classes="dialog-screen")
        self.view = view
        self.format = "html"
        self.writing = False

    def _default_path(self, fmt_name: str) -> str:
        day = self.ctx.today().isoformat()
        return str(Path.home() / f"followup-calls-{self.view}-{day}.{fmt_name}")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"Call sheet · {VIEWS[self.view][0]} · as of {self.ctx.today().isoformat()}",
                classes="dialog-title",
                markup=False,
            )
            yield Static("It holds patients' names and phone numbers: keep the file safe.")
            yield OptionList(
                *(Option(f"{f[0]}  {label}", id=f) for f, label in SHEET_FORMATS.items()),
                id="sheet-formats",
            )
            yield Input(value=self._default_path("html"), id="sheet-path")
            yield Static("", id="sheet-problem", classes="problem", markup=False)
            yield Static(
                "↑↓ or h/c: format · Tab: file name · Enter: write · Escape: cancel",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#sheet-formats", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Format keys are letters of the file name while the name is being typed."""
        if action == "format" and self.query_one("#sheet-path", Input).has_focus:
            return False  # letters belong to the file name while it is being typed
        return True

    def action_format(self, name: str) -> None:
        self.query_one("#sheet-formats", OptionList).highlighted = list(SHEET_FORMATS).index(name)

    @on(OptionList.OptionHighlighted, "#sheet-formats")
    def _format(self, event: OptionList.OptionHighlighted) -> None:
        new = event.option.id or "html"
        path = self.query_one("#sheet-path", Input)
        if path.value == self._default_path(self.format):
            path.value = self._default_path(new)
        self.format = new

    @on(OptionList.OptionSelected, "#sheet-formats")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on the format writes to the file name shown (Tab edits it first)."""
        event.stop()
        self.format = event.option.id or self.format
        self._write_to(self.query_one("#sheet-path", Input).value)

    @on(Input.Submitted, "#sheet-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._write_to(event.value)

    def _write_to(self, value: str) -> None:
        if self.writing:
            return
        if not value.strip():
            self.query_one("#sheet-problem", Static).update("Give the file to write.")
            self.query_one("#sheet-path", Input).focus()
            return
        self.writing = True
        self.query_one("#sheet-problem", Static).update("Writing…")
        path = Path(value.strip()).expanduser()
        self._write(self.ctx, self.view, self.format, path, self.staff.site_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="call-sheet",
          description="Writing the call sheet")  # fmt: skip
    def _write(
        self, ctx: Context, view: str, fmt_name: str, path: Path, site_id: str | None
    ) -> None:
        # Rendering is imported late, like the packet's templates.
        from followup.reports.call_sheet import render
        from followup.reports.files import write_private

        sheet = read_call_sheet(ctx, view=view, site_id=site_id)
        write_private(path, render(sheet, fmt_name))
        self.post_message(CallSheetWritten(len(sheet.calls), path))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # What went wrong is shown by the app (WorkerErrors' handler runs too); here the
        # dialog stays, for another file name.
        if event.state == WorkerState.ERROR:
            self.writing = False
            self.query_one("#sheet-problem", Static).update(
                "Not written. Correct the file name and press Enter, or Escape."
            )
            self.query_one("#sheet-path", Input).focus()

    def on_call_sheet_written(self, message: CallSheetWritten) -> None:
        self.app.notify(f"Call sheet written: {message.calls} calls → {message.path}", markup=False)
        self.dismiss(message.path)

    def action_cancel(self) -> None:
        if not self.writing:
            self.dismiss(None)
