"""Flag rules of one episode (DESIGN.md 2.3, rule set ``followup-2026.2``): pure and
deterministic, one module per rule family.

``evaluate_episode`` looks at one episode on one "as of" day and returns its open findings; an
evaluation before the treatment date finds nothing. ``current_call`` says what a coordinator
phones about next, ``stable_range`` on which days both answers hold, and ``assess_episode`` gives
all three at once. The rule families: ``episode`` (what the rules see and the response),
``course`` (each domain's best level, threshold and signals), ``wearing_off`` (with the
confirmation call), ``follow_up``, ``safety``, ``response`` (no response, the booster window and
a missing baseline), ``decisions`` (what a review decision closes), ``calls`` and
``stable_range``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from followup.domain.flags.calls import Call, confirmation_call, current_call
from followup.domain.flags.course import DomainCourse, signal_threshold
from followup.domain.flags.decisions import latest_decisions, still_open
from followup.domain.flags.episode import EpisodeView
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
from followup.domain.flags.response import booster_window, no_baseline, no_response
from followup.domain.flags.safety import safety
from followup.domain.flags.stable_range import stable_range
from followup.domain.flags.trend import theil_sen
from followup.domain.flags.wearing_off import possible_wearing_off, wearing_off
from followup.domain.records import DOMAINS, EpisodeInput
from followup.domain.rules import RuleSet

__all__ = [
    "DOMAINS",
    "EPS",
    "FOLLOW_UP_KINDS",
    "KINDS",
    "KIND_LEVELS",
    "Call",
    "DomainCourse",
    "EpisodeAssessment",
    "EpisodeView",
    "Finding",
    "assess_episode",
    "confirmation_call",
    "current_call",
    "evaluate_episode",
    "signal_threshold",
    "stable_range",
    "theil_sen",
]


def _raised(ep: EpisodeView) -> list[Raised]:
    worn = wearing_off(ep) if not ep.superseded else None
    # possible_wearing_off only when wearing_off is not raised.
    wearing = worn if worn is not None else possible_wearing_off(ep)
    found = (
        safety(ep),
        wearing,
        no_response(ep),
        booster_window(ep),
        follow_up(ep),
        no_baseline(ep),
    )
    return [r for r in found if r is not None]


def _findings(ep: EpisodeView) -> list[Finding]:
    raised = _raised(ep)
    decisions = latest_decisions(ep.input.decisions, ep.as_of)
    findings = [still_open(r, decisions.get(r.finding.kind), ep.as_of, ep.rules) for r in raised]
    open_findings = [f for f in findings if f is not None]
    open_findings.sort(key=lambda f: KIND_ORDER[f.kind])
    return open_findings


def evaluate_episode(episode: EpisodeInput, as_of: date, rules: RuleSet) -> list[Finding]:
    """The open findings of one episode on ``as_of``: urgent first, then action, then watch.

    Pure and deterministic: the same episode, day and rules give equal findings. Kinds that apply
    together (e.g. ``safety`` and ``wearing_off``) are all returned, one finding per kind. Once a
    later treatment of the knee is dated on or before ``as_of``, the episode raises only
    ``safety`` and ``no_baseline``.
    """
    if as_of < episode.treatment.treated_on:
        return []
    return _findings(EpisodeView(episode, as_of, rules))


class EpisodeAssessment(NamedTuple):
    """An episode's whole result on one day: its open findings, its current call, and the days
    on which both hold."""

    findings: list[Finding]
    call: Call | None
    stable_from: date | None
    stable_until: date | None


def assess_episode(
    episode: EpisodeInput, as_of: date, rules: RuleSet, look_ahead_days: int = 0
) -> EpisodeAssessment:
    """``evaluate_episode``, ``current_call`` and ``stable_range`` together, for the
    whole-cohort evaluation.

    With ``look_ahead_days``, a range that ends within that many days of ``as_of`` is tried on
    the day it ends: when the episode gives the same findings and call there, the range goes on
    to the end of that day's range (and so on). Most of the days a range ends on change nothing
    for the episode (a window opens for a call already on the list, a no-response day passes a
    responder), so a whole-cohort evaluation a week later re-runs only the episodes whose
    result does change in the week, or whose data did."""
    findings, call, start, end = _assessed(episode, as_of, rules)
    limit = as_of + timedelta(days=look_ahead_days)
    while end is not None and end <= limit:
        later, later_call, _start, later_end = _assessed(episode, end, rules)
        if later != findings or later_call != call:
            break
        end = later_end
    return EpisodeAssessment(findings, call, start, end)


def _assessed(episode: EpisodeInput, as_of: date, rules: RuleSet) -> EpisodeAssessment:
    if as_of < episode.treatment.treated_on:
        start, end = stable_range(episode, as_of, rules)
        return EpisodeAssessment([], None, start, end)
    view = EpisodeView(episode, as_of, rules)
    start, end = stable_range(episode, as_of, rules, view)
    call = current_call(episode, as_of, rules, view)
    return EpisodeAssessment(_findings(view), call, start, end)


def first_response(episode: EpisodeInput, as_of: date, rules: RuleSet) -> tuple[date, str] | None:
    """The day the episode's response was confirmed by ``as_of`` (the criterion met at two
    assessments) and, in words, the criterion; None when it was not (or has no baseline)."""
    view = EpisodeView(episode, as_of, rules)
    if view.confirmed_on is None:
        return None
    return view.confirmed_on, view.criterion(view.met[0]) or ""
