"""Per-knee trajectories for charts: every valid assessment of the knee, the treatments, and for
the latest episode the baseline, best value and signal threshold of pain and function, so a chart
shows at a glance where the knee stands against the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from followup.domain.flags import signal_threshold
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet
from followup.domain.schedule import baseline
from followup.services.context import Context
from followup.store.engine import read_session
from followup.store.episodes import knee_episodes

DOMAINS = ("pain", "function")


@dataclass(frozen=True)
class Point:
    assessed_on: date
    pain: float
    stiffness: float
    function: float


@dataclass(frozen=True)
class Reference:
    """Baseline, best (lowest) value since day 28, and the value at which a signal starts."""

    baseline: float
    baseline_on: date
    best: float | None = None
    best_on: date | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class KneeTrajectory:
    patient_id: str
    knee: str
    treatments: list[tuple[str, date, str]]  # (id, treated_on, product)
    points: list[Point]
    references: dict[str, Reference] = field(default_factory=dict)  # by domain, latest episode


def _references(episode: EpisodeInput, as_of: date, rules: RuleSet) -> dict[str, Reference]:
    base = baseline(episode, rules)
    if base is None:
        return {}
    start = episode.treatment.treated_on + timedelta(days=rules.response.phase_start_day)
    phase = [a for a in episode.assessments if a.valid and start <= a.assessed_on <= as_of]
    refs = {}
    for domain in DOMAINS:
        b = getattr(base, domain)
        if not phase:
            refs[domain] = Reference(b, base.assessed_on)
            continue
        best = min(phase, key=lambda a: getattr(a, domain))  # first on ties
        n = getattr(best, domain)
        refs[domain] = Reference(
            b, base.assessed_on, n, best.assessed_on, signal_threshold(b, n, rules)
        )
    return refs


def knee_trajectories(
    ctx: Context, patient_id: str, as_of: date | None = None
) -> list[KneeTrajectory]:
    """One trajectory per treated knee of the patient (left first)."""
    as_of = as_of or ctx.today()
    result = []
    with read_session(ctx.engine) as session:
        conn = session.connection()
        for knee in ("left", "right"):
            episodes = [
                e
                for e in knee_episodes(conn, patient_id, knee, ctx.rules)
                if e.treatment.treated_on <= as_of
            ]
            if not episodes:
                continue
            seen: dict[int, Point] = {}
            for e in episodes:
                for a in e.assessments:
                    if a.valid and a.assessed_on <= as_of:
                        seen[a.id] = Point(a.assessed_on, a.pain, a.stiffness, a.function)  # type: ignore[arg-type]
            points = sorted(seen.values(), key=lambda p: p.assessed_on)
            result.append(
                KneeTrajectory(
                    patient_id=patient_id,
                    knee=knee,
                    treatments=[
                        (e.treatment.id, e.treatment.treated_on, e.treatment.product)
                        for e in episodes
                    ],
                    points=points,
                    references=_references(episodes[-1], as_of, ctx.rules),
                )
            )
    return result
