"""Kaplan-Meier survival with Greenwood variance, log-log confidence limits, the median and its
confidence interval, and the number at risk: how long relief lasts, with honest uncertainty.

Written out here (a few dozen lines of arithmetic) rather than taken from a statistics package,
so the clinic's tool has no heavy dependency and every step can be read. The tests check it
against published answers (Freireich's 6-MP remission data, Gehan 1965).

Conventions, the same as R's ``survival::survfit(..., conf.type = "log-log")``:

- At a time where events and censorings coincide, the events come first (a knee censored on the
  day of another's event was still at risk on that day).
- Greenwood: var(log S(t)) = sum of d / (n (n - d)) over event times up to t. The limits are
  computed on the log-log scale, S^exp(+-z se / log S), i.e. exp(-exp(log(-log S) +- z se_ll))
  with se_ll = sqrt(Greenwood) / |log S|: they stay inside [0, 1]. Where S = 1 both limits are 1;
  where S = 0 (everyone left has had the event) the limits are not defined (None).
- The median (and any quantile) is the first time S(t) <= 0.5. Tie rule: when S(t) equals 0.5
  exactly (within 1e-8) on an interval, the median is the midpoint between that interval's start
  and the next time S drops below 0.5 (R's rule); if S never drops below 0.5, the interval's
  start.
- The median's confidence interval (Brookmeyer-Crowley with the log-log transform, as survfit
  reports it: the times whose log-log band contains 0.5): from the first time the lower limit is
  <= 0.5 to the first time the upper limit is <= 0.5, the same tie rule applied; a limit never
  reached is None ("not reached").
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

# Survival values closer than this count as equal (R uses sqrt(machine epsilon)).
TOLERANCE = 1e-8


def z_for(confidence: float) -> float:
    """The standard normal quantile for a two-sided ``confidence`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class SurvivalStep:
    """One distinct time with an event or a censoring: who was at risk, what happened, and the
    estimate just after it with its confidence limits (None where not defined)."""

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Median:
    """The median time and its confidence limits; None where not reached in follow-up."""

    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier curve: the steps in time order, and the knees and events it rests on."""

    steps: tuple[SurvivalStep, ...]
    subjects: int
    events: int
    confidence: float

    @property
    def last_time(self) -> float | None:
        """The latest time anyone was followed to (the curve ends there)."""
        return self.steps[-1].time if self.steps else None

    def at(self, t: float) -> tuple[float, float | None, float | None] | None:
        """(S, lower, upper) at time ``t``: the estimate after the last step at or before t;
        None beyond the latest follow-up time (the curve says nothing there)."""
        if self.last_time is None or t > self.last_time:
            return None
        i = bisect_right([s.time for s in self.steps], t) - 1
        if i < 0:
            return 1.0, 1.0, 1.0
        s = self.steps[i]
        return s.survival, s.lower, s.upper

    def at_risk(self, t: float) -> int:
        """How many were still followed and event-free just before ``t`` (time >= t)."""
        return sum(s.events + s.censored for s in self.steps if s.time >= t)

    def median(self) -> Median:
        """The median and its confidence interval (see the module docstring for the rules)."""
        return self.quantile(0.5)

    def quantile(self, p: float) -> Median:
        """The time by which a share ``p`` has had the event, with its confidence interval."""
        times = [s.time for s in self.steps if s.events]
        steps = [s for s in self.steps if s.events]
        level = 1 - p
        # An undefined limit only happens where S = 0, i.e. below any quantile's level.
        lower_curve = [0.0 if s.lower is None else s.lower for s in steps]
        upper_curve = [0.0 if s.upper is None else s.upper for s in steps]
        return Median(
            _first_crossing(times, [s.survival for s in steps], level),
            _first_crossing(times, lower_curve, level),
            _first_crossing(times, upper_curve, level),
        )


def _first_crossing(times: Sequence[float], values: Sequence[float], level: float) -> float | None:
    """The first time a non-increasing step function is <= ``level``, with the tie rule: exactly
    at ``level`` means the midpoint to the time it next drops."""
    for i, value in enumerate(values):
        if value <= level + TOLERANCE:
            if abs(value - level) < TOLERANCE:
                later = next((j for j in range(i + 1, len(values)) if values[j] < value), None)
                if later is not None:
                    return (times[i] + times[later]) / 2
            return times[i]
    return None


def kaplan_meier(
    times: Sequence[float], events: Sequence[bool], confidence: float = 0.95
) -> SurvivalCurve:
    """The Kaplan-Meier curve of follow-up ``times`` (each ended by an event when ``events`` says
    so, censored otherwise), with pointwise log-log confidence limits."""
    if len(times) != len(events):
        raise ValueError("times and events must have the same length")
    if any(t < 0 or math.isnan(t) for t in times):
        raise ValueError("times must be 0 or more")
    z = z_for(confidence)
    tally: dict[float, list[int]] = {}
    for t, event in zip(times, events, strict=True):
        counts = tally.setdefault(t, [0, 0])
        counts[0 if event else 1] += 1
    at_risk = len(times)
    survival, greenwood = 1.0, 0.0
    steps = []
    for t in sorted(tally):
        d, c = tally[t]
        if d:
            survival *= 1 - d / at_risk
            greenwood = greenwood + d / (at_risk * (at_risk - d)) if d < at_risk else math.inf
        lower, upper = _log_log_limits(survival, greenwood, z)
        steps.append(SurvivalStep(t, at_risk, d, c, survival, lower, upper))
        at_risk -= d + c
    return SurvivalCurve(tuple(steps), len(times), sum(bool(e) for e in events), confidence)


def _log_log_limits(survival: float, greenwood: float, z: float) -> tuple[float | None, ...]:
    """exp(-exp(log(-log S) +- z se)) with se = sqrt(Greenwood) / |log S|."""
    if survival >= 1.0:
        return 1.0, 1.0
    if survival <= 0.0 or math.isinf(greenwood):
        return None, None
    log_s = math.log(survival)
    spread = z * math.sqrt(greenwood) / abs(log_s)
    centre = math.log(-log_s)
    return math.exp(-math.exp(centre + spread)), math.exp(-math.exp(centre - spread))
