"""Run the product's flag rules over one simulated patient's follow-up, as the clinic would see
them day by day, and keep what the table needs.

Each episode is evaluated (``flags.evaluate_episode``, no review decisions) on every day its
findings can change, from its treatment up to the horizon (or the day a later treatment
supersedes it): the treatment day, every form's day, every scheduled window's first day and the
day after it closes, every confirmation call window's first day and the day after it closes,
the days set by the ``no_response`` rule's day counts, the horizon, and, when the rules offer
``flags.stable_range``, the end of the range on which the current answer holds. A test checks
that evaluating every day gives the same outcome. For each kind, every distinct raised-on day
of its findings is kept with the first day a finding of that kind raised on that day was open
(what a clinic saw, and when): a flag whose evidence is renewed (a new signal run, a new
trend) carries a new raised-on day.
"""

from __future__ import annotations

import heapq
from datetime import date, timedelta
from typing import NamedTuple

from followup.domain import flags
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet
from followup.domain.schedule import timepoints_for

from .history import History

ONE_DAY = timedelta(days=1)
WATCH_CONDITIONS = ("signal", "trend", "stiffness", "other")
# (the finding's raised_on, the first evaluated day it was open with that raised_on)
Raising = tuple[date, date]


class Outcome(NamedTuple):
    """What the flags said about one patient up to the horizon.

    ``raised``: kind -> its raisings (raised-on day, first day seen), any episode, in order
    of the day seen; ``open_at_end``: the kinds open on the horizon day;
    ``watch_conditions``: which conditions of ``possible_wearing_off`` ever fired (see
    ``watch_condition``)."""

    patient_id: str
    kind: str
    raised: dict[str, list[Raising]]
    open_at_end: frozenset[str]
    watch_conditions: frozenset[str]
    calls: int
    years: float
    wear_off_from: date | None
    half_way: date | None

    def ever(self, kind: str) -> bool:
        """Whether ``kind`` was open on any day up to the horizon."""
        return kind in self.raised

    def raised_from(self, kind: str, day: date | None) -> date | None:
        """The first day ``kind`` was open with evidence raised on ``day`` or later (a flag
        open since before ``day`` on older evidence does not count until it is renewed)."""
        if day is None:
            return None
        return min((seen for on, seen in self.raised.get(kind, ()) if on >= day), default=None)


def watch_condition(part: str) -> str:
    """One condition of a ``possible_wearing_off`` finding's evidence, by what it is about:
    ``stiffness`` (returning stiffness), ``trend``, ``signal`` (an unconfirmed or latest
    signal) or ``other``."""
    text = part.strip().lower()
    if text.startswith("stiffness") or "returning stiffness" in text:
        return "stiffness"
    if "trend" in text:
        return "trend"
    if "signal" in text:
        return "signal"
    return "other"


def change_days(ep: EpisodeInput, history: History, rules: RuleSet, last: date) -> set[date]:
    """The days on which the episode's findings can change, up to ``last``."""
    t = ep.treatment
    days = {t.treated_on, last}
    days.update(a.assessed_on for a in ep.assessments)
    for tp in timepoints_for(t.treated_on, ep.next_treated_on, rules):
        days.update((tp.window_start, tp.window_end + ONE_DAY))
    for call in history.calls:
        if call.treatment_id == t.id:
            days.update((call.window_start, call.window_end + ONE_DAY))
    for value in rules.no_response.model_dump().values():
        if isinstance(value, int) and not isinstance(value, bool):
            days.add(t.treated_on + timedelta(days=value))
    return {d for d in days if t.treated_on <= d <= last}


def evaluate_history(history: History, rules: RuleSet, every_day: bool = False) -> Outcome:
    """Evaluate every episode of the patient on every day that matters (``every_day``: on
    every day, to check that nothing is missed)."""
    stable_range = getattr(flags, "stable_range", None)
    raised: dict[str, dict[date, date]] = {}
    watch: set[str] = set()
    at_end: set[str] = set()
    for ep in history.episodes(rules):
        start = ep.treatment.treated_on
        nxt = ep.next_treated_on
        last = history.end if nxt is None else min(history.end, nxt)
        if every_day:
            queue = [start + timedelta(days=i) for i in range((last - start).days + 1)]
        else:
            queue = sorted(change_days(ep, history, rules, last))
        seen = set(queue)
        heapq.heapify(queue)
        while queue:
            day = heapq.heappop(queue)
            findings = flags.evaluate_episode(ep, day, rules)
            for f in findings:
                raised.setdefault(f.kind, {}).setdefault(f.raised_on, day)
                if f.kind == "possible_wearing_off":
                    condition = str(f.evidence.get("condition", ""))
                    watch.update(watch_condition(p) for p in condition.split(";"))
            if day == history.end:
                at_end.update(f.kind for f in findings)
            if stable_range is not None and not every_day:
                end = stable_range(ep, day, rules)[1]
                if end is not None and end <= last and end not in seen:
                    seen.add(end)
                    heapq.heappush(queue, end)
    kind = history.kind
    return Outcome(
        history.patient_id,
        kind.name,
        {k: sorted(v.items(), key=_seen) for k, v in raised.items()},
        frozenset(at_end),
        frozenset(watch),
        history.calls_made,
        history.years,
        None if kind.wear_off_from is None else history.day(kind.wear_off_from),
        None if kind.half_way is None else history.day(kind.half_way),
    )


def _seen(raising: Raising) -> date:
    return raising[1]
