"""What the staff forms share (a patient's details, a treatment): each field in a row
(``#row-F`` holding ``#f-F``, its refusal under it in ``#problem-F``), the form's refusal on the
line above the keys (``#form-problem``, in sight while the fields scroll), Save and Cancel
buttons, a save in a worker, and leaving with something typed asking first."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from followup.ui.staff.base import StaffScreen
from followup.ui.widgets.dialogs import ConfirmDialog


class StaffForm(StaffScreen):
    """A form screen; a subclass names its fields (``field_names``), reads them (``raw``) and
    saves in a worker of group ``SAVE_GROUP`` started with ``start_saving``."""

    SAVE_GROUP: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.saving = False
        self.initial: dict[str, Any] = {}

    @property
    def field_names(self) -> list[str]:
        """The form's fields, in order."""
        raise NotImplementedError

    def raw(self) -> dict[str, Any]:
        """Each field as the form holds it."""
        raise NotImplementedError

    def action_save(self) -> None:
        """Check what the form holds and save it."""
        raise NotImplementedError

    @property
    def has_unsaved_entry(self) -> bool:
        """Whether anything typed would be lost by leaving now."""
        return self.is_mounted and not self.saving and self.raw() != self.initial

    def show_problem(self, field: str | None, message: str) -> None:
        """Show a refusal under its field (marked) and on the line above the keys; an empty
        message clears the field's, and the line's when it was that field's."""
        if field is not None and field in self.field_names:
            problem = self.query_one(f"#problem-{field}", Static)
            if not message and problem.has_class("shown"):
                self.query_one("#form-problem", Static).update("")
            problem.update(message)
            problem.set_class(bool(message), "shown")
            self.query_one(f"#row-{field}").set_class(bool(message), "refused")
        if message:
            self.query_one("#form-problem", Static).update(f"Not saved: {message}")

    def clear_problems(self) -> None:
        """No refusal shown anywhere (a new attempt to save)."""
        for field in self.field_names:
            self.show_problem(field, "")
        self.query_one("#form-problem", Static).update("")

    def start_saving(self, worker: Any, *args: Any) -> None:
        """Start the saving ``worker`` with ``args``; the form says so meanwhile."""
        self.saving = True
        self.query_one("#form-problem", Static).update("Saving…")
        worker(*args)

    def refused(self, field: str | None, message: str) -> None:
        """The save was refused: show why, and take the cursor to the field it names."""
        self.saving = False
        self.show_problem(field, message)
        if field in self.field_names:
            widget = self.query_one(f"#f-{field}")
            if not widget.disabled:
                widget.focus()
            widget.scroll_visible()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is reported by the app (WorkerErrors); the form stays, as typed.
        if event.state == WorkerState.ERROR and event.worker.group == self.SAVE_GROUP:
            self.saving = False
            self.query_one("#form-problem", Static).update("Not saved.")

    def action_cancel(self) -> None:
        """Leave the form; when something typed would be lost, ask first."""
        if not self.has_unsaved_entry:
            self.dismiss(None)
            return

        def answer(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog("Leave this form? Nothing of it has been saved.", yes="Leave", no="Stay"),
            answer,
        )
