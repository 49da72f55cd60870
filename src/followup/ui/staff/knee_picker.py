"""The first step of a phone entry: which knee the questionnaire is about, each knee marked with
its latest treatment or "no treatment on record", and the question asked before a form is
entered for an untreated knee (it starts no episode, so it is most often the wrong knee)."""

from __future__ import annotations

from datetime import date

from textual.message import Message

from followup.domain.records import KNEES

KNEE_KEYS = {"left": "l", "right": "r"}


class TreatmentsRead(Message):
    """The patient's treated knees were read: each with its latest treatment's day."""

    def __init__(self, latest: dict[str, date]) -> None:
        super().__init__()
        self.latest = latest


def knee_choices(
    latest: dict[str, date | None] | None,
    suggested: str | None,
    treated_knees: tuple[str, ...] = (),
) -> str:
    """One line per knee: its key, and what is on record for it (the day of a treated knee's
    latest treatment, None when unknown). ``latest`` None: not read yet, so only what the
    caller knew (``treated_knees``) is shown."""
    lines = []
    for knee in KNEES:
        if latest is None:
            notes = ["treated"] if knee in treated_knees else ["checking the record…"]
        elif knee in latest:
            day = latest[knee]
            notes = [f"treated {day.isoformat()}" if day else "treated"]
        else:
            notes = ["no treatment on record"]
        if knee == suggested:
            notes.append("suggested · Enter")
        lines.append(f"  {KNEE_KEYS[knee]}   {knee + ' knee':<10}  ({', '.join(notes)})")
    return "\n".join(lines)


def untreated_question(knee: str) -> str:
    """Asked before the items start for a knee with no treatment on record."""
    return (
        f"No treatment of the {knee} knee is on record for this patient. "
        "Enter a questionnaire for it anyway?"
    )
