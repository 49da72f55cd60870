"""Review decisions on an episode's flags (DESIGN.md 2.3).

The latest decision in force on a kind (a decision does not exist before its own day; amended and
reopened ones are not passed to the rules) closes it. The same kind is raised again only by newer
evidence for it (each rule family says what that is: a new signalling reading for wearing off, a
new adverse event or flare for safety, a window closing after the decision for follow-up). A
``booster_scheduled`` decision keeps its flag closed until the booster is recorded (the episode is
then superseded) or its stated day passes (60 days by default); then the knee is looked at again.
A re-raised finding's raised_on is the first newer evidence when that is later than the rule's
own date, and its evidence names the decision it overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from followup.domain.flags.finding import Finding, Raised
from followup.domain.records import DecisionRecord
from followup.domain.rules import RuleSet

BOOSTER_SCHEDULED = "booster_scheduled"


def latest_decisions(decisions: Sequence[DecisionRecord], as_of: date) -> dict[str, DecisionRecord]:
    """The latest decision on each kind that exists on ``as_of``."""
    latest: dict[str, DecisionRecord] = {}
    for d in decisions:
        if d.decided_at.date() > as_of:
            continue
        seen = latest.get(d.kind)
        if seen is None or d.decided_at >= seen.decided_at:
            latest[d.kind] = d
    return latest


def booster_due_by(decision: DecisionRecord, rules: RuleSet) -> date:
    """The day a ``booster_scheduled`` decision stops holding its flag closed."""
    days = rules.decisions.booster_scheduled_days
    return decision.until or decision.decided_at.date() + timedelta(days=days)


def still_open(
    raised: Raised, decision: DecisionRecord | None, as_of: date, rules: RuleSet
) -> Finding | None:
    """The finding if no decision closed it or newer evidence re-raises it, else None."""
    if decision is None:
        return raised.finding
    decided_on = decision.decided_at.date()
    newer = raised.newer_evidence(decided_on)
    if decision.decision == BOOSTER_SCHEDULED:
        due_by = booster_due_by(decision, rules)
        if as_of < due_by:
            return None  # the booster is on its way
        newer = due_by  # no booster by then: the knee is looked at again, whatever came since
    if newer is None:
        return None
    f = raised.finding
    evidence = dict(f.evidence)
    evidence["reraised_after"] = {
        "decision": decision.decision,
        "decided_on": decided_on.isoformat(),
        "newer_evidence_on": newer.isoformat(),
    }
    return replace(f, raised_on=max(f.raised_on, newer), evidence=evidence)
