"""Small dialogs: an error, a yes/no question, a required reason or note, and a self-report code
shown once."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from followup.services.patient_codes import IssuedCode
from followup.store.models import MAX_TEXT
from followup.ui.widgets.fields import OneLineInput


class OkDialog(ModalScreen[None]):
    """A dialog that only informs: OK, Enter or Escape closes it. Subclasses compose the body
    (``compose_body``) and name the box's CSS classes."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="dialog.close", tooltip="Close")]
    BOX_CLASSES = "dialog"

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes=self.BOX_CLASSES):
            yield from self.compose_body()
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ErrorDialog(OkDialog):
    """Shows a failure. The message is either a service's own (safe to show) or generic."""

    BOX_CLASSES = "dialog error-dialog"

    def __init__(self, message: str, title: str = "Something went wrong") -> None:
        super().__init__()
        self.message = message
        self.title_text = title

    def compose_body(self) -> ComposeResult:
        yield Label(self.title_text, classes="dialog-title", markup=False)
        yield Static(self.message, id="error-message", markup=False)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; ``y`` or Enter confirms, ``n`` or Escape refuses."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Go back"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, id="question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextDialog(ModalScreen[str | None]):
    """Asks for a line of text (a reason, a note). When ``required``, an empty answer is refused
    with a message naming the ``field`` rather than accepted; Escape cancels and returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="text.cancel", tooltip="Cancel")]

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        required: bool = True,
        placeholder: str = "",
        max_length: int = MAX_TEXT,
        value: str = "",
        field: str = "reason",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.field = field
        self.prompt = prompt
        self.required = required
        self.placeholder = placeholder
        self.max_length = max_length
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.prompt, markup=False)
            yield OneLineInput(
                value=self.value,
                placeholder=self.placeholder,
                max_length=self.max_length,
                id="text",
            )
            yield Static("", id="text-problem", classes="problem", markup=False)
            yield Static("Enter: confirm · Escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.required and not text:
            self.query_one("#text-problem", Static).update(f"{self.field}: cannot be left empty.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CodeDialog(ModalScreen[None]):
    """Shows a new self-report code. It is stored only as a hash, so this is the only time
    anyone can read it."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="code.close", tooltip="Close")]

    def __init__(self, issued: IssuedCode) -> None:
        super().__init__(classes="dialog-screen")
        self.issued = issued

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Self-report code", classes="dialog-title")
            yield Static(f"Patient {self.issued.patient_id}", markup=False)
            yield Static(self.issued.code, id="code", classes="big-code", markup=False)
            yield Static(
                f"Valid until {self.issued.expires_at}. Give it to the patient now: it is shown "
                "only once. Any earlier code no longer works.",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Done", variant="primary", id="done")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
