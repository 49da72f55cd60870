"""Wearing off (DESIGN.md 2.3, rule set 2026.2), for confirmed responders only, never from
stiffness alone:

- ``wearing_off`` (action, "booster check due"): in one domain, a run of signals whose last and
  first readings are at least 14 days apart; raised on the reading at which the span first
  reached 14 days, so it does not move as more confirming readings arrive.
- A run shorter than 14 days asks for a **confirmation call** 14 to 28 days after its start
  (``confirmation_call``): a second reading soon, instead of waiting months for the next visit.
  While the call is open the signal is on the worklist and the chart, not in the review queue.
- ``possible_wearing_off`` (watch), when ``wearing_off`` is not raised: (a) the confirmation
  window closed without a reading (raised on start + 29); (b) a worsening trend in a responding
  domain without a run: at least 3 readings after the best level was set and a Theil-Sen slope
  worse than +10 points per 90 days (``booster_check_by``: the day the trend reaches the signal
  level, at the earliest the day after the latest reading); (c) returning stiffness: the latest
  two stiffness readings both after stiffness's own best level was set and both at least 37.5
  points (3 of 8 raw points) above it, while neither pain nor function has a run.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from followup.domain.flags.course import DomainCourse, best_level, best_readings
from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.finding import EPS, Raised, finding
from followup.domain.flags.trend import theil_sen_intercept, theil_sen_slope
from followup.domain.flags.wording import lost, plural, points, standing


def _domain_evidence(c: DomainCourse) -> dict[str, Any]:
    latest = c.values[-1]
    share = c.fraction_lost(latest)
    found: dict[str, Any] = {
        "baseline": round(c.baseline, 1),
        "best_level": round(c.best, 1),
        "best_level_set_on": c.best_on.isoformat(),
        "best_level_from": [d.isoformat() for d in c.best_dates],
        "improvement": round(c.improvement, 1),
        "responded": c.responded,
        "signal_level": round(c.threshold, 1),
        "latest": round(latest, 1),
        "latest_on": c.dates[-1].isoformat(),
        "share_of_improvement_lost": None if share is None else round(share, 2),
    }
    if c.has_run:
        found["signal_run"] = {
            "first_on": c.run_start.isoformat(),
            "last_on": c.dates[-1].isoformat(),
            "days": c.run_days,
            "readings": len(c.values) - c.run_from,
        }
    return found


def evidence_of_domains(ep: EpisodeView) -> dict[str, Any]:
    """Each domain's course as evidence (baseline, best level and its day, improvement, whether
    it responded, signal level, latest reading, share lost, the run)."""
    return {c.domain: _domain_evidence(c) for c in ep.courses}


def _newer_signal(ep: EpisodeView):  # type: ignore[no-untyped-def]
    """Newer evidence for a wear-off kind after a decision: a signalling reading after it."""

    def newer(decided_on: date) -> date | None:
        found = [
            c.dates[i]
            for c in ep.courses
            for i in range(len(c.values))
            if c.dates[i] > decided_on and c.signals_at(i)
        ]
        return min(found, default=None)

    return newer


def _confirmed_runs(ep: EpisodeView) -> list[tuple[DomainCourse, date]]:
    """The runs that span at least ``min_run_days``, each with the reading at which it first
    did: what ``wearing_off`` is raised on."""
    min_days = ep.rules.wearing_off.min_run_days
    return [(c, reached) for c in ep.runs if (reached := c.run_reached(min_days)) is not None]


def wearing_off(ep: EpisodeView) -> Raised | None:
    """A run of signals spanning at least ``min_run_days`` in pain or function."""
    fired = _confirmed_runs(ep)
    if not fired:
        return None
    min_days = ep.rules.wearing_off.min_run_days
    domains = " and ".join(c.domain for c, _ in fired)
    evidence = ep.common_evidence(f"signal confirmed over {min_days} days or more in {domains}")
    evidence["responder"] = ep.responder_evidence()
    evidence.update(evidence_of_domains(ep))
    clauses = [
        f"{c.domain} {points(c.values[-1])} on {c.dates[-1].isoformat()}, signalling since "
        f"{c.run_start.isoformat()} ({plural(c.run_days, 'day')} to the latest reading, "
        f"{plural(len(c.values) - c.run_from, 'reading')}) at or above its signal level of "
        f"{points(c.threshold)}; {standing(c)}; {lost(c, c.values[-1])}"
        for c, _ in fired
    ]
    raised = finding(
        "wearing_off",
        min(reached for _, reached in fired),
        None,
        evidence,
        "Booster check due: " + "; ".join(clauses),
    )
    return Raised(raised, _newer_signal(ep))


def _open_runs(ep: EpisodeView) -> list[DomainCourse]:
    """Runs still shorter than ``min_run_days``, earliest start first."""
    min_days = ep.rules.wearing_off.min_run_days
    short = [c for c in ep.runs if c.run_days < min_days]
    return sorted(short, key=lambda c: (c.run_start, c.domain))


def confirmation_window(ep: EpisodeView) -> tuple[DomainCourse, date, date, date] | None:
    """The run a confirmation call is for, its due day and window (start + 14 to start + 28),
    whether or not the window has closed; None when no run is shorter than 14 days, when
    ``wearing_off`` is raised, or when a later treatment of the knee exists."""
    if ep.superseded or _confirmed_runs(ep):  # wearing_off is raised
        return None
    short = _open_runs(ep)
    if not short:
        return None
    c = short[0]
    conf = ep.rules.confirmation
    opens = c.run_start + timedelta(days=conf.opens_after_days)
    closes = c.run_start + timedelta(days=conf.closes_after_days)
    return c, opens, opens, closes


def _window_answered(ep: EpisodeView, opens: date, closes: date) -> bool:
    return any(opens <= a.assessed_on <= closes and a.counts_for_follow_up for a in ep.visible)


def possible_wearing_off(ep: EpisodeView) -> Raised | None:
    """An unconfirmed signal, a worsening trend, or returning stiffness (see the docstring)."""
    if not ep.confirmed_responder or ep.superseded:
        return None
    window = confirmation_window(ep)
    unconfirmed = None
    if window is not None:
        c, _due, opens, closes = window
        if ep.as_of > closes and not _window_answered(ep, opens, closes):
            unconfirmed = (c, opens, closes)
    has_runs = bool(ep.runs)
    trends = [(c, t) for c in ep.courses if not c.has_run and (t := _trend(ep, c))]
    stiffness = None if has_runs else _returning_stiffness(ep)
    if not (unconfirmed or trends or stiffness):
        return None
    evidence = ep.common_evidence("")
    evidence["responder"] = ep.responder_evidence()
    evidence.update(evidence_of_domains(ep))
    conditions: list[str] = []
    clauses: list[str] = []
    raised: list[date] = []
    if unconfirmed is not None:
        c, opens, closes = unconfirmed
        conditions.append(f"unconfirmed signal in {c.domain}")
        raised.append(closes + timedelta(days=1))
        evidence["confirmation_call"] = {
            "window_start": opens.isoformat(),
            "window_end": closes.isoformat(),
            "answered": False,
        }
        clauses.append(
            f"{c.domain} rose to {points(c.values[-1])} on {c.dates[-1].isoformat()}, at or above "
            f"its signal level of {points(c.threshold)} ({standing(c)}); the confirmation call "
            f"({opens.isoformat()} to {closes.isoformat()}) got no reading"
        )
    for c, trend in trends:
        conditions.append(f"{c.domain} worsening trend")
        raised.append(c.dates[-1])
        evidence[c.domain]["trend"] = trend
        clauses.append(
            f"{c.domain} worsening by {points(trend['points_per_period'])} points per "
            f"{trend['period_days']} days over {plural(trend['readings'], 'reading')} since its "
            f"best level ({points(c.best)}, set on {c.best_on.isoformat()}); at this rate it "
            f"reaches its signal level of {points(c.threshold)} by {trend['reaches_signal_on']}"
        )
    if stiffness is not None:
        conditions.append("returning stiffness")
        raised.append(date.fromisoformat(stiffness["latest_on"]))
        evidence["stiffness"] = stiffness
        values = " and ".join(points(v) for v in stiffness["latest"])
        clauses.append(
            f"stiffness {values} at the latest {plural(len(stiffness['latest']), 'reading')} "
            f"(to {stiffness['latest_on']}), at least {points(stiffness['rise'])} points above "
            f"its best level of {points(stiffness['best_level'])}, while pain and function hold "
            "(returning stiffness is often the first sign)"
        )
    evidence["condition"] = "; ".join(conditions)
    check_by = min((date.fromisoformat(t["reaches_signal_on"]) for _, t in trends), default=None)
    result = finding(
        "possible_wearing_off",
        min(raised),
        check_by,
        evidence,
        "Possibly wearing off: " + "; ".join(clauses),
    )
    if unconfirmed is not None:
        return Raised(result, _newer_signal(ep))
    # A trend or returning stiffness is kept up by readings that do not signal: any reading
    # after the decision that still shows it is newer evidence.
    return Raised(result, ep.first_usable_after)


def _trend(ep: EpisodeView, c: DomainCourse) -> dict[str, Any] | None:
    """The Theil-Sen trend over the readings after the best level was set, when worse than
    the limit, in a responding domain."""
    p = ep.rules.possible_wearing_off
    if not c.responded or len(c.values) - c.after < p.min_points_after_best:
        return None
    days = [(d - ep.treated_on).days for d in c.dates[c.after :]]
    values = c.values[c.after :]
    slope = theil_sen_slope(days, values)
    if slope is None or slope <= p.slope_points / p.slope_days + EPS:
        return None
    intercept = theil_sen_intercept(days, values, slope)
    day = math.ceil((c.threshold - intercept) / slope - EPS)
    reaches = max(ep.treated_on + timedelta(days=day), c.dates[-1] + timedelta(days=1))
    return {
        "points_per_period": round(slope * p.slope_days, 1),
        "period_days": p.slope_days,
        "from": c.dates[c.after].isoformat(),
        "to": c.dates[-1].isoformat(),
        "readings": len(values),
        "limit_points_per_period": p.slope_points,
        "reaches_signal_on": reaches.isoformat(),
    }


def _returning_stiffness(ep: EpisodeView) -> dict[str, Any] | None:
    """The latest stiffness readings all after stiffness's best level was set and all far above
    it (pain and function having no run: checked by the caller)."""
    p = ep.rules.possible_wearing_off
    phase = [a for a in ep.visible if a.assessed_on >= ep.phase_start and a.stiffness is not None]
    if len(phase) < p.stiffness_readings:
        return None
    values: list[float] = [a.stiffness for a in phase]  # type: ignore[misc]
    dates = [a.assessed_on for a in phase]
    best, best_on = best_level(values, dates, ep.rules.best_level.readings)
    latest = list(zip(dates, values, strict=True))[-p.stiffness_readings :]
    if all(d > best_on and v >= best + p.stiffness_rise_points - EPS for d, v in latest):
        return {
            "best_level": round(best, 1),
            "best_level_set_on": best_on.isoformat(),
            "best_level_from": [
                dates[i].isoformat() for i in best_readings(values, ep.rules.best_level.readings)
            ],
            "rise": p.stiffness_rise_points,
            "latest": [round(v, 1) for _, v in latest],
            "latest_on": latest[-1][0].isoformat(),
        }
    return None
