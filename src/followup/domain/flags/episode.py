"""The episode as the rules see it on one "as of" day (DESIGN.md 2.3, rule set 2026.2): its
visible assessments, its baseline per domain, the response phase, the OMERACT-OARSI response and
each domain's course.

- Nothing dated after "as of" exists: assessments, decisions or the next treatment.
- Validity is per domain: an assessment counts for pain when its pain subscale is valid, whatever
  the other subscales (a patient who declined the stiffness questions still reports pain).
- Baseline per domain: the latest assessment valid for it from 90 days before the treatment up to
  the treatment day. A booster keeps the baseline of its chain's first treatment when that has one
  (a maintenance booster given while well keeps its wear-off tracking); its own pre-treatment
  values are shown beside it.
- Responder: OMERACT-OARSI at an assessment of the response phase (day 28 on), judged on the
  domains valid at that assessment; patient global counts in the 2-of-3 rule only when both the
  baseline and that assessment record it. Confirmed when met at two assessments.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from typing import Any

from followup.domain.flags.course import DomainCourse
from followup.domain.flags.finding import EPS
from followup.domain.records import DOMAINS, EpisodeInput, ScoredAssessment
from followup.domain.rules import RuleSet
from followup.domain.schedule import next_treatment_as_of

BASELINE_DOMAINS = (*DOMAINS, "stiffness", "patient_global")


def _latest_in(
    forms: tuple[ScoredAssessment, ...] | list[ScoredAssessment],
    treated_on: date,
    rules: RuleSet,
    domain: str,
) -> ScoredAssessment | None:
    """The latest form valid for ``domain`` in the baseline look-back of ``treated_on`` (of two
    on one day, the one listed later)."""
    earliest = treated_on - timedelta(days=rules.baseline.lookback_days)
    found = None
    for a in forms:
        if earliest <= a.assessed_on <= treated_on and a.value(domain) is not None:
            if found is None or a.assessed_on >= found.assessed_on:
                found = a
    return found


def _assessed_on(a: ScoredAssessment) -> date:
    return a.assessed_on


class EpisodeView:
    """Everything the rule families read about one episode on one day."""

    def __init__(self, episode: EpisodeInput, as_of: date, rules: RuleSet) -> None:
        self.input, self.as_of, self.rules = episode, as_of, rules
        t = episode.treatment
        self.treated_on = treated_on = t.treated_on
        self.next_treated_on = next_treatment_as_of(episode, as_of)
        # Stable sort: the loaders pass forms in order; same-day forms keep their given order.
        self.visible = sorted(
            (a for a in episode.assessments if a.assessed_on <= as_of), key=_assessed_on
        )
        self.usable = [a for a in self.visible if a.pain is not None or a.function is not None]
        self.usable_dates = [a.assessed_on for a in self.usable]
        own = [a for a in self.visible if a.assessed_on <= treated_on]
        self.own_baseline = {d: _latest_in(own, treated_on, rules, d) for d in BASELINE_DOMAINS}
        self.from_chain = False
        self.baseline = dict(self.own_baseline)
        chain_on = episode.chain_treated_on
        if t.booster_of is not None and chain_on is not None:
            for d in BASELINE_DOMAINS:
                chain = _latest_in(episode.chain_forms, chain_on, rules, d)
                if chain is not None:
                    self.baseline[d] = chain
                    self.from_chain = True
        start = treated_on + timedelta(days=rules.response.phase_start_day)
        self.phase_start = start
        self.phase = [a for a in self.usable if a.assessed_on >= start]
        self.courses: tuple[DomainCourse, ...] = tuple(
            DomainCourse(d, self.baseline[d].value(d), readings, rules)  # type: ignore[arg-type, union-attr]
            for d in DOMAINS
            if self.baseline[d] is not None
            and (readings := [a for a in self.phase if a.value(d) is not None])
        )
        # What each domain with a baseline must improve by to meet OMERACT-OARSI: (domain, its
        # baseline, the high criterion's gain or None for patient global, the moderate one's).
        r = rules.responder
        self.response_gains: list[tuple[str, float, float | None, float]] = []
        for d in (*DOMAINS, "patient_global"):
            base = self.value_of(d)
            if base is not None:
                high = max(r.high_fraction * base, r.high_points) - EPS
                moderate = max(r.moderate_fraction * base, r.moderate_points) - EPS
                self.response_gains.append(
                    (d, base, None if d == "patient_global" else high, moderate)
                )
        self.met = [a for a in self.phase if self.meets(a)]
        needed = rules.responder.confirm_readings
        self.confirmed_on = self.met[needed - 1].assessed_on if len(self.met) >= needed else None
        # The domains with a run of signals going on: only a confirmed responder's signal.
        self.runs = [c for c in self.courses if c.has_run] if self.confirmed_on else []

    # -- baseline and response ------------------------------------------------------------

    def value_of(self, domain: str) -> float | None:
        """The baseline value of ``domain`` (None without one)."""
        form = self.baseline[domain]
        return None if form is None else form.value(domain)

    @property
    def missing_baseline(self) -> list[str]:
        """The gain-based domains without a baseline."""
        return [d for d in DOMAINS if self.baseline[d] is None]

    def meets(self, a: ScoredAssessment) -> bool:
        """Whether ``a`` meets OMERACT-OARSI: one domain's high criterion, or the moderate one
        in enough domains (``criterion`` says which, in words)."""
        moderate = 0
        for d, base, high_gain, moderate_gain in self.response_gains:
            value = a.value(d)
            if value is None:
                continue
            gain = base - value
            if high_gain is not None and gain >= high_gain:
                return True
            if gain >= moderate_gain:
                moderate += 1
        return moderate >= self.rules.responder.moderate_needed

    def criterion(self, a: ScoredAssessment) -> str | None:
        """The OMERACT-OARSI criterion ``a`` meets, in words, or None."""
        r = self.rules.responder
        high = []
        moderate = []
        for d, base, high_gain, moderate_gain in self.response_gains:
            value = a.value(d)
            if value is None:
                continue
            gain = base - value
            if high_gain is not None and gain >= high_gain:
                high.append(d)
            if gain >= moderate_gain:
                moderate.append("patient global" if d == "patient_global" else d)
        if high:
            return (
                f"{high[0]} at least {r.high_fraction:.0%} and {r.high_points:g} points better "
                "than before treatment"
            )
        if len(moderate) >= r.moderate_needed:
            return (
                f"{' and '.join(moderate)} each at least {r.moderate_fraction:.0%} and "
                f"{r.moderate_points:g} points better than before treatment"
            )
        return None

    @property
    def confirmed_responder(self) -> bool:
        """Met the responder criterion at enough assessments (two by default)."""
        return self.confirmed_on is not None

    @property
    def superseded(self) -> bool:
        """A later treatment of the knee is dated on or before "as of"."""
        return self.next_treated_on is not None

    def course(self, domain: str) -> DomainCourse | None:
        """The course of ``domain`` (None without a baseline or a reading in the phase)."""
        return next((c for c in self.courses if c.domain == domain), None)

    # -- dates ------------------------------------------------------------------------------

    def first_usable_after(self, day: date) -> date | None:
        """The first assessment valid for pain or function dated after ``day``."""
        i = bisect_right(self.usable_dates, day)
        return self.usable_dates[i] if i < len(self.usable_dates) else None

    def last_usable_since_treatment(self) -> date | None:
        """The latest assessment valid for pain or function from the treatment day on."""
        last = self.usable_dates[-1] if self.usable_dates else None
        return last if last is not None and last >= self.treated_on else None

    # -- evidence ---------------------------------------------------------------------------

    def common_evidence(self, condition: str) -> dict[str, Any]:
        """Rule-set version, the condition that fired and the baseline. Nothing that changes from
        day to day without new data: a stored flag should change only when its evidence does."""
        return {
            "rule_set": self.rules.version,
            "condition": condition,
            "baseline": self.baseline_evidence(),
        }

    def baseline_evidence(self) -> dict[str, Any] | None:
        """The baseline per domain with its date; for a booster judged against its chain's
        first treatment, its own pre-treatment values too."""
        if all(self.baseline[d] is None for d in DOMAINS):
            return None
        found: dict[str, Any] = {}
        for d in BASELINE_DOMAINS:
            form = self.baseline[d]
            value = None if form is None else form.value(d)
            found[d] = None if value is None else round(value, 1)
            if d in DOMAINS:
                found[f"{d}_on"] = None if form is None else form.assessed_on.isoformat()
        if self.from_chain:
            found["from_first_treatment_on"] = self.input.chain_treated_on.isoformat()  # type: ignore[union-attr]
            own = {}
            for d in DOMAINS:
                form = self.own_baseline[d]
                own[d] = None if form is None else round(form.value(d), 1)  # type: ignore[arg-type]
            found["own_before_booster"] = own
        return found

    def responder_evidence(self) -> dict[str, Any]:
        """When the response was confirmed, and the assessments that met the criterion."""
        return {
            "confirmed_on": self.confirmed_on.isoformat() if self.confirmed_on else None,
            "met_on": [a.assessed_on.isoformat() for a in self.met],
            "criterion": self.criterion(self.met[0]) if self.met else None,
        }
