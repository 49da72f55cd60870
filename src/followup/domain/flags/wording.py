"""How the flags say things, so a clinician reads the evidence without decoding it: whole points,
one rounding for a percentage everywhere, ISO dates, and "worse than before treatment" rather
than more than all of the improvement lost."""

from __future__ import annotations

from followup.domain.flags.course import DomainCourse


def points(value: float) -> str:
    """A score as a clinician reads it: whole points."""
    return f"{value:.0f}"


def percent(fraction: float) -> str:
    """A share as a whole percentage ("45%")."""
    return f"{fraction:.0%}"


def lost(course: DomainCourse, value: float) -> str:
    """How much of the improvement ``value`` gives back, in words."""
    share = course.fraction_lost(value)
    if share is None:
        return "no improvement to lose"
    if value >= course.baseline:
        return "worse than before treatment" if value > course.baseline else "back to where it was"
    return f"{percent(share)} of the improvement lost"


def standing(course: DomainCourse) -> str:
    """'before treatment 70, best level 31 set on 2026-03-01'."""
    return (
        f"before treatment {points(course.baseline)}, best level {points(course.best)} "
        f"set on {course.best_on.isoformat()}"
    )


def plural(count: int, word: str) -> str:
    """'1 reading', '2 readings'."""
    return f"{count} {word}{'' if count == 1 else 's'}"
