"""Flag rules of one episode (DESIGN.md 2.3): pure and deterministic, one module per rule family.

``evaluate_episode`` looks at one episode on one "as of" day and returns its open findings; an
evaluation before the treatment date finds nothing. ``stable_range`` says on which days that
answer holds. The rule families: ``episode`` (what the rules see, the response and each domain's
course), ``wearing_off``, ``follow_up``, ``safety``, ``response`` (no response and the booster
window), ``decisions`` (what a review decision closes), ``calls`` (the call a coordinator
makes next) and ``stable_range``.
"""

from __future__ import annotations

from datetime import date

from followup.domain.flags.calls import Call, current_call
from followup.domain.flags.decisions import latest_decisions, still_open
from followup.domain.flags.episode import DOMAINS, EpisodeView, first_response, signal_threshold
from followup.domain.flags.finding import (
    EPS,
    FOLLOW_UP_KINDS,
    KIND_LEVELS,
    KIND_ORDER,
    KINDS,
    Finding,
    Raised,
)
from followup.domain.flags.follow_up import follow_up
from followup.domain.flags.response import booster_window, no_response
from followup.domain.flags.safety import safety
from followup.domain.flags.stable_range import stable_range
from followup.domain.flags.trend import theil_sen
from followup.domain.flags.wearing_off import possible_wearing_off, wearing_off
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet

__all__ = [
    "DOMAINS",
    "Call",
    "current_call",
    "EPS",
    "FOLLOW_UP_KINDS",
    "KINDS",
    "KIND_LEVELS",
    "Finding",
    "evaluate_episode",
    "first_response",
    "signal_threshold",
    "stable_range",
    "theil_sen",
]


def _raised(ep: EpisodeView) -> list[Raised]:
    worn = wearing_off(ep)
    # possible_wearing_off only when wearing_off is not raised.
    wearing = worn if worn is not None else possible_wearing_off(ep)
    found = (safety(ep), wearing, no_response(ep), booster_window(ep), follow_up(ep))
    return [r for r in found if r is not None]


def evaluate_episode(episode: EpisodeInput, as_of: date, rules: RuleSet) -> list[Finding]:
    """The open findings of one episode on ``as_of``: urgent first, then action, then watch.

    Pure and deterministic: the same episode, day and rules give equal findings. Kinds that apply
    together (e.g. ``safety`` and ``wearing_off``) are all returned, one finding per kind.
    """
    if as_of < episode.treatment.treated_on:
        return []
    raised = _raised(EpisodeView(episode, as_of, rules))
    decisions = latest_decisions(episode.decisions, as_of)
    findings = [still_open(r, decisions.get(r.finding.kind)) for r in raised]
    open_findings = [f for f in findings if f is not None]
    open_findings.sort(key=lambda f: KIND_ORDER[f.kind])
    return open_findings
