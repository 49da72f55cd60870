"""The response over months: ``no_response`` (the treatment never worked) and ``booster_window``
(the expected relief is running out).

- ``no_response``: as_of - treated_on >= 180 days, a valid assessment dated >= day 90, responder
  never met. raised_on is the later of day 180 and the first valid assessment from day 90.
- ``booster_window``: the next treatment counts only if dated on or before "as of". Durability
  ends at treated_on + months (fractional months as a share of an average month, see
  durability.py); raised_on is that date - 60 days (not before the treatment). It is raised for
  non-responders too (DESIGN sets no such condition; ``no_response`` says the rest).
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta

from followup.domain.durability import ExpectedDurability, expected_durability
from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.finding import Raised, finding, whole
from followup.domain.records import TreatmentRecord
from followup.domain.rules import RuleSet


def no_response(ep: EpisodeView) -> Raised | None:
    """>= after_days since treatment, a valid assessment from day assessment_from_day, and the
    responder criterion never met."""
    nr, t0 = ep.rules.no_response, ep.treated_on
    if ep.baseline is None or ep.responded is not None:
        return None
    day_n = t0 + timedelta(days=nr.after_days)
    if ep.as_of < day_n:
        return None
    i = bisect_left(ep.valid_dates, t0 + timedelta(days=nr.assessment_from_day))
    if i == len(ep.valid_dates):
        return None
    evidence = ep.common_evidence(
        f"{nr.after_days}+ days after treatment, assessed from day {nr.assessment_from_day}, "
        "responder criteria never met"
    )
    bests = []
    for c in ep.courses:
        evidence[c.domain] = c.evidence(ep.phase)
        bests.append(f"best {c.domain} {whole(c.best)} (baseline {whole(c.baseline)})")
    evidence["first_assessment_from_day"] = ep.valid_dates[i].isoformat()
    result = finding(
        "no_response",
        max(day_n, ep.valid_dates[i]),
        None,
        evidence,
        f"No response by day {nr.after_days} after treatment: {' and '.join(bests)} never met the "
        "OMERACT-OARSI responder criteria",
    )
    return Raised(result, ep.first_valid_after)


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
    """Expected durability - lead_days reached, and no later treatment of the knee yet."""
    if ep.next_treated_on is not None:
        return None
    t = ep.input.treatment
    durability, ends_on, opens_on = booster_dates(t, ep.input.smoker, ep.rules)
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
        responder=ep.responder_evidence(),
    )
    smoker = ", smoker" if durability.smoker_factor is not None else ""
    doses = (
        "banked doses not recorded"
        if banked is None
        else f"{banked} banked dose{'' if banked == 1 else 's'}"
    )
    result = finding(
        "booster_window",
        opens_on,
        None,
        evidence,
        f"Expected relief of {durability.months:g} months ({durability.basis}{smoker}) runs out on "
        f"{ends}; booster window open since {opens}; {doses}",
    )
    return Raised(result, ep.first_valid_after)
