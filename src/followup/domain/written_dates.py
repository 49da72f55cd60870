"""A day as a person writes it for followup: YYYY-MM-DD in ASCII digits, and nothing else.

Python's ``date.fromisoformat`` also takes ``20261121`` and ``2026-W47-6`` (and, from Python
3.12, more forms still), so a slip of the keyboard or a week number can pass for a day nobody
meant. Every typed day (forms, command-line options, CSV cells) goes through ``written_day``.
Its messages never repeat the text: a birth date identifies a patient, so each caller decides
whether its field may be shown back.
"""

from __future__ import annotations

import re
from datetime import date

WRITTEN_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

NOT_WRITTEN = "is not a date written YYYY-MM-DD"
NOT_REAL = "is not a real date"


def written_day(text: str) -> date:
    """``text`` as a day: exactly YYYY-MM-DD in ASCII digits (no spaces: callers strip them
    where they allow them) and a date on the calendar. Otherwise ValueError, whose message is
    ``NOT_WRITTEN`` or ``NOT_REAL`` and never repeats ``text``."""
    if WRITTEN_DAY.fullmatch(text) is None:
        raise ValueError(NOT_WRITTEN)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(NOT_REAL) from None
