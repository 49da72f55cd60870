"""A flag's evidence in words a clinician reads without decoding, in one place for the packet and
the terminal: each domain's numbers as a row (before treatment, best level and its day, latest,
signal level, share of the improvement lost), and short notes (what fired, the response, the
confirmation call, the run, the events, the missed visits, a decision it was raised again after).

No developer notation: no ``>=``, no ``x baseline``, no question marks for what is not known (a
dash), one rounding for a percentage, and "worse than before treatment" instead of more than all
of the improvement lost. Keys it does not know are listed, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DASH = "–"
DOMAINS = ("pain", "function")
KNOWN = {
    "rule_set", "condition", "baseline", "pain", "function", "stiffness", "responder", "events",
    "missed", "last_assessment", "confirmation_call", "reraised_after", "missing",
    "lookback_days", "latest_readings", "expected_months", "durability_basis", "smoker_factor",
    "durability_ends_on", "window_opens_on", "banked_doses",
}  # fmt: skip


def score(value: Any) -> str:
    """A score in whole points; a dash when not known."""
    return f"{value:.0f}" if isinstance(value, int | float) else DASH


def share_lost(share: Any) -> str:
    """'45% of the improvement lost', or 'worse than before treatment' past all of it."""
    if not isinstance(share, int | float):
        return DASH
    if share > 1:
        return "worse than before treatment"
    return f"{share:.0%} lost"


def best_days(d: dict[str, Any]) -> str:
    """The days of the readings a best level is the mean of ('2026-03-02 and 2026-04-14'), or
    the day it was set on."""
    days = d.get("best_level_from")
    if isinstance(days, list) and days:
        return " and ".join(str(x) for x in days)
    return str(d.get("best_level_set_on") or DASH)


@dataclass(frozen=True)
class DomainRow:
    """One domain's numbers behind a flag."""

    domain: str
    baseline: str
    best: str
    best_on: str  # the days of the readings the best level is the mean of
    improvement: str
    latest: str
    latest_on: str
    signal_level: str
    lost: str
    responded: str


def domain_rows(evidence: dict[str, Any]) -> list[DomainRow]:
    """Pain's and function's numbers, then stiffness's when its rule fired."""
    rows = []
    for domain in DOMAINS:
        d = evidence.get(domain)
        if not isinstance(d, dict) or "baseline" not in d:
            continue
        responded = d.get("responded")
        rows.append(
            DomainRow(
                domain.capitalize(),
                score(d.get("baseline")),
                score(d.get("best_level")),
                best_days(d),
                f"{score(d.get('improvement'))} points" if "improvement" in d else DASH,
                score(d.get("latest")),
                str(d.get("latest_on") or DASH),
                score(d.get("signal_level")),
                share_lost(d.get("share_of_improvement_lost")),
                DASH if responded is None else ("yes" if responded else "no"),
            )
        )
    stiffness = evidence.get("stiffness")
    if isinstance(stiffness, dict) and "latest" in stiffness:
        latest = stiffness["latest"]
        shown = ", ".join(score(v) for v in latest) if isinstance(latest, list) else score(latest)
        rows.append(
            DomainRow(
                "Stiffness",
                DASH,
                score(stiffness.get("best_level")),
                str(stiffness.get("best_level_set_on") or DASH),
                shown,
                str(stiffness.get("latest_on") or DASH),
                f"{score(stiffness.get('best_level', 0) + stiffness.get('rise', 0))}",
                DASH,
                DASH,
            )  # fmt: skip
        )
    return rows


def notes(evidence: dict[str, Any]) -> list[str]:
    """What else a reviewer should read: the rule that fired and its circumstances."""
    found = []
    if evidence.get("condition"):
        found.append(f"What fired: {evidence['condition']}.")
    base = evidence.get("baseline")
    if isinstance(base, dict):
        when = [
            f"{d} {score(base.get(d))} on {base[f'{d}_on']}" for d in DOMAINS if base.get(f"{d}_on")
        ]
        if when:
            found.append(f"Before treatment (baseline): {' and '.join(when)}.")
        if base.get("from_first_treatment_on"):
            own = base.get("own_before_booster") or {}
            found.append(
                "A booster, judged against its first treatment's baseline "
                f"({base['from_first_treatment_on']}); just before the booster: pain "
                f"{score(own.get('pain'))}, function {score(own.get('function'))}."
            )
    responder = evidence.get("responder")
    if isinstance(responder, dict) and responder.get("confirmed_on"):
        found.append(f"Response confirmed on {responder['confirmed_on']}.")
    for d in (*DOMAINS, "stiffness"):
        value = evidence.get(d)
        run = value.get("signal_run") if isinstance(value, dict) else None
        if isinstance(run, dict):
            found.append(
                f"{d.capitalize()} signalling from {run['first_on']} to {run['last_on']} "
                f"({run['days']} days, {run['readings']} readings)."
            )
        trend = value.get("trend") if isinstance(value, dict) else None
        if isinstance(trend, dict):
            found.append(
                f"{d.capitalize()} trend: {score(trend.get('points_per_period'))} points worse "
                f"per {trend.get('period_days', 90)} days from {trend.get('from')} to "
                f"{trend.get('to')}; reaches its signal level by {trend.get('reaches_signal_on')}."
            )
    call = evidence.get("confirmation_call")
    if isinstance(call, dict):
        found.append(
            f"Confirmation call {call.get('window_start')} to {call.get('window_end')}: "
            + ("answered." if call.get("answered") else "no reading.")
        )
    for event in evidence.get("events") or []:
        if isinstance(event, dict):
            what = event.get("adverse_event") or f"pain {score(event.get('pain'))}, " + (
                f"{score(event.get('pain_rise'))} points worse than before treatment"
            )
            found.append(f"Safety event on {event.get('date')} (day {event.get('day')}): {what}.")
    for missed in evidence.get("missed") or []:
        if isinstance(missed, dict):
            found.append(
                f"Missed the {missed.get('timepoint')} follow-up (window "
                f"{missed.get('window_start')} to {missed.get('window_end')})."
            )
    reraised = evidence.get("reraised_after")
    if isinstance(reraised, dict):
        found.append(
            f"Raised again after the decision “{str(reraised.get('decision')).replace('_', ' ')}”"
            f" of {reraised.get('decided_on')}, by newer evidence of "
            f"{reraised.get('newer_evidence_on')}."
        )
    for key, value in evidence.items():
        if key not in KNOWN and value is not None:
            found.append(f"{key.replace('_', ' ').capitalize()}: {value}.")
    found.append(f"Rule set {evidence.get('rule_set') or DASH}.")
    return found
