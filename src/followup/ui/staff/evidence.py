"""A flag's evidence as terminal lines, in the words of the review packet (reports.evidence):
one line per domain (before treatment → best level → latest, signal level, share lost), then the
notes (what fired, the response, the run, the trend, the confirmation call, events, missed
visits, a decision it was raised again after). Keys not known are listed, never dropped."""

from __future__ import annotations

from typing import Any

from followup.reports.evidence import DASH, domain_rows, notes
from followup.services.decide import DecisionView
from followup.services.review_queue import FlagView
from followup.ui.widgets import formatting as fmt


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    """The numbers, then the notes, each a line."""
    lines = []
    for r in domain_rows(evidence):
        parts = [f"before treatment {r.baseline}"] if r.baseline != DASH else []
        parts.append(f"best level {r.best}" + (f" ({r.best_on})" if r.best_on != DASH else ""))
        if r.improvement != DASH:
            parts[-1] += f", improved {r.improvement}"
        if r.latest != DASH:
            parts.append(f"latest {r.latest} ({r.latest_on})")
        extras = []
        if r.signal_level != DASH:
            extras.append(f"signal level {r.signal_level}")
        if r.lost != DASH:
            extras.append(r.lost)
        if r.responded != DASH:
            extras.append("responded" if r.responded == "yes" else "did not respond")
        lines.append(f"{r.domain}: " + " → ".join(parts) + "".join(f" · {e}" for e in extras))
    lines.extend(notes(evidence))
    return lines


def flag_heading(flag: FlagView) -> str:
    """Level, kind, knee, raised day and the booster check day when there is one."""
    check_by = flag.booster_check_by
    return (
        f"{flag.level.upper()} · {flag.kind.replace('_', ' ')} · {flag.knee} knee · "
        f"raised {flag.raised_on.isoformat()}"
        + (f" · booster check by {check_by.isoformat()}" if check_by else "")
    )


def decision_line(d: DecisionView) -> str:
    """'Decided: refer, by doctor on 2026-11-21 15:00: "seen by ortho"', and how it ended."""
    label = fmt.DECISION_LABELS.get(d.decision, d.decision)
    booked = f" (booked for {d.until.isoformat()})" if d.until else ""
    line = f"Decided: {label}{booked}, by {d.reviewer} on {fmt.moment(d.decided_at)}: “{d.note}”"
    if d.status != "in_force" and d.ended_at is not None:
        line += (
            f" · {d.status} by {d.ended_by} on {fmt.moment(d.ended_at)}: “{d.ended_reason or ''}”"
        )
    return line
