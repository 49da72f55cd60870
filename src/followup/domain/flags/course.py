"""One domain's course after the treatment (DESIGN.md 2.3, rule set 2026.2): its baseline B, its
best level N (the mean of its two lowest readings in the response phase, set on the later of
their dates), the improvement I = B - N, whether the domain responded, its signal threshold T,
and the trailing run of signalling readings.

Why these shapes: with the per-reading noise WOMAC is known for (SD about 8 points), the single
lowest reading is biased low, so a best taken from one reading made regression to the mean look
like wearing off; a domain that never really improved has nothing to lose; and a rise smaller
than the individual detectable change (18 points) is indistinguishable from noise.
"""

from __future__ import annotations

from datetime import date

from followup.domain.flags.finding import EPS
from followup.domain.records import ScoredAssessment
from followup.domain.rules import RuleSet


def signal_threshold(baseline: float, best: float, rules: RuleSet) -> float:
    """T = max(N + 18, min(N + 0.40 x I, 0.80 x B)): the lowest value that signals."""
    s = rules.signal
    improvement = baseline - best
    return max(
        best + s.detectable_change_points,
        min(best + s.fraction_lost * improvement, s.baseline_fraction * baseline),
    )


def responding(baseline: float, best: float, rules: RuleSet) -> bool:
    """Whether a domain responded: I >= max(15 points, 0.20 x B)."""
    r = rules.responding
    return baseline - best >= max(r.min_points, r.min_fraction * baseline) - EPS


def best_level(values: list[float], dates: list[date], readings: int) -> tuple[float, date]:
    """The mean of the ``readings`` lowest values (fewer when there are fewer) and the day it
    was set on: the latest date among them. Of equal values the earlier reading ranks first."""
    ranked = best_readings(values, readings)
    return sum(values[i] for i in ranked) / len(ranked), max(dates[i] for i in ranked)


def best_readings(values: list[float], readings: int) -> list[int]:
    """The positions of the ``readings`` lowest values (the earlier of equal ones first), in
    date order: the readings the best level is the mean of."""
    # Python's sort is stable: of equal values the earlier position stays first.
    return sorted(sorted(range(len(values)), key=values.__getitem__)[:readings])


class DomainCourse:
    """A domain's readings in the response phase (valid for this domain, in date order) judged
    against its baseline."""

    def __init__(
        self,
        domain: str,
        baseline: float,
        phase: list[ScoredAssessment],
        rules: RuleSet,
    ) -> None:
        self.domain, self.baseline = domain, baseline
        self.readings = phase
        self.values: list[float] = [a.value(domain) for a in phase]  # type: ignore[misc]
        self.dates = [a.assessed_on for a in phase]
        best = best_readings(self.values, rules.best_level.readings)
        self.best = sum(self.values[i] for i in best) / len(best)
        self.best_dates = [self.dates[i] for i in best]
        self.best_on = self.best_dates[-1]  # the later of their dates: the level is set then
        self.improvement = baseline - self.best
        self.responded = responding(baseline, self.best, rules)
        self.threshold = signal_threshold(baseline, self.best, rules)
        # The first reading that could signal: dated after the day the best level was set.
        self.after = next(
            (i for i, d in enumerate(self.dates) if d > self.best_on), len(self.dates)
        )
        run_from = len(self.values)
        while run_from > self.after and self.signals_at(run_from - 1):
            run_from -= 1
        self.run_from = run_from

    def signals_at(self, i: int) -> bool:
        """Whether reading i signals: a responding domain, dated after the best level was set,
        at or above the threshold."""
        return self.responded and i >= self.after and self.values[i] >= self.threshold - EPS

    @property
    def has_run(self) -> bool:
        """Whether the latest reading signals (so a run of signals is going on)."""
        return self.run_from < len(self.values)

    @property
    def run_start(self) -> date:
        """The first reading of the run (only when ``has_run``)."""
        return self.dates[self.run_from]

    @property
    def run_days(self) -> int:
        """Days from the run's first reading to its latest (only when ``has_run``)."""
        return (self.dates[-1] - self.dates[self.run_from]).days

    def run_reached(self, days: int) -> date | None:
        """The reading at which the run first spanned ``days`` days, if it has."""
        if not self.has_run:
            return None
        start = self.run_start
        return next((d for d in self.dates[self.run_from :] if (d - start).days >= days), None)

    def fraction_lost(self, value: float) -> float | None:
        """The share of the improvement lost at ``value`` (None: there was no improvement)."""
        return (value - self.best) / self.improvement if self.improvement > 0 else None
