"""Flag rules of one episode (DESIGN.md 2.3): pure, deterministic, cheap.

``evaluate_episode`` looks at one episode on one "as of" day and returns its open findings.
Everything is computed once per episode (one sort, a few linear passes); the only quadratic step is
the Theil-Sen median of pairwise slopes over the few assessments after the best.

Judgement calls where DESIGN leaves room:

- Nothing dated after "as of" exists: assessments, decisions or the next treatment. An evaluation
  before the treatment date finds nothing. Invalid assessments are ignored everywhere except that
  an adverse event written on an invalid form still counts for ``safety``.
- Comparisons of scores allow a rounding tolerance of 1e-9 points, so "exactly 10 points" or
  "exactly 0.8 x baseline" count as reached despite binary floating point (0.8 * 70 is
  56.00000000000001 in floats).
- Responder: judged on every valid assessment of the response phase; patient global counts in the
  2-of-3 rule only when both the baseline form and that form record it. "Improved >= 50 %" is
  B - value >= 0.5 x B. Gain-based kinds (responder, wearing-off, ``no_response``, the pain flare)
  need a baseline; without one they do not run.
- Signal: only at an assessment dated strictly after the one that set N (same-day forms do not
  count). "Lost >= 50 % of I" needs I > 0; "back within 20 % of baseline" (value >= 0.8 x B) is
  applied as written even in a domain that never improved. Both reduce to one threshold:
  value >= max(N + 10, min(N + 0.5 I, 0.8 B)) (``signal_threshold``).
- ``wearing_off``: a run spans "at least 14 days" when last signal date - first signal date >= 14.
  raised_on is the first assessment of the run at which the span reached 14 days, so it does not
  move as more confirming assessments arrive.
- ``possible_wearing_off``: raised only for responders and only when ``wearing_off`` is not
  raised (before decisions are applied: a decision on ``wearing_off`` must not resurface the same
  evidence as a weaker flag). Its raised_on is the earliest of: the first signal of the current
  run (latest-signal condition), the latest assessment (trend condition, which is re-judged on every
  point), the first assessment of the current run of raised stiffness. The trend is "worse than
  +10 per 90 days" when the Theil-Sen slope is strictly greater than 10/90 points a day; the
  intercept is the median of value - slope x day. booster_check_by is the first day the trend line
  reaches the domain's signal threshold, at the earliest the day after the latest assessment (a
  forecast already past means "check now"); the earlier of two domains wins. The trend is judged
  only in a domain whose latest assessment does not signal (one that does is past its threshold).
- Returning stiffness: the latest valid assessment's stiffness is >= 25 points above the best
  (lowest, first on ties) stiffness of the response phase, and the latest assessment signals in
  neither pain nor function.
- ``no_response``: as_of - treated_on >= 180 days, a valid assessment dated >= day 90, responder
  never met. raised_on is the later of day 180 and the first valid assessment from day 90.
- ``booster_window``: the next treatment counts only if dated on or before "as of". Durability
  ends at treated_on + months (fractional months as a share of an average month, see
  durability.py); raised_on is that date - 60 days (not before the treatment). It is raised for
  non-responders too (DESIGN sets no such condition; ``no_response`` says the rest).
- ``safety``: events are assessments dated within [treated_on, as_of] recording an adverse event
  (any form), or valid ones within 60 days of treatment with pain >= baseline pain + 30. raised_on
  is the first event's date. An assessment on the treatment day counts (day 0 is within 60 days).
- Follow-up: judged on the latest timepoint whose window closed before "as of"; nothing is raised
  when it was done or when a later timepoint has been done since (the patient is back in
  follow-up). ``lost_to_follow_up`` when the timepoint before it was missed too. raised_on is the
  day after the judged window closed. Superseded episodes are judged on their own (cut) timepoints.
- Decisions: the latest decision on a kind (decided_at.date() <= as_of) suppresses it unless there
  is newer evidence: a valid assessment dated after the decision day; for ``safety`` only a newer
  safety event (an adverse event on any form, or a new flare); for follow-up kinds the judged
  window closing on or after the decision day (window_end >= decision day). A re-raised finding's
  raised_on is the first newer evidence when that is later than the rule's own date, and its
  evidence names the decision it overrides.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from followup.domain.durability import ExpectedDurability, expected_durability_from
from followup.domain.records import DecisionRecord, EpisodeInput, ScoredAssessment
from followup.domain.rules import DurabilityRules, RuleSet
from followup.domain.schedule import (
    MEMO_MAX,
    ONE_DAY,
    memo_table,
    missed_follow_up,
    next_treatment_as_of,
    timepoints_for,
)

# Level of each kind; within a level, findings are listed in this order.
KIND_LEVELS: dict[str, str] = {
    "safety": "urgent",
    "wearing_off": "action",
    "no_response": "action",
    "lost_to_follow_up": "action",
    "possible_wearing_off": "watch",
    "booster_window": "watch",
    "overdue": "watch",
}
KINDS = tuple(KIND_LEVELS)
FOLLOW_UP_KINDS = ("overdue", "lost_to_follow_up")
DOMAINS = ("pain", "function")
# Rounding tolerance for score comparisons (see the module docstring).
EPS = 1e-9

_BY_DATE = attrgetter("assessed_on")
_ORDER = {kind: i for i, kind in enumerate(KINDS)}


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


class _Raised:
    """A finding and what counts as newer evidence for it after a decision made on a given day."""

    def __init__(self, finding: Finding, newer_evidence: Callable[[date], date | None]) -> None:
        self.finding = finding
        self.newer_evidence = newer_evidence


class _Limits:
    """The rule set's thresholds as plain attributes of one compiled object, read once per rule
    set: the rule set's own dataclasses are Python objects, and reading ``rules.signal.x`` from
    compiled code is a dictionary lookup or two, tens of times per episode. It also holds the
    caches of values computed from the rule set and a treatment's date."""

    def __init__(self, rules: RuleSet) -> None:
        self.durability_rules: DurabilityRules = rules.durability
        self.booster_lead: timedelta = timedelta(days=rules.booster_window.lead_days)
        self.no_response_after: timedelta = rules.no_response.after
        # (KL grade, route, smoker) -> expected durability; a cohort has a few dozen.
        self.durabilities: dict[tuple[int | None, str, bool], ExpectedDurability] = {}
        # (treated on, months) -> (durability ends on, booster window opens on)
        self.booster_days: dict[tuple[date, float], tuple[date, date]] = {}
        # treated on -> _fixed_breakpoints
        self.breakpoints: dict[date, tuple[date, ...]] = {}
        r, sig, p = rules.responder, rules.signal, rules.possible_wearing_off
        self.version: str = rules.version
        self.lookback: timedelta = rules.baseline.lookback
        self.phase_start: timedelta = rules.response.phase_start
        self.high_fraction: float = r.high_fraction
        self.high_points: float = r.high_points
        self.moderate_fraction: float = r.moderate_fraction
        self.moderate_points: float = r.moderate_points
        self.moderate_needed: int = r.moderate_needed
        self.min_rise_points: float = sig.min_rise_points
        self.fraction_lost: float = sig.fraction_lost
        self.baseline_fraction: float = sig.baseline_fraction
        self.min_run_days: int = rules.wearing_off.min_run_days
        self.min_points_after_best: int = p.min_points_after_best
        self.slope_per_day: float = p.slope_per_day
        self.stiffness_rise_points: float = p.stiffness_rise_points
        self.flare_points: float = rules.safety.flare_points
        self.flare_within: timedelta = rules.safety.flare_within


def _limits(rules: RuleSet) -> _Limits:
    table = memo_table(rules, "limits")
    found: _Limits | None = table.get(0)
    if found is None:
        found = table[0] = _Limits(rules)
    return found


# --- small, public helpers --------------------------------------------------------------------


def signal_threshold(baseline_value: float, best: float, rules: RuleSet) -> float:
    """The lowest value that signals in a domain: >= best + 10 and either >= half the improvement
    lost (only when there was an improvement) or >= 0.8 x baseline."""
    return _threshold(baseline_value, best, _limits(rules))


def _threshold(baseline_value: float, best: float, lim: _Limits) -> float:
    improvement = baseline_value - best
    lost_enough = best + lim.fraction_lost * improvement if improvement > 0 else math.inf
    return max(best + lim.min_rise_points, min(lost_enough, lim.baseline_fraction * baseline_value))


def theil_sen(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) of the Theil-Sen line: the median of pairwise slopes (pairs on one day
    skipped), and the median of y - slope x. None without two distinct days."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    slope = theil_sen_slope(xs, ys)
    return None if slope is None else (slope, theil_sen_intercept(xs, ys, slope))


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The median of the pairwise slopes; pairs with equal x are skipped."""
    if len(xs) != len(ys):
        raise ValueError("theil_sen_slope: xs and ys differ in length")
    slopes: list[float] = []
    n = len(xs)
    for i in range(n - 1):  # indices rather than pairs of tuples: compiled, a tight loop
        x1, y1 = xs[i], ys[i]
        for j in range(i + 1, n):
            dx = xs[j] - x1
            if dx != 0:
                slopes.append((ys[j] - y1) / dx)
    return _median(slopes) if slopes else None


def theil_sen_intercept(xs: Sequence[float], ys: Sequence[float], slope: float) -> float:
    return _median([y - slope * x for x, y in zip(xs, ys, strict=True)])


def _median(values: list[float]) -> float:
    values.sort()
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _fmt(value: float) -> str:
    return f"{value:.0f}"


# --- the episode, prepared once -----------------------------------------------------------------


class _Course:
    """One domain's course in the response phase: baseline B, best N (first on ties), I = B - N,
    the signal threshold, and the trailing run of signals."""

    __slots__ = (
        "domain",
        "baseline",
        "best",
        "best_on",
        "improvement",
        "threshold",
        "values",
        "after",
        "run_from",
    )

    def __init__(self, domain: str, base: float, phase: list[ScoredAssessment], lim: _Limits):
        # By field, not with an attrgetter: compiled, a field of the record is read by position.
        values: list[float] = (
            [a.pain for a in phase] if domain == "pain" else [a.function for a in phase]  # type: ignore[misc]
        )
        best = min(values)
        at = values.index(best)
        best_on = phase[at].assessed_on
        after = at + 1
        while after < len(phase) and phase[after].assessed_on == best_on:
            after += 1
        threshold = _threshold(base, best, lim)
        run_from = len(phase)
        while run_from > after and values[run_from - 1] >= threshold - EPS:
            run_from -= 1
        self.domain, self.baseline, self.best, self.best_on = domain, base, best, best_on
        self.improvement, self.threshold, self.values = base - best, threshold, values
        self.after, self.run_from = after, run_from

    def signals_at(self, i: int) -> bool:
        """Whether phase assessment i signals (it must be dated after the best)."""
        return i >= self.after and self.values[i] >= self.threshold - EPS

    def fraction_lost(self, value: float) -> float | None:
        return (value - self.best) / self.improvement if self.improvement > 0 else None

    def evidence(self, phase: list[ScoredAssessment], rules: RuleSet) -> dict[str, Any]:
        latest = self.values[-1]
        lost = self.fraction_lost(latest)
        return {
            "baseline": round(self.baseline, 1),
            "best": round(self.best, 1),
            "best_on": self.best_on.isoformat(),
            "improvement": round(self.improvement, 1),
            "latest": round(latest, 1),
            "latest_on": phase[-1].assessed_on.isoformat(),
            "fraction_lost": None if lost is None else round(lost, 3),
            "signal_threshold": round(self.threshold, 1),
        }

    def describe(self, value: float) -> str:
        """'pain back to 62 (baseline 70, best 20 on 2026-03-02): 84% of the improvement lost'."""
        head = (
            f"{self.domain} back to {_fmt(value)} (baseline {_fmt(self.baseline)}, "
            f"best {_fmt(self.best)} on {self.best_on.isoformat()})"
        )
        lost = self.fraction_lost(value)
        if lost is None:
            return f"{head}: no improvement to lose"
        return f"{head}: {lost:.0%} of the improvement lost"


class _Episode:
    """The episode as visible on "as of": sorted assessments, baseline, response phase, courses."""

    __slots__ = (
        "input",
        "as_of",
        "rules",
        "lim",
        "treated_on",
        "next_treated_on",
        "visible",
        "valid",
        "valid_dates",
        "baseline",
        "phase",
        "_courses",
        "_phase_days",
        "responded",
        "_baseline_evidence",
    )

    def __init__(self, episode: EpisodeInput, as_of: date, rules: RuleSet):
        self.input, self.as_of, self.rules = episode, as_of, rules
        self.lim = lim = _limits(rules)
        self.treated_on = treated_on = episode.treatment.treated_on
        self.next_treated_on = next_treatment_as_of(episode, as_of)
        visible = [a for a in episode.assessments if a.assessed_on <= as_of]
        for i in range(1, len(visible)):  # the services pass them in order already
            if visible[i].assessed_on < visible[i - 1].assessed_on:
                visible.sort(key=_BY_DATE)  # stable: same-day forms keep their given order
                break
        self.visible = visible
        self.valid = valid = [a for a in visible if a.total is not None]
        self.valid_dates = dates = [a.assessed_on for a in valid]
        # Same rule as schedule.baseline (latest valid form in the lookback, the later one listed
        # on a tie), found by bisection in the list already sorted.
        at = bisect_right(dates, treated_on) - 1
        lookback = treated_on - lim.lookback
        self.baseline = valid[at] if at >= 0 and dates[at] >= lookback else None
        self._baseline_evidence: dict[str, Any] | None = None
        start = treated_on + lim.phase_start
        self.phase = phase = valid[bisect_left(dates, start) :]
        self._courses: tuple[_Course, ...] | None = None
        self._phase_days: list[int] | None = None
        self.responded: tuple[ScoredAssessment, str] | None = None
        if self.baseline is not None and phase:
            self.responded = _first_response(self.baseline, phase, lim)

    @property
    def courses(self) -> tuple[_Course, ...]:
        """Pain's and function's course (computed on first use: non-responders rarely need it);
        empty without a baseline or a response phase."""
        if self._courses is None:
            base, phase = self.baseline, self.phase
            self._courses = (
                (
                    _Course("pain", base.pain, phase, self.lim),  # type: ignore[arg-type]
                    _Course("function", base.function, phase, self.lim),  # type: ignore[arg-type]
                )
                if base is not None and phase
                else ()
            )
        return self._courses

    def phase_days(self) -> list[int]:
        """Days since the treatment of each response-phase assessment (for trends)."""
        if self._phase_days is None:
            start = self.treated_on.toordinal()
            self._phase_days = [a.assessed_on.toordinal() - start for a in self.phase]
        return self._phase_days

    def first_valid_after(self, day: date) -> date | None:
        i = bisect_right(self.valid_dates, day)
        return self.valid_dates[i] if i < len(self.valid_dates) else None

    def last_valid_since_treatment(self) -> date | None:
        last = self.valid_dates[-1] if self.valid_dates else None
        return last if last is not None and last >= self.treated_on else None

    def common_evidence(self, condition: str) -> dict[str, Any]:
        """Rule-set version, the condition that fired and the baseline. Nothing that changes from
        day to day without new data: a stored flag should change only when its evidence does."""
        return {
            "rule_set": self.lim.version,
            "condition": condition,
            "baseline": self.baseline_evidence(),
        }

    def baseline_evidence(self) -> dict[str, Any] | None:
        base = self.baseline
        if base is None:
            return None
        if self._baseline_evidence is None:
            self._baseline_evidence = {
                "date": base.assessed_on.isoformat(),
                "pain": round(base.pain, 1),  # type: ignore[arg-type]
                "function": round(base.function, 1),  # type: ignore[arg-type]
                "stiffness": round(base.stiffness, 1),  # type: ignore[arg-type]
                "patient_global": base.patient_global,
            }
        return dict(self._baseline_evidence)


def _first_response(
    base: ScoredAssessment, phase: list[ScoredAssessment], r: _Limits
) -> tuple[ScoredAssessment, str] | None:
    """The first assessment meeting OMERACT-OARSI, and which criterion it met."""
    bp, bf, bg = base.pain, base.function, base.patient_global
    assert bp is not None and bf is not None  # a valid baseline has every subscale
    high_p = max(r.high_fraction * bp, r.high_points) - EPS
    high_f = max(r.high_fraction * bf, r.high_points) - EPS
    mod_p = max(r.moderate_fraction * bp, r.moderate_points) - EPS
    mod_f = max(r.moderate_fraction * bf, r.moderate_points) - EPS
    mod_g = None if bg is None else max(r.moderate_fraction * bg, r.moderate_points) - EPS
    for a in phase:
        gain_p, gain_f = bp - a.pain, bf - a.function  # type: ignore[operator]
        if gain_p >= high_p or gain_f >= high_f:
            domain = "pain" if gain_p >= high_p else "function"
            return a, (
                f"{domain} improved >= {r.high_fraction:.0%} and >= {r.high_points:g} points"
            )
        met = (gain_p >= mod_p) + (gain_f >= mod_f)
        if mod_g is not None and a.patient_global is not None:
            met += bg - a.patient_global >= mod_g  # type: ignore[operator]
        if met >= r.moderate_needed:
            return a, (
                f"{met} of pain, function and patient global improved >= "
                f"{r.moderate_fraction:.0%} and >= {r.moderate_points:g} points"
            )
    return None


# --- the rules ----------------------------------------------------------------------------------


def _wearing_off(ep: _Episode) -> _Raised | None:
    """An unbroken trailing run of signals in pain or function spanning >= min_run_days."""
    if ep.responded is None:
        return None
    min_days = ep.lim.min_run_days
    phase, fired = ep.phase, []
    for c in ep.courses:
        if c.run_from == len(phase):
            continue
        start = phase[c.run_from].assessed_on
        if (phase[-1].assessed_on - start).days < min_days:
            continue
        reached = next(a for a in phase[c.run_from :] if (a.assessed_on - start).days >= min_days)
        fired.append((c, start, reached.assessed_on))
    if not fired:
        return None
    evidence = ep.common_evidence(f"signal run in {' and '.join(c.domain for c, _, _ in fired)}")
    evidence["responder"] = _responder_evidence(ep)
    clauses = []
    for c, start, _ in fired:
        span = (phase[-1].assessed_on - start).days
        domain = c.evidence(phase, ep.rules)
        domain.update(
            signal_since=start.isoformat(),
            signal_until=domain["latest_on"],
            signal_days=span,
            signal_count=len(phase) - c.run_from,
            fired_by=_signal_conditions(c, c.values[-1], ep.rules),
        )
        evidence[c.domain] = domain
        since = start.isoformat()
        clauses.append(f"{c.describe(c.values[-1])}; signalling since {since} ({span} days)")
    finding = _finding(
        "wearing_off",
        min(r for _, _, r in fired),
        None,
        evidence,
        "Booster check due: " + "; ".join(clauses),
    )
    return _Raised(finding, ep.first_valid_after)


def _signal_conditions(c: _Course, value: float, rules: RuleSet) -> list[str]:
    s = rules.signal
    fired = []
    lost = c.fraction_lost(value)
    if lost is not None and value - c.best >= s.fraction_lost * c.improvement - EPS:
        fired.append(f"lost >= {s.fraction_lost:.0%} of the improvement")
    if value >= s.baseline_fraction * c.baseline - EPS:
        fired.append(f"back to >= {s.baseline_fraction:g} x baseline")
    return fired


def _responder_evidence(ep: _Episode) -> dict[str, Any] | None:
    if ep.responded is None:
        return None
    a, criterion = ep.responded
    return {"responded_on": a.assessed_on.isoformat(), "criterion": criterion}


def _possible_wearing_off(ep: _Episode) -> _Raised | None:
    """Latest assessment signalling, a worsening trend since the best, or returning stiffness."""
    if ep.responded is None:
        return None
    n = len(ep.phase)
    signalling = [c for c in ep.courses if c.run_from < n]
    # A domain signalling already is past its threshold: no forecast to make there.
    trends = [(c, t) for c in ep.courses if c.run_from == n and (t := _trend(ep, c)) is not None]
    stiffness = None if signalling else _returning_stiffness(ep)
    if not (signalling or trends or stiffness):
        return None
    phase, rules = ep.phase, ep.rules
    evidence = ep.common_evidence("")
    evidence["responder"] = _responder_evidence(ep)
    for c in ep.courses:
        evidence[c.domain] = c.evidence(phase, rules)
    conditions: list[str] = []
    clauses: list[str] = []
    raised: list[date] = []
    for c in signalling:
        start = phase[c.run_from].assessed_on
        conditions.append(f"latest assessment signals in {c.domain}")
        raised.append(start)
        evidence[c.domain].update(
            signal_since=start.isoformat(), fired_by=_signal_conditions(c, c.values[-1], rules)
        )
        clauses.append(
            f"{c.describe(c.values[-1])} on {evidence[c.domain]['latest_on']}, "
            f"not yet confirmed over {rules.wearing_off.min_run_days} days"
        )
    for c, trend in trends:
        reaches = trend["reaches_threshold_on"]
        conditions.append(f"{c.domain} trend worse than the limit")
        raised.append(phase[-1].assessed_on)
        evidence[c.domain]["trend"] = {**trend, "reaches_threshold_on": reaches.isoformat()}
        clauses.append(
            f"{c.domain} worsening by {trend['points_per_period']:g} points per "
            f"{trend['period_days']} days since its best ({_fmt(c.best)} on "
            f"{c.best_on.isoformat()}); at this rate it reaches the signal threshold of "
            f"{_fmt(c.threshold)} by {reaches.isoformat()}"
        )
    if stiffness is not None:
        conditions.append("stiffness well above its best while pain and function hold")
        raised.append(date.fromisoformat(stiffness["since"]))
        evidence["stiffness"] = stiffness
        clauses.append(
            f"stiffness up to {_fmt(stiffness['latest'])} from its best of "
            f"{_fmt(stiffness['best'])} on {stiffness['best_on']} while pain and function hold "
            "(returning stiffness is often the first sign)"
        )
    evidence["condition"] = "; ".join(conditions)
    finding = _finding(
        "possible_wearing_off",
        min(raised),
        min((t["reaches_threshold_on"] for _, t in trends), default=None),
        evidence,
        "Possibly wearing off: " + "; ".join(clauses),
    )
    return _Raised(finding, ep.first_valid_after)


def _trend(ep: _Episode, c: _Course) -> dict[str, Any] | None:
    """The Theil-Sen trend over the assessments after the best, when worse than the limit."""
    lim = ep.lim
    if len(ep.phase) - c.after < lim.min_points_after_best:
        return None
    t0 = ep.treated_on
    after = ep.phase[c.after :]
    days = ep.phase_days()[c.after :]
    values = c.values[c.after :]
    slope = theil_sen_slope(days, values)
    if slope is None or slope <= lim.slope_per_day + EPS:
        return None
    p = ep.rules.possible_wearing_off
    intercept = theil_sen_intercept(days, values, slope)
    day = math.ceil((c.threshold - intercept) / slope - EPS)
    earliest = after[-1].assessed_on + ONE_DAY
    reaches = max(t0 + timedelta(days=day), earliest)
    return {
        "points_per_period": round(slope * p.slope_days, 1),
        "period_days": p.slope_days,
        "from": after[0].assessed_on.isoformat(),
        "last_on": after[-1].assessed_on.isoformat(),
        "assessments": len(after),
        "limit_points_per_period": p.slope_points,
        "reaches_threshold_on": reaches,
    }


def _returning_stiffness(ep: _Episode) -> dict[str, Any] | None:
    """The latest stiffness >= stiffness_rise_points above its best of the response phase while
    the latest assessment signals in neither pain nor function."""
    phase, courses = ep.phase, ep.courses
    rise = ep.lim.stiffness_rise_points - EPS
    if phase[-1].stiffness < rise:  # type: ignore[operator]
        return None  # cannot be that far above a best of 0 or more
    values = [a.stiffness for a in phase]
    best = min(values)  # type: ignore[type-var]
    if values[-1] - best < rise:  # type: ignore[operator]
        return None
    at = values.index(best)

    def raised_at(i: int) -> bool:
        return (
            phase[i].assessed_on > phase[at].assessed_on
            and values[i] - best >= rise  # type: ignore[operator]
            and not any(c.signals_at(i) for c in courses)
        )

    last = len(phase) - 1
    if not raised_at(last):
        return None
    first = last
    while first > 0 and raised_at(first - 1):
        first -= 1
    return {
        "best": round(best, 1),  # type: ignore[arg-type]
        "best_on": phase[at].assessed_on.isoformat(),
        "latest": round(values[last], 1),  # type: ignore[arg-type]
        "latest_on": phase[last].assessed_on.isoformat(),
        "since": phase[first].assessed_on.isoformat(),
    }


def _no_response(ep: _Episode) -> _Raised | None:
    """>= after_days since treatment, a valid assessment from day assessment_from_day, and the
    responder criterion never met."""
    nr, t0 = ep.rules.no_response, ep.treated_on
    if ep.baseline is None or ep.responded is not None:
        return None
    day_n = t0 + nr.after
    if ep.as_of < day_n:
        return None
    i = bisect_left(ep.valid_dates, t0 + nr.assessment_from)
    if i == len(ep.valid_dates):
        return None
    evidence = ep.common_evidence(
        f"{nr.after_days}+ days after treatment, assessed from day {nr.assessment_from_day}, "
        "responder criteria never met"
    )
    bests = []
    for c in ep.courses:
        evidence[c.domain] = c.evidence(ep.phase, ep.rules)
        bests.append(f"best {c.domain} {_fmt(c.best)} (baseline {_fmt(c.baseline)})")
    evidence["first_assessment_from_day"] = ep.valid_dates[i].isoformat()
    finding = _finding(
        "no_response",
        max(day_n, ep.valid_dates[i]),
        None,
        evidence,
        f"No response by day {nr.after_days} after treatment: {' and '.join(bests)} never met the "
        "OMERACT-OARSI responder criteria",
    )
    return _Raised(finding, ep.first_valid_after)


def _booster_dates(
    treated_on: date, kl_grade: int | None, route: str, smoker: bool, lim: _Limits
) -> tuple[ExpectedDurability, date, date]:
    """(expected durability, the day it ends, the day the booster window opens). Cached in two
    steps: a cohort has a few dozen durabilities (grade, route, smoker) and a few thousand
    treatment dates, and month arithmetic is slow."""
    key = (kl_grade, route, smoker)
    durability = lim.durabilities.get(key)
    if durability is None:
        durability = lim.durabilities[key] = expected_durability_from(
            kl_grade, route, smoker, lim.durability_rules
        )
    day_key = (treated_on, durability.months)
    found = lim.booster_days.get(day_key)
    if found is None:
        if len(lim.booster_days) > MEMO_MAX:  # a long-running process: start again
            lim.booster_days.clear()
        ends_on = durability.ends_on(treated_on)
        found = lim.booster_days[day_key] = (ends_on, max(ends_on - lim.booster_lead, treated_on))
    return durability, found[0], found[1]


def _booster_window(ep: _Episode) -> _Raised | None:
    """Expected durability - lead_days reached, and no later treatment of the knee yet."""
    if ep.next_treated_on is not None:
        return None
    t = ep.input.treatment
    durability, ends_on, opens_on = _booster_dates(
        t.treated_on, t.kl_grade, t.route, ep.input.smoker, ep.lim
    )
    if ep.as_of < opens_on:
        return None
    ends, opens, banked = ends_on.isoformat(), opens_on.isoformat(), t.banked_doses
    evidence = ep.common_evidence("expected durability minus booster lead reached")
    evidence.update(
        expected_months=round(durability.months, 2),
        durability_basis=durability.basis,
        smoker_factor=durability.smoker_factor,
        durability_ends_on=ends,
        window_opens_on=opens,
        banked_doses=banked,
        responder=_responder_evidence(ep),
    )
    smoker = ", smoker" if durability.smoker_factor is not None else ""
    doses = (
        "banked doses not recorded"
        if banked is None
        else f"{banked} banked dose{'' if banked == 1 else 's'}"
    )
    finding = _finding(
        "booster_window",
        opens_on,
        None,
        evidence,
        f"Expected relief of {durability.months:g} months ({durability.basis}{smoker}) runs out on "
        f"{ends}; booster window open since {opens}; {doses}",
    )
    return _Raised(finding, ep.first_valid_after)


def _safety(ep: _Episode) -> _Raised | None:
    """Any adverse event in the episode, or a pain flare soon after the treatment."""
    events = _safety_events(ep)
    if not events:
        return None
    first, latest = events[0], events[-1]
    fired = {"adverse event" for e in events if "adverse_event" in e}
    fired |= {"pain flare" for e in events if "pain_rise" in e}
    evidence = ep.common_evidence(" and ".join(sorted(fired)))
    evidence["events"] = events
    if "adverse_event" in latest:
        what = f"Adverse event reported on {latest['date']}: {latest['adverse_event']}"
    else:
        what = (
            f"Pain flare to {_fmt(latest['pain'])} on {latest['date']}, "
            f"{_fmt(latest['pain_rise'])} points worse than baseline, "
            f"{latest['day']} days after treatment"
        )
    if len(events) > 1:
        what += f" ({len(events)} safety events since treatment)"
    dates = [date.fromisoformat(e["date"]) for e in events]

    def newer(decided_on: date) -> date | None:
        i = bisect_right(dates, decided_on)
        return dates[i] if i < len(dates) else None

    return _Raised(
        _finding("safety", date.fromisoformat(first["date"]), None, evidence, what), newer
    )


def _safety_events(ep: _Episode) -> list[dict[str, Any]]:
    """Adverse events on any form from the treatment day, and pain flares on valid forms within
    flare_within_days of it, one entry per assessment in date order."""
    lim, t0, base = ep.lim, ep.treated_on, ep.baseline
    reported = [a for a in ep.visible if a.adverse_event]
    flares: list[ScoredAssessment] = []
    if base is not None:
        dates = ep.valid_dates
        lo = bisect_left(dates, t0)
        hi = bisect_right(dates, t0 + lim.flare_within, lo)
        limit = base.pain + lim.flare_points - EPS  # type: ignore[operator]
        flares = [a for a in ep.valid[lo:hi] if a.pain >= limit]  # type: ignore[operator]
    if not reported and not flares:
        return []
    reported_ids = {id(a) for a in reported if a.assessed_on >= t0 and a.adverse_event.strip()}  # type: ignore[union-attr]
    flare_ids = {id(a) for a in flares}
    events = []
    for a in ep.visible:
        key = id(a)
        if key not in reported_ids and key not in flare_ids:
            continue
        event: dict[str, Any] = {
            "date": a.assessed_on.isoformat(),
            "day": (a.assessed_on - t0).days,
        }
        if key in reported_ids:
            event["adverse_event"] = a.adverse_event.strip()  # type: ignore[union-attr]
            event["valid_form"] = a.total is not None
        if key in flare_ids:
            event["pain"] = round(a.pain, 1)  # type: ignore[arg-type]
            event["pain_rise"] = round(a.pain - base.pain, 1)  # type: ignore[operator, union-attr]
        events.append(event)
    return events


def _follow_up(ep: _Episode) -> _Raised | None:
    """``overdue`` when the latest closed timepoint was missed, ``lost_to_follow_up`` when the one
    before it was missed too (see ``missed_follow_up``)."""
    timepoints = timepoints_for(ep.treated_on, ep.next_treated_on, ep.rules)
    missed = missed_follow_up(timepoints, ep.valid_dates, ep.as_of)
    if not missed:
        return None
    judged = missed[-1]
    lost = len(missed) == 2
    windows = [
        {
            "timepoint": tp.label,
            "due_on": tp.due_on.isoformat(),
            "window_start": tp.window_start.isoformat(),
            "window_end": tp.window_end.isoformat(),
        }
        for tp in missed
    ]
    last = ep.last_valid_since_treatment()
    last_on = None if last is None else last.isoformat()
    evidence = ep.common_evidence(
        "latest two closed timepoints missed" if lost else "latest closed timepoint missed"
    )
    evidence["missed"] = windows
    evidence["last_valid_assessment"] = last_on
    since = f"last valid assessment {last_on}" if last_on else "no valid assessment since treatment"
    w = windows[-1]
    if lost:
        what = (
            f"The {missed[0].label} and {judged.label} follow-ups were both missed (windows "
            f"closed {windows[0]['window_end']} and {w['window_end']}); {since}"
        )
    else:
        what = (
            f"The {judged.label} follow-up (window {w['window_start']} to {w['window_end']}) "
            f"was missed; {since}"
        )
    closed_on = judged.window_end + ONE_DAY
    kind = "lost_to_follow_up" if lost else "overdue"

    def newer(decided_on: date) -> date | None:
        return closed_on if judged.window_end >= decided_on else None

    return _Raised(_finding(kind, closed_on, None, evidence, what), newer)


def _finding(
    kind: str, raised_on: date, check_by: date | None, evidence: dict[str, Any], summary: str
) -> Finding:
    sentence = summary[:1].upper() + summary[1:] + "."
    return Finding(kind, KIND_LEVELS[kind], raised_on, check_by, evidence, sentence)


# --- evaluation ---------------------------------------------------------------------------------


def _raised_kinds(ep: _Episode) -> list[_Raised]:
    wearing_off = _wearing_off(ep)
    # possible_wearing_off only when wearing_off is not raised.
    wearing = wearing_off if wearing_off is not None else _possible_wearing_off(ep)
    found = (
        _safety(ep),
        wearing,
        _no_response(ep),
        _booster_window(ep),
        _follow_up(ep),
    )
    return [r for r in found if r is not None]


def _latest_decisions(
    decisions: Sequence[DecisionRecord], as_of: date
) -> dict[str, DecisionRecord]:
    latest: dict[str, DecisionRecord] = {}
    for d in decisions:
        if d.decided_at.date() > as_of:
            continue
        seen = latest.get(d.kind)
        if seen is None or d.decided_at >= seen.decided_at:
            latest[d.kind] = d
    return latest


def _still_open(raised: _Raised, decision: DecisionRecord | None) -> Finding | None:
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


def first_response(episode: EpisodeInput, as_of: date, rules: RuleSet) -> tuple[date, str] | None:
    """The day the episode first met the OMERACT-OARSI responder criterion by ``as_of`` and, in
    words, the criterion it met; None when it has not (or has no baseline)."""
    responded = _Episode(episode, as_of, rules).responded
    return None if responded is None else (responded[0].assessed_on, responded[1])


def evaluate_episode(episode: EpisodeInput, as_of: date, rules: RuleSet) -> list[Finding]:
    """The open findings of one episode on ``as_of``: urgent first, then action, then watch.

    Pure and deterministic: the same episode, day and rules give equal findings. Kinds that apply
    together (e.g. ``safety`` and ``wearing_off``) are all returned, one finding per kind.
    """
    if as_of < episode.treatment.treated_on:
        return []
    raised = _raised_kinds(_Episode(episode, as_of, rules))
    if episode.decisions:
        decisions = _latest_decisions(episode.decisions, as_of)
        findings = [_still_open(r, decisions.get(r.finding.kind)) for r in raised]
        open_findings = [f for f in findings if f is not None]
    else:
        open_findings = [r.finding for r in raised]
    if len(open_findings) > 1:
        open_findings.sort(key=lambda f: _ORDER[f.kind])
    return open_findings


# --- how long a result holds ----------------------------------------------------------------------


def _fixed_breakpoints(treated_on: date, rules: RuleSet, lim: _Limits) -> tuple[date, ...]:
    """The days, fixed by the treatment date alone, on which a rule's reading of "as of" can
    flip: the treatment, day ``no_response.after``, and for every timepoint the first day of its
    window and the day after it closes. Cached: a cohort has few distinct treatment dates.

    The next treatment's cut adds only the next treatment's own day: a kept window's cut end
    plus one day is that day, and its start is the planned one."""
    found = lim.breakpoints.get(treated_on)
    if found is None:
        if len(lim.breakpoints) > MEMO_MAX:
            lim.breakpoints.clear()
        days = {treated_on, treated_on + lim.no_response_after}
        for tp in timepoints_for(treated_on, None, rules):
            days.add(tp.window_start)
            days.add(tp.window_end + ONE_DAY)
        found = lim.breakpoints[treated_on] = tuple(sorted(days))
    return found


def stable_range(
    episode: EpisodeInput, as_of: date, rules: RuleSet
) -> tuple[date | None, date | None]:
    """The days ``d`` with ``start <= d < end`` on which ``evaluate_episode(episode, d, rules)``
    gives exactly the findings it gives on ``as_of`` (None: unbounded on that side).

    The rules read "as of" only by comparing it with dates of the episode: the treatment and
    the next one, the assessments and decisions (visible from their day on), day
    ``no_response.after``, the booster window's opening and the timepoint windows. Between two
    such days nothing can change, so a whole-cohort evaluation needs to re-run an episode only
    when its data changed or "as of" left this range."""
    t = episode.treatment
    lim = _limits(rules)
    fixed = _fixed_breakpoints(t.treated_on, rules, lim)
    i = bisect_right(fixed, as_of)
    start = fixed[i - 1] if i else None
    end = fixed[i] if i < len(fixed) else None
    days = [a.assessed_on for a in episode.assessments]
    days.extend(d.decided_at.date() for d in episode.decisions)
    # The booster window's opening and the next treatment differ from knee to knee.
    days.append(_booster_dates(t.treated_on, t.kl_grade, t.route, episode.smoker, lim)[2])
    if episode.next_treated_on is not None:
        days.append(episode.next_treated_on)
    for d in days:
        if d <= as_of:
            if start is None or d > start:
                start = d
        elif end is None or d < end:
            end = d
    return start, end
