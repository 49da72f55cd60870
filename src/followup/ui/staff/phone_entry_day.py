"""The "Assessed on" field of a phone entry: the day the patient gave the answers, typed as
YYYY-MM-DD, and how it is checked and shown back on the review."""

from __future__ import annotations

from datetime import date

from textual.validation import ValidationResult, Validator

from followup.domain.written_dates import written_day
from followup.errors import FollowupError
from followup.services.record_assessment import check_assessed_on

# A phone entry records a recent call: a day further back is almost always a typo (2016 for
# 2026), and forms that old come in on paper and are imported (``followup import assessments``).
MAX_ENTRY_AGE_DAYS = 90


def assessment_day(text: str, today: date) -> date:
    """The day typed in the "Assessed on" field (YYYY-MM-DD), if the service would accept it
    and it is at most MAX_ENTRY_AGE_DAYS ago; otherwise FollowupError saying what is wrong."""
    text = text.strip()
    if not text:
        raise FollowupError("no date given: type it as YYYY-MM-DD")
    try:
        day = written_day(text)
    except ValueError as exc:
        raise FollowupError(f"{text} {exc}") from None
    check_assessed_on(day, today)
    if (today - day).days > MAX_ENTRY_AGE_DAYS:
        raise FollowupError(
            f"{text} is more than {MAX_ENTRY_AGE_DAYS} days ago: a phone entry is for a recent "
            "call (older forms are imported from a CSV file)"
        )
    return day


def describe_day(day: date, today: date) -> str:
    """The day with how long ago it was, so a date typed wrong stands out on the review."""
    days = (today - day).days
    ago = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    return f"{day.isoformat()} ({ago})"


class AssessmentDay(Validator):
    """Accepts what ``assessment_day`` accepts; the failure names the field and says why not."""

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    def validate(self, value: str) -> ValidationResult:
        """Accept a day a phone entry may record; otherwise say why, naming the field."""
        try:
            assessment_day(value, self.today)
        except FollowupError as exc:
            return self.failure(f"Assessed on: {exc}.")
        return self.success()
