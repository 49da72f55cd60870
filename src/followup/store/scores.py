"""The stored score columns of an assessment, in one place for every writer (the phone entry,
the kiosk, the import): what ``domain.scoring`` computes, as the assessment table holds it."""

from __future__ import annotations

from typing import Any

from followup.domain.instrument import ITEM_KEYS
from followup.domain.scoring import Scores

SCORE_COLUMNS = [
    "instrument_version",
    "pain_raw",
    "stiffness_raw",
    "function_raw",
    "total_raw",
    "pain_score",
    "stiffness_score",
    "function_score",
    "total_score",
    "answered",
    "imputed",
]
ASSESSMENT_INSERT_COLUMNS = [
    *ITEM_KEYS,
    "patient_id",
    "knee",
    "assessed_on",
    "source",
    "pain_nrs",
    "patient_global",
    "adverse_event",
    "note",
    *SCORE_COLUMNS,
    "entered_in_error",
    "created_at",
    "created_by",
]


def score_values(scores: Scores) -> tuple[Any, ...]:
    """The stored score columns of an assessment, in SCORE_COLUMNS order."""
    return (
        scores.instrument_version,
        scores.pain.raw,
        scores.stiffness.raw,
        scores.function.raw,
        scores.total_raw,
        scores.pain.score,
        scores.stiffness.score,
        scores.function.score,
        scores.total,
        scores.answered,
        scores.imputed,
    )


def score_columns(scores: Scores) -> dict[str, Any]:
    """The stored score columns of an assessment, by name."""
    return dict(zip(SCORE_COLUMNS, score_values(scores), strict=True))


# Exports and exchange files give the normalised scores to two decimals (they are stored in
# full): enough for a 0-100 score, and the same in every file followup writes.
SCORE_DECIMALS = 2
ROUNDED_SCORES = ("pain_score", "stiffness_score", "function_score", "total_score")


def rounded_scores(assessment: Any) -> dict[str, float | None]:
    """A stored assessment's normalised scores (``ROUNDED_SCORES``) as files give them: two
    decimals, None where a subscale is not valid."""
    found: dict[str, float | None] = {}
    for name in ROUNDED_SCORES:
        value = getattr(assessment, name)
        found[name] = None if value is None else round(value, SCORE_DECIMALS)
    return found
