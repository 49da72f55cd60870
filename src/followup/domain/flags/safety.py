"""Safety (DESIGN.md 2.3), level urgent: an adverse event reported on any form of the episode,
or a pain flare soon after the treatment.

Events are assessments dated within [treated_on, as_of] recording an adverse event (any form),
or valid ones within 60 days of treatment with pain >= baseline pain + 30. raised_on is the first
event's date. An assessment on the treatment day counts (day 0 is within 60 days). After a
decision, only a newer safety event re-raises the flag.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
            f"{whole(latest['pain_rise'])} points worse than baseline, "
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
    rules, t0, base = ep.rules.safety, ep.treated_on, ep.baseline
    reported = [
        a for a in ep.visible if a.adverse_event and a.assessed_on >= t0 and a.adverse_event.strip()
    ]
    flares: list[ScoredAssessment] = []
    if base is not None:
        dates = ep.valid_dates
        lo = bisect_left(dates, t0)
        hi = bisect_right(dates, t0 + timedelta(days=rules.flare_within_days), lo)
        limit = base.pain + rules.flare_points - EPS  # type: ignore[operator]
        flares = [a for a in ep.valid[lo:hi] if a.pain >= limit]  # type: ignore[operator]
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
            event["pain_rise"] = round(a.pain - base.pain, 1)  # type: ignore[operator, union-attr]
        events.append(event)
    return events
