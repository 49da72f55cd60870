"""What the patient screen shows, as rows and text built from its read models: the treatments
(one struck through when entered in error, with why), the assessments, the contacts at the
patient's own time, the knee's flags over time (open ones with their evidence, decided ones with
the decision, who, when and why, cleared ones with the reason, and what raised one again), and
one assessment in full in a dialog.

Text, not widgets, wherever it can be: widgets are what makes opening a patient slow.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, Static

from followup.services.flag_history import FlagEvent
from followup.services.patient_record import (
    AssessmentLine,
    CallLine,
    PatientDetail,
    TreatmentLine,
)
from followup.services.review_queue import FlagView
from followup.ui.staff.evidence import decision_line, evidence_lines, flag_heading
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import OkDialog

STATUS_WORDS = {"open": "open", "closed": "decided", "cleared": "cleared"}


def treatment_row(t: TreatmentLine) -> tuple[object, ...]:
    """A treatment as the overview's table shows it; struck through when entered in error."""
    style = "dim strike" if t.entered_in_error else ""
    cells = (
        t.knee, t.treated_on.isoformat(), fmt.product(t.product), fmt.number(t.cells_millions),
        fmt.words(t.route), fmt.number(t.kl_grade), fmt.number(t.banked_doses),
        t.booster_of or fmt.DASH, t.id,
    )  # fmt: skip
    status = Text(f"ENTERED IN ERROR: {t.error_reason}", style="dim") if t.entered_in_error else ""
    return (*(Text(str(c), style=style) for c in cells), status)


def treatment_summary(d: PatientDetail) -> str:
    """Per knee: how many treatments and boosters, and the latest."""
    lines = []
    for knee in ("left", "right"):
        ts = [t for t in d.treatments_of(knee) if not t.entered_in_error]
        if not ts:
            continue
        boosters = sum(1 for t in ts if t.booster_of)
        last = ts[-1]
        lines.append(
            f"{knee.capitalize()} knee: {fmt.plural(len(ts), 'treatment')}, "
            f"{fmt.plural(boosters, 'booster')}; latest {last.treated_on.isoformat()} "
            f"{fmt.product(last.product)}, KL {fmt.number(last.kl_grade)}, banked doses left "
            f"{fmt.number(last.banked_doses)}"
        )
    return "\n".join(lines) if lines else "No treatment recorded."


def call_summary(calls: tuple[CallLine, ...], today: date) -> Text:
    """The overview's next calls: each knee's follow-up or confirmation call, its window and
    whether it is overdue, and why a confirmation call is asked for."""
    text = Text("\nNext calls\n", style="bold")
    if not calls:
        return text + "No call to make."
    for i, line in enumerate(calls):
        c, status = line.call, line.call.status(today)
        text.append("\n" if i else "")
        text.append(f"{line.knee.capitalize()} knee: {fmt.call_name(c.timepoint)}, window ")
        text.append(fmt.call_window(c.window_start, c.window_end, today))
        text.append(f" · {status}", style="bold red" if status == "overdue" else "")
        if c.reason:
            text.append(f"\n  {fmt.call_reason(c.reason)}")
    return text


def open_flag_summary(flags: tuple[FlagView, ...]) -> Text:
    """The overview's list of open flags."""
    text = Text("\nOpen flags\n", style="bold")
    if not flags:
        return text + "No open flag."
    return text + "\n".join(f"{flag_heading(f)}\n  {f.summary}" for f in flags)


def assessment_row(a: AssessmentLine) -> tuple[object, ...]:
    """An assessment as its tab's table shows it; struck through when entered in error (the
    whole row: at 80 columns the Status column is off the screen)."""
    style = "dim strike" if a.entered_in_error else ""
    status = (
        Text(f"ENTERED IN ERROR: {a.error_reason or ''}", style=style)
        if a.entered_in_error
        else Text("valid" if a.total is not None else "not valid")
    )
    cells = (
        a.assessed_on.isoformat(), a.knee, fmt.words(a.source), fmt.score(a.pain),
        fmt.score(a.stiffness), fmt.score(a.function), fmt.score(a.total),
        fmt.number(a.pain_nrs), fmt.number(a.patient_global), f"{a.answered}/24",
    )  # fmt: skip
    adverse = Text(
        a.adverse_event or "", style=style or "bold red", overflow="ellipsis", no_wrap=True
    )
    return (*(Text(str(c), style=style) for c in cells), adverse, status)


def flag_history_text(history: list[FlagEvent], open_flags: tuple[FlagView, ...]) -> Text:
    """Every flag of the patient, newest first: open ones with their evidence, then what
    became of the others. One Text for all: the tab stays quick to draw."""
    body = Text()
    if not history:
        return body + "No flag has been raised for this patient."
    evidence = {f.id: f for f in open_flags}
    for e in history:
        status = STATUS_WORDS.get(e.status, e.status)
        style = fmt.LEVEL_STYLES.get(e.level, "") if e.status == "open" else "dim"
        head = (
            f"▌ {e.level.upper()} · {fmt.words(e.kind)} · {e.knee} knee · raised "
            f"{e.raised_on.isoformat()} · {status}"
        )
        if e.status == "cleared" and e.closed_reason:
            head += f" ({e.closed_reason})"
        body.append(head + "\n", style=style)
        body.append("▌ " + e.summary + "\n")
        if e.reraised_after:
            r = e.reraised_after
            body.append(
                f"▌ raised again after the decision “{fmt.words(r.get('decision'))}” of "
                f"{r.get('decided_on')}, by newer evidence of {r.get('newer_evidence_on')}\n",
                style="italic",
            )
        for d in e.decisions:
            in_force = d.status == "in_force"
            body.append("▌ " + decision_line(d) + "\n", style="bold" if in_force else "")
        shown = evidence.get(e.id)
        if shown is not None:
            for line in evidence_lines(shown.evidence):
                body.append("▌   " + line + "\n", style="dim")
        body.append("\n")
    return body


def assessment_text(a: AssessmentLine) -> str:
    """One assessment in full: its scores, the adverse event and the note whole, who entered
    it and when, and why it no longer counts when entered in error."""
    lines = [
        f"{a.assessed_on.isoformat()} · {a.knee} knee · {fmt.words(a.source)}",
        f"Pain {fmt.score(a.pain)} · stiffness {fmt.score(a.stiffness)} · function "
        f"{fmt.score(a.function)} · total {fmt.score(a.total)} (0 best, 100 worst)",
        f"Items answered {a.answered} of 24"
        + (f", {a.imputed} filled in from the subscale's other answers" if a.imputed else ""),
        f"Pain today (0-10) {fmt.number(a.pain_nrs)} · overall rating "
        f"{fmt.number(a.patient_global)}",
        f"Adverse event: {a.adverse_event or 'none reported'}",
        f"Note: {a.note or fmt.DASH}",
        f"Entered by {a.created_by}" + (f" on {fmt.moment(a.created_at)}" if a.created_at else ""),
    ]
    if a.entered_in_error:
        lines.append(f"ENTERED IN ERROR, no longer counted: {a.error_reason or fmt.DASH}")
    return "\n".join(lines)


class AssessmentDialog(OkDialog):
    """One assessment in full (Enter on its row)."""

    def __init__(self, assessment: AssessmentLine) -> None:
        super().__init__()
        self.assessment = assessment

    def compose_body(self) -> ComposeResult:
        yield Label("Assessment", classes="dialog-title")
        yield Static(assessment_text(self.assessment), id="assessment-detail", markup=False)
