"""What every rule family returns: a ``Finding`` (one open flag of an episode with its evidence)
and the levels and order of the flag kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Level of each kind; within a level, findings are listed in this order.
KIND_LEVELS: dict[str, str] = {
    "safety": "urgent",
    "wearing_off": "action",
    "no_response": "action",
    "lost_to_follow_up": "action",
    "possible_wearing_off": "watch",
    "booster_window": "watch",
    "overdue": "watch",
    "no_baseline": "watch",
}
KINDS = tuple(KIND_LEVELS)
FOLLOW_UP_KINDS = ("overdue", "lost_to_follow_up")
KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# Scores are compared with this tolerance: "exactly 10 points" or "exactly 0.8 x baseline" count
# as reached although binary floating point makes 0.8 x 70 slightly more than 56.
EPS = 1e-9


@dataclass(frozen=True)
class Finding:
    """One open flag of an episode, with the evidence a reviewer needs to see why.

    ``raised_on`` is the date of the assessment or the day that raised it; ``booster_check_by``
    only for a wearing-off trend. ``evidence`` is JSON-serialisable (dates as ISO strings, scores
    rounded to 0.1): always ``rule_set`` (version) and ``condition`` (which rule fired), plus per
    kind the baseline, per-domain ``baseline``/``best``/``best_on``/``improvement``/``latest``/
    ``fraction_lost``/``signal_threshold`` and signal-run dates, the trend, durability and
    ``banked_doses``, the safety events, or the missed timepoints.
    """

    kind: str
    level: str
    raised_on: date
    booster_check_by: date | None
    evidence: dict[str, Any] = field(hash=False)
    summary: str


@dataclass(frozen=True)
class Raised:
    """A finding, and what counts as newer evidence for it after a decision made on a given day
    (the first such day, or None): a decision closes a flag until then."""

    finding: Finding
    newer_evidence: Callable[[date], date | None]


def finding(
    kind: str, raised_on: date, check_by: date | None, evidence: dict[str, Any], summary: str
) -> Finding:
    """A finding of ``kind`` at its level, its summary written as a sentence."""
    sentence = summary[:1].upper() + summary[1:] + "."
    return Finding(kind, KIND_LEVELS[kind], raised_on, check_by, evidence, sentence)


def whole(value: float) -> str:
    """A score as a clinician reads it: whole points."""
    return f"{value:.0f}"
