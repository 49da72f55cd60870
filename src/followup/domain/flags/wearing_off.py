"""Wearing off (DESIGN.md 2.3): ``wearing_off`` (a booster check is due) and
``possible_wearing_off`` (watch). Both apply only to responders.

- ``wearing_off``: an unbroken trailing run of signals in pain or function whose last and first
  dates are at least 14 days apart. raised_on is the first assessment of the run at which the
  span reached 14 days, so it does not move as more confirming assessments arrive.
- ``possible_wearing_off``: only when ``wearing_off`` is not raised (before decisions are
  applied: a decision on ``wearing_off`` must not resurface the same evidence as a weaker flag).
  Its raised_on is the earliest of: the first signal of the current run (latest-signal
  condition), the latest assessment (trend condition, which is re-judged on every point), the
  first assessment of the current run of raised stiffness. The trend is "worse than +10 per 90
  days" when the Theil-Sen slope is strictly greater than 10/90 points a day; the intercept is
  the median of value - slope x day. booster_check_by is the first day the trend line reaches
  the domain's signal threshold, at the earliest the day after the latest assessment (a forecast
  already past means "check now"); the earlier of two domains wins. The trend is judged only in
  a domain whose latest assessment does not signal (one that does is past its threshold).
- Returning stiffness: the latest valid assessment's stiffness is >= 25 points above the best
  (lowest, first on ties) stiffness of the response phase, and the latest assessment signals in
  neither pain nor function.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from followup.domain.flags.episode import DomainCourse, EpisodeView
from followup.domain.flags.finding import EPS, Raised, finding, whole
from followup.domain.flags.trend import theil_sen_intercept, theil_sen_slope

ONE_DAY = timedelta(days=1)


def wearing_off(ep: EpisodeView) -> Raised | None:
    """An unbroken trailing run of signals in pain or function spanning >= min_run_days."""
    if ep.responded is None:
        return None
    min_days = ep.rules.wearing_off.min_run_days
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
    evidence["responder"] = ep.responder_evidence()
    clauses = []
    for c, start, _ in fired:
        span = (phase[-1].assessed_on - start).days
        domain = c.evidence(phase)
        domain.update(
            signal_since=start.isoformat(),
            signal_until=domain["latest_on"],
            signal_days=span,
            signal_count=len(phase) - c.run_from,
            fired_by=_signal_conditions(ep, c, c.values[-1]),
        )
        evidence[c.domain] = domain
        clauses.append(
            f"{c.describe(c.values[-1])}; signalling since {start.isoformat()} ({span} days)"
        )
    raised = finding(
        "wearing_off",
        min(r for _, _, r in fired),
        None,
        evidence,
        "Booster check due: " + "; ".join(clauses),
    )
    return Raised(raised, ep.first_valid_after)


def _signal_conditions(ep: EpisodeView, c: DomainCourse, value: float) -> list[str]:
    s = ep.rules.signal
    fired = []
    lost = c.fraction_lost(value)
    if lost is not None and value - c.best >= s.fraction_lost * c.improvement - EPS:
        fired.append(f"lost >= {s.fraction_lost:.0%} of the improvement")
    if value >= s.baseline_fraction * c.baseline - EPS:
        fired.append(f"back to >= {s.baseline_fraction:g} x baseline")
    return fired


def possible_wearing_off(ep: EpisodeView) -> Raised | None:
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
    evidence["responder"] = ep.responder_evidence()
    for c in ep.courses:
        evidence[c.domain] = c.evidence(phase)
    conditions: list[str] = []
    clauses: list[str] = []
    raised: list[date] = []
    for c in signalling:
        start = phase[c.run_from].assessed_on
        conditions.append(f"latest assessment signals in {c.domain}")
        raised.append(start)
        evidence[c.domain].update(
            signal_since=start.isoformat(), fired_by=_signal_conditions(ep, c, c.values[-1])
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
            f"{trend['period_days']} days since its best ({whole(c.best)} on "
            f"{c.best_on.isoformat()}); at this rate it reaches the signal threshold of "
            f"{whole(c.threshold)} by {reaches.isoformat()}"
        )
    if stiffness is not None:
        conditions.append("stiffness well above its best while pain and function hold")
        raised.append(date.fromisoformat(stiffness["since"]))
        evidence["stiffness"] = stiffness
        clauses.append(
            f"stiffness up to {whole(stiffness['latest'])} from its best of "
            f"{whole(stiffness['best'])} on {stiffness['best_on']} while pain and function hold "
            "(returning stiffness is often the first sign)"
        )
    evidence["condition"] = "; ".join(conditions)
    result = finding(
        "possible_wearing_off",
        min(raised),
        min((t["reaches_threshold_on"] for _, t in trends), default=None),
        evidence,
        "Possibly wearing off: " + "; ".join(clauses),
    )
    return Raised(result, ep.first_valid_after)


def _trend(ep: EpisodeView, c: DomainCourse) -> dict[str, Any] | None:
    """The Theil-Sen trend over the assessments after the best, when worse than the limit."""
    p = ep.rules.possible_wearing_off
    if len(ep.phase) - c.after < p.min_points_after_best:
        return None
    after = ep.phase[c.after :]
    days = ep.phase_days()[c.after :]
    values = c.values[c.after :]
    slope = theil_sen_slope(days, values)
    if slope is None or slope <= p.slope_points / p.slope_days + EPS:
        return None
    intercept = theil_sen_intercept(days, values, slope)
    day = math.ceil((c.threshold - intercept) / slope - EPS)
    earliest = after[-1].assessed_on + ONE_DAY
    reaches = max(ep.treated_on + timedelta(days=day), earliest)
    return {
        "points_per_period": round(slope * p.slope_days, 1),
        "period_days": p.slope_days,
        "from": after[0].assessed_on.isoformat(),
        "last_on": after[-1].assessed_on.isoformat(),
        "assessments": len(after),
        "limit_points_per_period": p.slope_points,
        "reaches_threshold_on": reaches,
    }


def _returning_stiffness(ep: EpisodeView) -> dict[str, Any] | None:
    """The latest stiffness >= stiffness_rise_points above its best of the response phase while
    the latest assessment signals in neither pain nor function."""
    phase, courses = ep.phase, ep.courses
    rise = ep.rules.possible_wearing_off.stiffness_rise_points - EPS
    values: list[float] = [a.stiffness for a in phase]  # type: ignore[misc]
    if values[-1] < rise:
        return None  # cannot be that far above a best of 0 or more
    best = min(values)
    if values[-1] - best < rise:
        return None
    at = values.index(best)

    def raised_at(i: int) -> bool:
        return (
            phase[i].assessed_on > phase[at].assessed_on
            and values[i] - best >= rise
            and not any(c.signals_at(i) for c in courses)
        )

    last = len(phase) - 1
    if not raised_at(last):
        return None
    first = last
    while first > 0 and raised_at(first - 1):
        first -= 1
    return {
        "best": round(best, 1),
        "best_on": phase[at].assessed_on.isoformat(),
        "latest": round(values[last], 1),
        "latest_on": phase[last].assessed_on.isoformat(),
        "since": phase[first].assessed_on.isoformat(),
    }
