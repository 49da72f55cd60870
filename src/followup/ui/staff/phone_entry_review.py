"""The review step of a phone entry and the dialog after saving: the subscale scores, the 24
answers and the optional fields as the coordinator reads them back before anything is saved."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.widgets import Label, Static

from followup.domain.instrument import ITEM_KEYS, SUBSCALES
from followup.domain.scoring import Scores
from followup.services.record_assessment import AssessmentEntry, SavedAssessment
from followup.ui.staff.phone_entry_day import describe_day
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import OkDialog


def describe_scores(scores: Scores) -> list[str]:
    """One line per subscale and the total, saying plainly when one is not valid."""
    lines = []
    for subscale in SUBSCALES:
        s = getattr(scores, subscale.name)
        size = len(subscale.keys)
        if s.valid:
            extra = f", {s.imputed} filled in from the others" if s.imputed else ""
            lines.append(
                f"{subscale.name.capitalize():<10} {s.score:5.1f} / 100   "
                f"(raw {s.raw:g} of {subscale.raw_max}; {s.answered} of {size} answered{extra})"
            )
        else:
            lines.append(
                f"{subscale.name.capitalize():<10}   not valid   "
                f"({size - s.answered} of {size} items declined: too many to score)"
            )
    total = f"{scores.total:5.1f} / 100" if scores.total is not None else "  not valid"
    lines.append(f"{'Total':<10} {total}   ({scores.answered} of 24 answered)")
    return lines


def review_scores(name: str, entry: AssessmentEntry, scores: Scores, today: date) -> str:
    """Who, which knee, which day (with how long ago) and the scores the answers give."""
    return (
        f"{name} · {entry.knee} knee · phone · assessed on "
        f"{describe_day(entry.assessed_on, today)}\n\n" + "\n".join(describe_scores(scores))
    )


def review_answers(entry: AssessmentEntry) -> str:
    """The 24 answers in four rows of six, a declined item shown as a dash."""
    cells = []
    for n, key in enumerate(ITEM_KEYS, start=1):
        value = entry.answers.get(key)
        cells.append(f"{n:>2} {key.upper():<3} {'–' if value is None else value}")
    rows = ["   ".join(cells[i : i + 6]) for i in range(0, len(cells), 6)]
    return "\nAnswers (– = declined):\n" + "\n".join(rows)


def review_extras(entry: AssessmentEntry) -> str:
    """Pain now, the overall rating, the adverse event and the note as entered."""
    return (
        f"\nPain now: {fmt.number(entry.pain_nrs)} / 10 · overall: "
        f"{fmt.number(entry.patient_global)} / 100\n"
        f"Adverse event: {entry.adverse_event or 'none'}\nNote: {entry.note or fmt.DASH}"
    )


def review_problem(entry: AssessmentEntry, scores: Scores) -> str:
    """What the coordinator must know before saving: nothing to save, or an urgent flag coming."""
    if scores.answered == 0:
        return "Every item was declined: there is nothing to save. Press q to change."
    if entry.adverse_event:
        return "An adverse event is recorded: this raises an urgent safety flag."
    return ""


class SavedDialog(OkDialog):
    """What was saved, and any flag this form raised (those need attention now)."""

    BOX_CLASSES = "dialog saved-dialog"

    def __init__(self, saved: SavedAssessment) -> None:
        super().__init__()
        self.saved = saved

    def compose_body(self) -> ComposeResult:
        """The scores saved, then each new flag by level, or that none was raised."""
        new = [f for f in self.saved.open_findings if f.kind in self.saved.new_kinds]
        yield Label("Assessment saved", classes="dialog-title")
        yield Static("\n".join(describe_scores(self.saved.scores)), markup=False)
        if new:
            yield Label(f"New flag{'s' if len(new) > 1 else ''}:", classes="warning")
            for finding in new:
                yield Static(
                    f"{finding.level.upper()} · {finding.summary}",
                    classes=f"flag-{finding.level}",
                    markup=False,
                )
        else:
            yield Static("No new flag.", classes="hint")
