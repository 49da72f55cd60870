"""Logging a call attempt: one letter picks the outcome, an optional note, Enter saves.
The dialog only collects the answer; the screen that opened it does the write in a worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from followup.domain.records import CONTACT_OUTCOMES
from followup.services.context import Context
from followup.services.log_call import log_contact
from followup.store.models import MAX_TEXT
from followup.ui.staff.base import StaffScreen
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.fields import OneLineInput

OUTCOME_KEYS = {
    "reached": "r",
    "voicemail": "v",
    "no_answer": "n",
    "wrong_number": "w",
    "declined": "d",
}


@dataclass(frozen=True)
class CallOutcome:
    """How a call went and the note taken."""

    outcome: str
    note: str | None


def _outcome_binding(outcome: str) -> Binding:
    return Binding(
        OUTCOME_KEYS[outcome],
        f"choose('{outcome}')",
        fmt.outcome(outcome),
        id=f"call.{outcome}",
        tooltip=f"The call's outcome: {fmt.outcome(outcome)}",
    )


class LogCallDialog(ModalScreen[CallOutcome | None]):
    """r reached · v voicemail · n no answer · w wrong number · d declined; then a note."""

    BINDINGS = [
        *(_outcome_binding(o) for o in CONTACT_OUTCOMES),
        Binding("escape", "cancel", "Cancel", id="call.cancel", tooltip="Close without logging"),
    ]

    def __init__(
        self,
        patient_id: str,
        name: str,
        phone: str | None = None,
        local_time: datetime | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.patient_id = patient_id
        self.patient_name = name
        self.phone = phone
        self.local_time = local_time
        self.outcome: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog call-dialog"):
            yield Label(f"Log a call · {self.patient_name} ({self.patient_id})", markup=False)
            when = fmt.clock(self.local_time) if self.local_time else "time zone unknown"
            yield Static(f"Phone {self.phone or fmt.DASH} · patient's time {when}", markup=False)
            yield OptionList(
                *(Option(f"{OUTCOME_KEYS[o]}  {fmt.outcome(o)}", id=o) for o in CONTACT_OUTCOMES),
                id="call-outcomes",
            )
            yield OneLineInput(placeholder="note (optional)", id="call-note", max_length=MAX_TEXT)
            yield Static(
                "Press the letter of the outcome, type a note if needed, Enter saves.",
                id="call-hint",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#call-outcomes", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Outcome keys are letters of the note while the note is being typed."""
        if action == "choose" and self.query_one("#call-note", Input).has_focus:
            return False  # letters belong to the note while it is being typed
        return True

    def action_choose(self, outcome: str) -> None:
        self.outcome = outcome
        options = self.query_one("#call-outcomes", OptionList)
        options.highlighted = CONTACT_OUTCOMES.index(outcome)
        self.query_one("#call-hint", Static).update(
            f"Outcome: {fmt.outcome(outcome)}. Type a note if needed; Enter saves, "
            "Shift+Tab changes the outcome."
        )
        self.query_one("#call-note", Input).focus()

    @on(OptionList.OptionSelected, "#call-outcomes")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.action_choose(event.option.id)

    @on(Input.Submitted, "#call-note")
    def _save(self, event: Input.Submitted) -> None:
        event.stop()
        if self.outcome is None:
            self.query_one("#call-hint", Static).update("Choose the outcome first (r v n w d).")
            self.query_one("#call-outcomes", OptionList).focus()
            return
        self.dismiss(CallOutcome(self.outcome, event.value.strip() or None))

    def action_cancel(self) -> None:
        self.dismiss(None)


def save_call(ctx: Context, patient_id: str, call: CallOutcome, actor: str) -> None:
    """Log a call made just now (runs in a worker). Stored at the clinic's own offset, so the
    contact log shows the caller's clock time."""
    log_contact(ctx, patient_id, call.outcome, actor, note=call.note, at=ctx.now().astimezone())


def ask_and_log_call(
    screen: StaffScreen,
    patient_id: str,
    name: str,
    phone: str | None,
    local_time: datetime | None,
    saved: Callable[[CallOutcome], Message],
) -> None:
    """Ask for a call's outcome (and note), then write it in a worker of ``screen``, which is
    sent ``saved(call)`` once it is stored. Nothing is written when the dialog is cancelled."""
    ctx, actor = screen.ctx, screen.staff.actor

    def write(call: CallOutcome) -> None:
        save_call(ctx, patient_id, call, actor)
        screen.post_message(saved(call))

    def chosen(call: CallOutcome | None) -> None:
        if call is not None:
            screen.run_worker(
                partial(write, call),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="log-call",
                description="Logging the call",
            )

    screen.app.push_screen(LogCallDialog(patient_id, name, phone, local_time), chosen)
