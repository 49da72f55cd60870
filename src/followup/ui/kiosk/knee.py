"""Which knee today: shown only when both knees are in follow-up (one form is about one knee)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from followup.domain.instrument import Instrument
from followup.services.self_report import KneeInFollowUp
from followup.ui.kiosk.kiosk import KioskScreen
from followup.ui.kiosk.visit import Visit
from followup.ui.kiosk.words import knee_name, long_date


class KneeChoice(Static):
    """One knee to pick, by its key or by clicking it."""

    def __init__(self, key: str, knee: KneeInFollowUp) -> None:
        text = f"{key}   Your {knee_name(knee.knee)}  (treated on {long_date(knee.treated_on)})"
        super().__init__(text, classes="choice", markup=False, id=f"knee-{knee.knee}")
        self.knee = knee

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.screen.pick(self.knee.knee)  # type: ignore[attr-defined]


class KneeChoiceScreen(KioskScreen):
    """Asks which knee the questionnaire is about."""

    BINDINGS = [
        Binding("l,L", "pick('left')", "Left knee", id="selfreport.knee_left"),
        Binding("r,R", "pick('right')", "Right knee", id="selfreport.knee_right"),
    ]

    def __init__(
        self, patient_id: str, knees: tuple[KneeInFollowUp, ...], instrument: Instrument
    ) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.knees = {k.knee: k for k in knees}
        self.instrument = instrument

    def compose_body(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static("Which knee are you answering about today?", classes="lead")
            for knee in self.knees.values():
                yield KneeChoice(knee.knee[0].upper(), knee)
            yield Static("Press L for your left knee or R for your right knee.", classes="hint")

    def action_pick(self, knee: str) -> None:
        self.pick(knee)

    def pick(self, knee: str) -> None:
        """Begin the questions for the chosen knee, if it is one of the patient's."""
        chosen = self.knees.get(knee)
        if chosen is not None:
            self.kiosk.begin(
                Visit(self.patient_id, chosen.knee, chosen.treated_on, self.instrument)
            )
