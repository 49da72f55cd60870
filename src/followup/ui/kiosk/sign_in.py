"""The first screen: the patient's ID, then their personal code. The code service counts wrong
attempts in the database and words every refusal alike (unknown ID, wrong code, locked,
expired), so it reveals nothing about other patients; the screen answers each alike too."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from followup.domain.instrument import Instrument
from followup.services.context import Context
from followup.services.patient_codes import CodeRefused, verify_code
from followup.services.self_report import KneeInFollowUp, knees_in_follow_up
from followup.store.fields import CLINIC_ID
from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.words import NOT_AVAILABLE, problem_message
from followup.ui.widgets.fields import MovesOnInput

NO_KNEE = (
    "You are signed in, but there is no knee treatment on record for you yet. "
    "Please ask the clinic staff."
)


class SignInScreen(KioskScreen):
    """Asks for the patient ID and the personal code, then signs the patient in."""

    AUTO_FOCUS = "#patient-id"

    class SignedIn(Message):
        """The code was right; the patient's knees in follow-up are attached."""

        def __init__(
            self, patient_id: str, knees: tuple[KneeInFollowUp, ...], instrument: Instrument
        ) -> None:
            super().__init__()
            self.patient_id = patient_id
            self.knees = knees
            self.instrument = instrument

    class Refused(Message):
        """The code service refused; ``text`` is its patient-safe message, the same whatever
        the reason (so the screen too answers every refusal alike)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def compose_body(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static(
                "Welcome. Please sign in with your patient ID and the personal code "
                "the clinic gave you.",
                classes="lead",
            )
            yield Label("Your patient ID")
            yield MovesOnInput(
                id="patient-id",
                next_field="#code",
                # Only what the one ID rule allows can be typed (a patient ID is never longer).
                max_length=CLINIC_ID.longest,
                restrict=f"[{re.escape(CLINIC_ID.allowed)}]*",
            )
            yield Label("Your personal code")
            yield Input(id="code", password=True, max_length=20)
            yield Static("Type each one and press Enter.", classes="hint")

    def on_mount(self) -> None:
        self.in_thread(self._check_available, "Open the database")

    def _check_available(self, ctx: Context) -> None:
        ctx.instrument  # noqa: B018 - read the wording file now rather than mid-visit

    @property
    def is_pristine(self) -> bool:
        """Nothing typed, nothing shown: an idle reset would change nothing."""
        fields = self.query(Input)
        message = str(self.query_one("#message", Static).render())
        return all(not f.value for f in fields) and not message

    @on(Input.Submitted, "#code")
    def _code_entered(self, event: Input.Submitted) -> None:
        patient_id = self._patient_id
        code = event.value.strip()
        if not patient_id:
            self.query_one("#patient-id", Input).focus()
            return
        if not code:
            return
        self._set_busy(True)
        self.say("Checking your code...")
        self.in_thread(lambda ctx: self._sign_in(ctx, patient_id, code), "Sign in")

    def _sign_in(self, ctx: Context, patient_id: str, code: str) -> None:
        try:
            signed_in = verify_code(ctx, patient_id, code)
        except CodeRefused as refused:
            self.post_message(self.Refused(str(refused)))
            return
        knees = tuple(knees_in_follow_up(ctx, signed_in))
        self.post_message(self.SignedIn(signed_in, knees, ctx.instrument))

    def on_sign_in_screen_refused(self, message: Refused) -> None:
        self.kiosk.sign_in_refused()
        self._set_busy(False)
        self.say(message.text)
        self.query_one("#code", Input).clear()
        self.query_one("#code", Input).focus()

    def on_sign_in_screen_signed_in(self, message: SignedIn) -> None:
        if not message.knees:
            self._set_busy(False)
            self._clear()
            self.say(NO_KNEE)
            return
        self.kiosk.signed_in(message.patient_id, message.knees, message.instrument)

    def database_failed(self, error: BaseException | None) -> None:
        """Say the database cannot be reached and put the cursor back where to retry."""
        self._set_busy(False)
        self.say(problem_message(error, NOT_AVAILABLE))
        self.query_one("#patient-id" if self._patient_id == "" else "#code", Input).focus()

    @property
    def _patient_id(self) -> str:
        # Spaces only: str.strip() would also take \x1c-\x1f and \x85 off an ID set past
        # the field's restriction, turning "P1\x1f" into P1.
        return self.query_one("#patient-id", Input).value.strip(" ")

    def _clear(self) -> None:
        for field in self.query(Input):
            field.clear()
        self.query_one("#patient-id", Input).focus()

    def _set_busy(self, busy: bool) -> None:
        for field in self.query(Input):
            field.disabled = busy
