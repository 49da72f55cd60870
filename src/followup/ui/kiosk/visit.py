"""One patient's visit to the kiosk, handed from screen to screen and dropped at the end, so
nothing of one patient stays behind for the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from followup.domain.instrument import Instrument


@dataclass(frozen=True)
class Visit:
    """One patient's self-report visit: who, which knee, its treatment day and the wording."""

    patient_id: str
    knee: str
    treated_on: date
    instrument: Instrument
    answers: dict[str, int | None] = field(default_factory=dict)
    problem: str | None = None
