"""What the self-report app says to patients, in plain words: knee names, dates, their own
trend, and errors. Kept free of Textual so it can be read and tested on its own."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import OperationalError

from followup.services.self_report import OwnTrend, ScoreTrend

KNEE_NAMES = {"left": "left knee", "right": "right knee"}

NOT_AVAILABLE = (
    "The questionnaire is not available right now. Please ask the clinic staff for help."
)
BUSY = "The clinic's system is busy. Please wait a moment and press Enter to try again."
NOT_SAVED = (
    "Sorry, something went wrong. Your answers have not been sent. "
    "Please ask the clinic staff for help."
)


def knee_name(knee: str) -> str:
    """The knee in the patient's words ("left knee")."""
    return KNEE_NAMES.get(knee, knee)


def long_date(day: date) -> str:
    """13 December 2024: no ambiguity between day and month for any patient."""
    return f"{day.day} {day:%B %Y}"


def _score(value: float) -> str:
    return str(round(value))


def _trend_lines(what: str, history_name: str, trend: ScoreTrend, treated_on: date) -> list[str]:
    if trend.now is None:
        return []
    lines = [f"Your {what} is {_score(trend.now)} out of 100 (lower is better)."]
    if trend.before is None:
        lines.append(
            f"There is no score from before your treatment on {long_date(treated_on)} "
            "to compare with."
        )
    elif trend.now_on is not None and trend.now_on > treated_on:
        lines[0] += f" Before treatment it was {_score(trend.before)}."
    if len(trend.since_treatment) >= 2:
        scores = ", ".join(_score(v) for v in trend.since_treatment)
        lines.append(f"Your {history_name} since treatment, oldest first: {scores}.")
    return lines


def trend_paragraphs(trend: OwnTrend | None) -> list[str]:
    """The patient's own pain and function since treatment, one paragraph each."""
    if trend is None:
        return []
    paragraphs = []
    for what, history_name, scores in (
        ("knee pain score", "pain scores", trend.pain),
        ("score for difficulty with daily activities", "daily-activity scores", trend.function),
    ):
        lines = _trend_lines(what, history_name, scores, trend.treated_on)
        if lines:
            paragraphs.append(" ".join(lines))
    return paragraphs


def problem_message(error: BaseException | None, otherwise: str = NOT_SAVED) -> str:
    """A message for a patient about a failed database action: never a traceback, never data."""
    if isinstance(error, OperationalError) and "locked" in str(error.orig).lower():
        return BUSY
    return otherwise
