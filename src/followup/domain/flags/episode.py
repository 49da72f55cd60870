"""The episode as the rules see it on one "as of" day: its visible assessments, baseline,
response phase, the OMERACT-OARSI response, and each domain's course (best value, signal
threshold and the trailing run of signals).

Judgement calls where DESIGN leaves room:

- Nothing dated after "as of" exists: assessments, decisions or the next treatment. Invalid
  assessments are ignored everywhere except that an adverse event written on an invalid form
  still counts for ``safety``.
- Responder: judged on every valid assessment of the response phase; patient global counts in the
  2-of-3 rule only when both the baseline form and that form record it. "Improved >= 50 %" is
  B - value >= 0.5 x B. Gain-based kinds need a baseline; without one they do not run.
- Signal: only at an assessment dated strictly after the one that set the best value N (same-day
  forms do not count). "Lost >= 50 % of I" needs I > 0; "back within 20 % of baseline" (value >=
  0.8 x B) is applied as written even in a domain that never improved. Both reduce to one
  threshold: value >= max(N + 10, min(N + 0.5 I, 0.8 B)) (``signal_threshold``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from typing import Any

from followup.domain.flags.finding import EPS, whole
from followup.domain.records import EpisodeInput, ScoredAssessment
from followup.domain.rules import RuleSet
from followup.domain.schedule import next_treatment_as_of

DOMAINS = ("pain", "function")


def signal_threshold(baseline_value: float, best: float, rules: RuleSet) -> float:
    """The lowest value that signals in a domain: >= best + 10 and either >= half the improvement
    lost (only when there was an improvement) or >= 0.8 x baseline."""
    s = rules.signal
    improvement = baseline_value - best
    lost_enough = best + s.fraction_lost * improvement if improvement > 0 else math.inf
    return max(best + s.min_rise_points, min(lost_enough, s.baseline_fraction * baseline_value))


class DomainCourse:
    """One domain's course in the response phase: baseline B, best N (first on ties), I = B - N,
    the signal threshold, and the trailing run of signals (``run_from``: the index in the phase
    where it starts; the phase's length when the latest assessment does not signal)."""

    def __init__(self, domain: str, base: float, phase: list[ScoredAssessment], rules: RuleSet):
        values: list[float] = [getattr(a, domain) for a in phase]
        best = min(values)
        at = values.index(best)
        best_on = phase[at].assessed_on
        after = at + 1
        while after < len(phase) and phase[after].assessed_on == best_on:
            after += 1
        threshold = signal_threshold(base, best, rules)
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
        """The share of the improvement lost at ``value`` (None: there was no improvement)."""
        return (value - self.best) / self.improvement if self.improvement > 0 else None

    def evidence(self, phase: list[ScoredAssessment]) -> dict[str, Any]:
        """Baseline, best, improvement, latest value and threshold, for a flag's evidence."""
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
            f"{self.domain} back to {whole(value)} (baseline {whole(self.baseline)}, "
            f"best {whole(self.best)} on {self.best_on.isoformat()})"
        )
        lost = self.fraction_lost(value)
        if lost is None:
            return f"{head}: no improvement to lose"
        return f"{head}: {lost:.0%} of the improvement lost"


class EpisodeView:
    """The episode as visible on "as of": sorted assessments, baseline, response phase, courses."""

    def __init__(self, episode: EpisodeInput, as_of: date, rules: RuleSet):
        self.input, self.as_of, self.rules = episode, as_of, rules
        self.treated_on = treated_on = episode.treatment.treated_on
        self.next_treated_on = next_treatment_as_of(episode, as_of)
        # Sorted by date; the loaders pass them in order, and a stable sort keeps same-day forms
        # in the order given.
        self.visible = sorted(
            (a for a in episode.assessments if a.assessed_on <= as_of), key=_assessed_on
        )
        self.valid = valid = [a for a in self.visible if a.total is not None]
        self.valid_dates = dates = [a.assessed_on for a in valid]
        # Same rule as schedule.baseline (latest valid form in the look-back, the later one
        # listed on a tie).
        at = bisect_right(dates, treated_on) - 1
        lookback = treated_on - timedelta(days=rules.baseline.lookback_days)
        self.baseline = valid[at] if at >= 0 and dates[at] >= lookback else None
        start = treated_on + timedelta(days=rules.response.phase_start_day)
        self.phase = phase = valid[bisect_left(dates, start) :]
        self.responded: tuple[ScoredAssessment, str] | None = None
        if self.baseline is not None and phase:
            self.responded = first_response_in(self.baseline, phase, rules)
        self._courses: tuple[DomainCourse, ...] | None = None

    @property
    def courses(self) -> tuple[DomainCourse, ...]:
        """Pain's and function's course (computed on first use: non-responders rarely need it);
        empty without a baseline or a response phase."""
        if self._courses is None:
            base, phase = self.baseline, self.phase
            self._courses = (
                tuple(DomainCourse(d, getattr(base, d), phase, self.rules) for d in DOMAINS)
                if base is not None and phase
                else ()
            )
        return self._courses

    def phase_days(self) -> list[int]:
        """Days since the treatment of each response-phase assessment (for trends)."""
        return [(a.assessed_on - self.treated_on).days for a in self.phase]

    def first_valid_after(self, day: date) -> date | None:
        """The first valid assessment dated after ``day``: newer evidence after a decision."""
        i = bisect_right(self.valid_dates, day)
        return self.valid_dates[i] if i < len(self.valid_dates) else None

    def last_valid_since_treatment(self) -> date | None:
        """The latest valid assessment from the treatment day on."""
        last = self.valid_dates[-1] if self.valid_dates else None
        return last if last is not None and last >= self.treated_on else None

    def common_evidence(self, condition: str) -> dict[str, Any]:
        """Rule-set version, the condition that fired and the baseline. Nothing that changes from
        day to day without new data: a stored flag should change only when its evidence does."""
        return {
            "rule_set": self.rules.version,
            "condition": condition,
            "baseline": self.baseline_evidence(),
        }

    def baseline_evidence(self) -> dict[str, Any] | None:
        """The baseline form's date and scores."""
        base = self.baseline
        if base is None:
            return None
        return {
            "date": base.assessed_on.isoformat(),
            "pain": round(base.pain, 1),  # type: ignore[arg-type]
            "function": round(base.function, 1),  # type: ignore[arg-type]
            "stiffness": round(base.stiffness, 1),  # type: ignore[arg-type]
            "patient_global": base.patient_global,
        }

    def responder_evidence(self) -> dict[str, Any] | None:
        """When and by which criterion the episode first responded."""
        if self.responded is None:
            return None
        a, criterion = self.responded
        return {"responded_on": a.assessed_on.isoformat(), "criterion": criterion}


def _assessed_on(a: ScoredAssessment) -> date:
    return a.assessed_on


def first_response_in(
    base: ScoredAssessment, phase: list[ScoredAssessment], rules: RuleSet
) -> tuple[ScoredAssessment, str] | None:
    """The first assessment meeting OMERACT-OARSI, and which criterion it met."""
    r = rules.responder
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


def first_response(episode: EpisodeInput, as_of: date, rules: RuleSet) -> tuple[date, str] | None:
    """The day the episode first met the OMERACT-OARSI responder criterion by ``as_of`` and, in
    words, the criterion it met; None when it has not (or has no baseline)."""
    responded = EpisodeView(episode, as_of, rules).responded
    return None if responded is None else (responded[0].assessed_on, responded[1])
