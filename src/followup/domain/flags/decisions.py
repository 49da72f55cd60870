"""Review decisions on an episode's flags (DESIGN.md 2.3).

The latest decision on a kind (decided_at.date() <= as_of: a decision does not exist before its
own day) closes it unless there is newer evidence for that kind (each rule family says what that
is). A re-raised finding's raised_on is the first newer evidence when that is later than the
rule's own date, and its evidence names the decision it overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from followup.domain.flags.finding import Finding, Raised
from followup.domain.records import DecisionRecord


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


def still_open(raised: Raised, decision: DecisionRecord | None) -> Finding | None:
    """The finding if no decision closed it or newer evidence re-raises it, else None."""
    if decision is None:
        return raised.finding
    decided_on = decision.decided_at.date()
    newer = raised.newer_evidence(decided_on)
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
