"""A flag's evidence in sentences a reviewer reads at a glance: the rule that fired, the
baseline, per domain baseline → best → latest with the threshold, the trend, the events or the
missed timepoints. Keys this module does not know are still listed, never dropped."""

from __future__ import annotations

from typing import Any

from followup.services.review_queue import FlagView

KNOWN = {
    "as_of",
    "baseline",
    "condition",
    "rule_set",
    "pain",
    "function",
    "stiffness",
    "responder",
    "events",
    "missed",
}


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return str(value)


def _domain(name: str, d: dict[str, Any]) -> list[str]:
    parts = [f"baseline {_num(d['baseline'])}" if "baseline" in d else None]
    if d.get("best") is not None:
        parts.append(f"best {_num(d['best'])} ({d.get('best_on', '?')})")
    if d.get("latest") is not None:
        parts.append(f"latest {_num(d['latest'])} ({d.get('latest_on', '?')})")
    line = f"{name.capitalize()}: " + " → ".join(p for p in parts if p)
    extras = []
    if d.get("fraction_lost") is not None and d.get("improvement"):
        extras.append(f"{d['fraction_lost'] * 100:.0f}% of the improvement lost")
    if d.get("signal_threshold") is not None:
        extras.append(f"signal at ≥ {_num(d['signal_threshold'])}")
    if d.get("signal_since"):
        extras.append(f"signalling since {d['signal_since']} ({d.get('signal_days', '?')} days)")
    if d.get("fired_by"):
        extras.append("fired by: " + "; ".join(d["fired_by"]))
    lines = [line + (" · " + " · ".join(extras) if extras else "")]
    trend = d.get("trend")
    if isinstance(trend, dict):
        lines.append(
            f"  trend: {_num(trend.get('points_per_period'))} points per "
            f"{trend.get('period_days', 90)} days over {trend.get('assessments', '?')} "
            f"assessments (limit {_num(trend.get('limit_points_per_period'))})"
            + (
                f"; reaches the threshold on {trend['reaches_threshold_on']}"
                if trend.get("reaches_threshold_on")
                else ""
            )
        )
    return lines


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    lines = []
    if evidence.get("condition"):
        lines.append(f"Rule: {evidence['condition']}")
    base = evidence.get("baseline")
    if isinstance(base, dict):
        values = ", ".join(
            f"{k.replace('patient_', '')} {_num(base[k])}"
            for k in ("pain", "stiffness", "function", "patient_global")
            if base.get(k) is not None
        )
        lines.append(f"Baseline ({base.get('date', '?')}): {values}")
    for name in ("pain", "function", "stiffness"):
        if isinstance(evidence.get(name), dict):
            lines.extend(_domain(name, evidence[name]))
    responder = evidence.get("responder")
    if isinstance(responder, dict) and responder.get("responded_on"):
        lines.append(f"Responded on {responder['responded_on']}: {responder.get('criterion', '')}")
    for event in evidence.get("events") or []:
        if isinstance(event, dict):
            lines.append(
                "Event: " + ", ".join(f"{k.replace('_', ' ')} {_num(v)}" for k, v in event.items())
            )
    for missed in evidence.get("missed") or []:
        if isinstance(missed, dict):
            lines.append(
                f"Missed {missed.get('timepoint')}: due {missed.get('due_on')} "
                f"(window {missed.get('window_start')} – {missed.get('window_end')})"
            )
    for key, value in evidence.items():
        if key in KNOWN or value is None:
            continue
        lines.append(f"{key.replace('_', ' ').capitalize()}: {_num(value)}")
    tail = f"Rule set {evidence.get('rule_set', '?')}"
    if evidence.get("as_of"):
        tail += f", evaluated as of {evidence['as_of']}"
    lines.append(tail)
    return lines


def flag_heading(flag: FlagView) -> str:
    return (
        f"{flag.level.upper()} · {flag.kind.replace('_', ' ')} · {flag.knee} knee · "
        f"raised {flag.raised_on.isoformat()}"
        + (
            f" · booster check by {flag.booster_check_by.isoformat()}"
            if flag.booster_check_by
            else ""
        )
    )
