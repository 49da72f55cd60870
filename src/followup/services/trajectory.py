"""Per-knee trajectories for charts: every assessment of the knee valid for pain or function, the
treatments, and for the latest episode the baseline, best level and signal threshold of pain and
function exactly as the flag rules compute them (``domain.flags.EpisodeView``), so a chart shows
at a glance where the knee stands against the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from followup.domain.flags import EpisodeView
from followup.domain.records import EpisodeInput
from followup.domain.rules import RuleSet
from followup.services.context import Context
from followup.store.engine import read_session
from followup.store.episodes import knee_episodes

DOMAINS = ("pain", "function")


@dataclass(frozen=True)
class Point:
    """One assessment's scores (None where a subscale was too incomplete to score)."""

    assessed_on: date
    pain: float | None
    stiffness: float | None
    function: float | None


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
    """One knee's scores over time with its treatments and reference levels, ready to chart."""

    patient_id: str
    knee: str
    treatments: list[tuple[str, date, str]]  # (id, treated_on, product)
    points: list[Point]
    references: dict[str, Reference] = field(default_factory=dict)  # by domain, latest episode


def _references(episode: EpisodeInput, as_of: date, rules: RuleSet) -> dict[str, Reference]:
    """Each domain's baseline, best level and signal threshold as the rules see them."""
    view = EpisodeView(episode, as_of, rules)
    refs = {}
    for domain in DOMAINS:
        form = view.baseline[domain]
        if form is None:
            continue
        base = form.value(domain)
        course = view.course(domain)
        if course is None:
            refs[domain] = Reference(base, form.assessed_on)  # type: ignore[arg-type]
        else:
            refs[domain] = Reference(
                base,
                form.assessed_on,
                course.best,
                course.best_on,
                course.threshold,  # type: ignore[arg-type]
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
                    if a.assessed_on <= as_of and (a.pain is not None or a.function is not None):
                        seen[a.id] = Point(a.assessed_on, a.pain, a.stiffness, a.function)
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
