"""Safety (DESIGN.md 2.3), level urgent: an adverse event reported on any form of the episode,
or a pain flare soon after the treatment.

Events are assessments dated within [treated_on, as_of] recording an adverse event (any form,
valid or not), or forms within 60 days of the treatment whose pain (valid on its own: a patient
who declined the stiffness questions still reports a flare) is at least 30 points worse than the
pain before this injection. The flare is measured from the episode's own pre-treatment pain when
it has one (a flare is a reaction to this injection; a maintenance booster given while well at 30
and followed by 65 is one), else from its baseline. raised_on is the first event's date; an
assessment on the treatment day counts (day 0 is within 60 days). After a decision, only a newer
safety event re-raises the flag. A later treatment does not silence it.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from typing import Any

from followup.domain.flags.episode import EpisodeView
from followup.domain.flags.finding import EPS, Raised, finding, whole
from followup.domain.records import ScoredAssessment


def safety(ep: EpisodeView) -> Raised | None:
    """Any adverse event in the episode, or a pain flare soon after the treatment."""
    events = safety_events(ep)
    if not events:
        return None
    latest = events[-1]
    fired = {"adverse event" for e in events if "adverse_event" in e}
    fired |= {"pain flare" for e in events if "pain_rise" in e}
    evidence = ep.common_evidence(" and ".join(sorted(fired)))
    evidence["events"] = events
    if "adverse_event" in latest:
        what = f"Adverse event reported on {latest['date']}: {latest['adverse_event']}"
    else:
        what = (
            f"Pain flare to {whole(latest['pain'])} on {latest['date']}, "
            f"{whole(latest['pain_rise'])} points worse than before treatment, "
            f"{latest['day']} days after treatment"
        )
    if len(events) > 1:
        what += f" ({len(events)} safety events since treatment)"
    dates = [date.fromisoformat(e["date"]) for e in events]

    def newer(decided_on: date) -> date | None:
        i = bisect_right(dates, decided_on)
        return dates[i] if i < len(dates) else None

    return Raised(finding("safety", dates[0], None, evidence, what), newer)


def safety_events(ep: EpisodeView) -> list[dict[str, Any]]:
    """Adverse events on any form from the treatment day, and pain flares on valid forms within
    flare_within_days of it, one entry per assessment in date order."""
    rules, t0 = ep.rules.safety, ep.treated_on
    reported = [
        a for a in ep.visible if a.adverse_event and a.assessed_on >= t0 and a.adverse_event.strip()
    ]
    own = ep.own_baseline["pain"]
    base_pain = own.pain if own is not None else ep.value_of("pain")
    flares: list[ScoredAssessment] = []
    if base_pain is not None:
        last = t0 + timedelta(days=rules.flare_within_days)
        limit = base_pain + rules.flare_points - EPS
        flares = [
            a
            for a in ep.visible
            if t0 <= a.assessed_on <= last and a.pain is not None and a.pain >= limit
        ]
    if not reported and not flares:
        return []
    reported_ids = {id(a) for a in reported}
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
            event["pain_rise"] = round(a.pain - base_pain, 1)  # type: ignore[operator]
        events.append(event)
    return events
