"""The response over months (DESIGN.md 2.3, rule set 2026.2): ``no_response`` (the treatment
never worked), ``booster_window`` (the expected relief of a confirmed responder is running out)
and ``no_baseline`` (without a baseline the gain-based rules cannot run: a site that forgets
baseline forms must not go silent).

- ``no_response`` (action) when all hold: day 180 reached; an assessment from day 150 is in (the
  6-month visit), or day 210 reached with one from day 90; not a confirmed responder; and the
  criterion met at neither of the latest two assessments. Raised on the first day of the current
  stretch on which all hold (a late responder is not written off at the 3-month visit).
- ``booster_window`` (watch): from the treatment date + expected durability - 60 days, on the
  knee's latest episode, when it is a confirmed responder (the window of a knee that never
  responded means nothing). Raised on the later of the window's opening and the confirmation.
"""

from __future__ import annotations

from datetime import date, timedelta

from followup.domain.durability import ExpectedDurability, expected_durability
from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.finding import Raised, finding
from followup.domain.flags.wording import plural, points
from followup.domain.records import TreatmentRecord
from followup.domain.rules import RuleSet


def _no_response_holds(ep: EpisodeView, day: date) -> bool:
    """Whether every condition of ``no_response`` holds on ``day`` (data up to that day)."""
    nr, t0 = ep.rules.no_response, ep.treated_on
    if day < t0 + timedelta(days=nr.after_days):
        return False
    seen = [a for a in ep.phase if a.assessed_on <= day]
    in_visit = any(a.assessed_on >= t0 + timedelta(days=nr.visit_from_day) for a in seen)
    late = day >= t0 + timedelta(days=nr.late_after_days) and any(
        a.assessed_on >= t0 + timedelta(days=nr.late_visit_from_day) for a in seen
    )
    if not (in_visit or late):
        return False
    met = [a for a in ep.met if a.assessed_on <= day]
    if len(met) >= ep.rules.responder.confirm_readings:
        return False
    return not any(ep.meets(a) for a in seen[-2:])


def no_response(ep: EpisodeView) -> Raised | None:
    """No response by the 6-month visit (see the module docstring)."""
    if ep.superseded or len(ep.missing_baseline) == 2:
        return None  # without any baseline the criterion cannot be judged
    if not _no_response_holds(ep, ep.as_of):
        return None
    nr, t0 = ep.rules.no_response, ep.treated_on
    days = sorted(
        {t0 + timedelta(days=nr.after_days), t0 + timedelta(days=nr.late_after_days)}
        | {a.assessed_on for a in ep.phase}
    )
    days = [d for d in days if d <= ep.as_of]
    start = ep.as_of
    for d in reversed(days):  # back to the start of the stretch on which all hold
        if not _no_response_holds(ep, d):
            break
        start = d
    evidence = ep.common_evidence(
        f"no confirmed response by day {nr.after_days}, with a visit from day "
        f"{nr.visit_from_day} on"
    )
    evidence["responder"] = ep.responder_evidence()
    bests = []
    for c in ep.courses:
        evidence[c.domain] = {
            "baseline": round(c.baseline, 1),
            "best_level": round(c.best, 1),
            "best_level_set_on": c.best_on.isoformat(),
            "best_level_from": [d.isoformat() for d in c.best_dates],
            "improvement": round(c.improvement, 1),
            "responded": c.responded,
        }
        bests.append(
            f"best {c.domain} level {points(c.best)} (before treatment {points(c.baseline)})"
        )
    latest = [a.assessed_on.isoformat() for a in ep.phase[-2:]]
    evidence["latest_readings"] = latest
    met = len(ep.met)
    result = finding(
        "no_response",
        start,
        None,
        evidence,
        f"No response by day {nr.after_days} after treatment: {' and '.join(bests)}; the "
        f"OMERACT-OARSI responder criteria were met at {plural(met, 'assessment')} "
        f"(two needed), not at the latest ({', '.join(latest)})",
    )
    return Raised(result, ep.first_usable_after)


def booster_dates(
    treatment: TreatmentRecord, smoker: bool, rules: RuleSet
) -> tuple[ExpectedDurability, date, date]:
    """(expected durability, the day it ends, the day the booster window opens)."""
    t = treatment
    durability = expected_durability(t.kl_grade, t.route, smoker, rules)
    ends_on = durability.ends_on(t.treated_on)
    opens_on = max(ends_on - timedelta(days=rules.booster_window.lead_days), t.treated_on)
    return durability, ends_on, opens_on


def booster_window(ep: EpisodeView) -> Raised | None:
    """Expected durability - lead_days reached on the knee's latest episode, a confirmed
    responder."""
    confirmed_on = ep.confirmed_on
    if ep.superseded or confirmed_on is None:
        return None
    t = ep.input.treatment
    durability, ends_on, opens_on = booster_dates(t, ep.input.smoker, ep.rules)
    if ep.as_of < opens_on:
        return None
    banked = t.banked_doses
    evidence = ep.common_evidence("expected relief running out")
    evidence.update(
        expected_months=round(durability.months, 2),
        durability_basis=durability.basis,
        smoker_factor=durability.smoker_factor,
        durability_ends_on=ends_on.isoformat(),
        window_opens_on=opens_on.isoformat(),
        banked_doses=banked,
        responder=ep.responder_evidence(),
    )
    smoker = ", smoker: halved" if durability.smoker_factor is not None else ""
    doses = (
        "banked doses not recorded" if banked is None else f"{plural(banked, 'banked dose')} left"
    )
    # Raised on the first day both hold: a response confirmed after the window opened raises it
    # on the day of that confirmation, not on a day the flag could not have been seen.
    raised_on = max(opens_on, confirmed_on)
    result = finding(
        "booster_window",
        raised_on,
        None,
        evidence,
        f"Expected relief of {durability.months:g} months ({durability.basis}{smoker}) runs out "
        f"on {ends_on.isoformat()}; booster window open since {opens_on.isoformat()}; {doses}",
    )
    return Raised(result, ep.first_usable_after)


def no_baseline(ep: EpisodeView) -> Raised | None:
    """Data quality: a gain-based domain without a baseline, so its rules cannot run."""
    missing = ep.missing_baseline
    if not missing:
        return None
    lookback = ep.rules.baseline.lookback_days
    evidence = ep.common_evidence(f"no valid {' or '.join(missing)} baseline")
    evidence["missing"] = missing
    evidence["lookback_days"] = lookback
    if len(missing) == 2:
        what = "No baseline"
        cannot = "wearing off, no response and pain flares cannot be judged"
    else:
        what = f"No {missing[0]} baseline"
        cannot = f"{missing[0]} cannot be judged for wearing off or response"
    result = finding(
        "no_baseline",
        ep.treated_on,
        None,
        evidence,
        f"{what}: no valid {' or '.join(missing)} score in the {lookback} days up to the "
        f"treatment on {ep.treated_on.isoformat()}, so {cannot}; enter the pre-treatment "
        "assessment if one was taken (a paper form can be imported)",
    )
    return Raised(result, lambda _day: None)  # once decided, nothing newer can come
