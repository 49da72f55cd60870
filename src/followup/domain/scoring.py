"""Scoring of one WOMAC-style form (DESIGN.md 2.1).

A subscale with too many missing items is invalid (None, never 0); otherwise each missing item takes
the mean of the answered items of its subscale. Summing only what was answered would make patients
look better than they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from followup.domain.instrument import (
    ANSWER_MAX,
    ANSWER_MIN,
    FUNCTION,
    ITEM_KEYS,
    PAIN,
    STIFFNESS,
    TOTAL_RAW_MAX,
)


@dataclass(frozen=True)
class SubscaleScore:
    """Raw sum (after imputation) and 0-100 score, or None for both when invalid."""

    raw: float | None
    score: float | None
    answered: int
    imputed: int

    @property
    def valid(self) -> bool:
        """Whether enough items were answered for the subscale to be scored."""
        return self.score is not None


@dataclass(frozen=True)
class Scores:
    """All scores of one form. ``total`` is valid only when every subscale is."""

    pain: SubscaleScore
    stiffness: SubscaleScore
    function: SubscaleScore
    total_raw: float | None
    total: float | None
    answered: int
    imputed: int
    instrument_version: str

    @property
    def valid(self) -> bool:
        """Whether the questionnaire gives a total (every subscale scored)."""
        return self.total is not None


def check_answers(answers: Mapping[str, int | None]) -> None:
    """Raise ValueError naming the first unknown key or out-of-range answer."""
    for key, value in answers.items():
        if key not in ITEM_KEYS:
            raise ValueError(f"unknown item {key!r}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"item {key} must be a whole number {ANSWER_MIN}-{ANSWER_MAX}")
        if not ANSWER_MIN <= value <= ANSWER_MAX:
            raise ValueError(f"item {key} must be {ANSWER_MIN}-{ANSWER_MAX}, got {value}")


def score(answers: Mapping[str, int | None], instrument_version: str) -> Scores:
    """Score a form. ``answers`` maps item keys (p1..p5, s1..s2, f1..f17) to 0-4 or None."""
    check_answers(answers)
    return score_items(tuple(answers.get(k) for k in ITEM_KEYS), instrument_version)


def _subscale(values: Sequence[int | None], raw_max: int, invalid_when_missing: int) -> tuple:
    """(raw, score, answered, imputed) of one subscale; raw and score None when invalid."""
    missing = values.count(None)
    answered = len(values) - missing
    if missing >= invalid_when_missing:
        return None, None, answered, 0
    # Imputing each gap with the answered mean equals mean * number of items.
    # (filter(None, ...) drops the zeros as well as the gaps; neither changes the sum.)
    raw = sum(filter(None, values)) * len(values) / answered
    return raw, raw * 100 / raw_max, answered, missing


_PAIN = (PAIN.raw_max, PAIN.invalid_when_missing)
_STIFFNESS = (STIFFNESS.raw_max, STIFFNESS.invalid_when_missing)
_FUNCTION = (FUNCTION.raw_max, FUNCTION.invalid_when_missing)


def score_numbers(values: Sequence[int | None]) -> tuple:
    """The scores of answers already checked to be 0-4 or None, in ITEM_KEYS order, as plain
    numbers (the fast path used by bulk import): pain, stiffness, function and total raw sums,
    then their 0-100 scores, then items answered and imputed."""
    if None not in values:
        return _complete_form(values)
    p_raw, p_score, p_answered, p_imputed = _subscale(values[0:5], *_PAIN)
    s_raw, s_score, s_answered, s_imputed = _subscale(values[5:7], *_STIFFNESS)
    f_raw, f_score, f_answered, f_imputed = _subscale(values[7:24], *_FUNCTION)
    if p_raw is None or s_raw is None or f_raw is None:
        total_raw = total = None
    else:
        total_raw = p_raw + s_raw + f_raw
        total = total_raw * 100 / TOTAL_RAW_MAX
    return (
        p_raw,
        s_raw,
        f_raw,
        total_raw,
        p_score,
        s_score,
        f_score,
        total,
        p_answered + s_answered + f_answered,
        p_imputed + s_imputed + f_imputed,
        (p_answered, p_imputed, s_answered, s_imputed, f_answered, f_imputed),
    )


_COMPLETE_COUNTS = (len(PAIN.keys), 0, len(STIFFNESS.keys), 0, len(FUNCTION.keys), 0)


def _complete_form(values: Sequence[int]) -> tuple:
    """``score_numbers`` of a form with every item answered (most forms): nothing is imputed,
    so each raw sum is the plain sum of its items."""
    p_raw = float(sum(values[0:5]))
    s_raw = float(sum(values[5:7]))
    f_raw = float(sum(values[7:24]))
    total_raw = p_raw + s_raw + f_raw
    return (
        p_raw,
        s_raw,
        f_raw,
        total_raw,
        p_raw * 100 / _PAIN[0],
        s_raw * 100 / _STIFFNESS[0],
        f_raw * 100 / _FUNCTION[0],
        total_raw * 100 / TOTAL_RAW_MAX,
        len(ITEM_KEYS),
        0,
        _COMPLETE_COUNTS,
    )


def score_items(values: Sequence[int | None], instrument_version: str) -> Scores:
    """Score answers already checked to be 0-4 or None, in ITEM_KEYS order."""
    (p_raw, s_raw, f_raw, total_raw, p, s, f, total, answered, imputed, counts) = score_numbers(
        values
    )
    return Scores(
        pain=SubscaleScore(p_raw, p, counts[0], counts[1]),
        stiffness=SubscaleScore(s_raw, s, counts[2], counts[3]),
        function=SubscaleScore(f_raw, f, counts[4], counts[5]),
        total_raw=total_raw,
        total=total,
        answered=answered,
        imputed=imputed,
        instrument_version=instrument_version,
    )
