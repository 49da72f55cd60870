"""Parsers of one CSV cell (DESIGN.md section 7): each takes a stripped, non-empty cell and
returns its value, or raises ValueError with a message naming what is wrong without repeating a
cell that may identify a patient (a date, a name, a phone number: text is never repeated).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from followup.domain.written_dates import written_day
from followup.store.fields import (
    TextCheck,
    TimeZoneName,
    control_problem,
    decimal_number,
)
from followup.store.fields import whole_number as strict_whole_number

Parser = Callable[[str], Any]


# What a refused cell may be to be repeated (at most 12 characters): a lower-case code or a
# number, one capital letter (a sex's "Q"), a time zone's Area/Place or a language tag's en_GB.
# Names are written with capitals and without a "/": 'Nora', 'NORA' are never repeated.
CODE = re.compile(
    r"[a-z0-9_.+-]+|[A-Z]|[A-Za-z_]+/[A-Za-z0-9_/+-]+|[a-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})+"
)
MAX_REPEATED = 12


def repeated(cell: str, *, quoted: bool = True) -> str:
    """How a message refusing ``cell`` begins: with the cell when it is a short code or number
    ('7', 'middle', 'Q', 200), so the typo is plain to see, and with nothing when it could be a
    name, a date, a phone number or an e-mail address (a column filled from another one, under
    a header that does not match it). A word with a capital ('Nora', 'NORA') may be a name,
    and is not repeated."""
    digits = sum(c.isdigit() for c in cell)
    if len(cell) > MAX_REPEATED or digits > 4 or CODE.fullmatch(cell) is None:
        return ""
    return f"{cell!r} " if quoted else f"{cell} "


def _without_cell(error: ValueError, cell: str) -> ValueError:
    """A shared check's refusal (it begins with the value) without the cell, where
    ``repeated`` leaves it out."""
    message = str(error)
    return ValueError(message if repeated(cell) else message.removeprefix(f"{cell!r} "))


def text(max_length: int, checks: tuple[TextCheck, ...] = ()) -> Parser:
    """Text of at most ``max_length`` characters passing ``checks``. A leading apostrophe that
    an export put before a formula-like cell (``'+44 20...``) is taken off again."""

    def parse(cell: str) -> str:
        cell = unquote(cell)
        if len(cell) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        problem = control_problem(cell, lines=True)
        if problem is not None:
            raise ValueError(problem)
        for check in checks:
            try:
                check.check(cell)
            except ValueError as exc:
                raise _without_cell(exc, cell) from None
        return cell

    return parse


# A spreadsheet runs a cell beginning with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """Whether an export must put an apostrophe before ``value``: it begins like a formula, or
    it is itself an apostrophe before one (so that taking one off on import gives it back)."""
    while value.startswith("'"):
        value = value[1:]
    return value.startswith(FORMULA_STARTS)


def quote(value: str) -> str:
    """``value`` safe to open in a spreadsheet: an apostrophe before anything formula-like."""
    return "'" + value if looks_like_formula(value) else value


def unquote(cell: str) -> str:
    """The value ``quote`` was given: its apostrophe off, exactly when it put one there."""
    if cell.startswith("'") and looks_like_formula(cell[1:]):
        return cell[1:]
    return cell


@lru_cache(maxsize=100_000)
def iso_date(cell: str) -> date:
    """A cell holding a date written YYYY-MM-DD (ASCII digits). The message does not repeat
    the cell: a birth date identifies a patient."""
    try:
        return written_day(cell)
    except ValueError:
        raise ValueError("is not a real date like 1958-04-01 (YYYY-MM-DD)") from None


# A date-time as followup writes it and people type it: a written day, "T" or a space, hours and
# minutes (seconds and their fraction if any), then the UTC offset as Z or +HH:MM (checked apart,
# to say it is missing). Python also reads "T0930", "+0900" and week dates; nobody means those.
WRITTEN_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def iso_datetime_with_offset(cell: str) -> datetime:
    """A cell holding a date-time with its UTC offset (a call's local time stays known)."""
    try:
        if WRITTEN_DATETIME.fullmatch(cell) is None:
            raise ValueError
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError("is not a date-time like 2026-03-14T09:30:00+09:00") from None
    if value.utcoffset() is None:
        raise ValueError("has no UTC offset (add e.g. +09:00 or Z)")
    return value


def whole_number(low: int, high: int, noun: str | None = None) -> Parser:
    """A whole number from ``low`` to ``high``; ``noun`` says what it is in messages."""

    def parse(cell: str) -> int:
        try:
            value = strict_whole_number(cell)
        except ValueError:
            value = None
        if noun is not None and (value is None or not low <= value <= high):
            raise ValueError(f"{repeated(cell)}is not {noun} {low}-{high}")
        if value is None:
            raise ValueError(f"{repeated(cell)}is not a whole number (digits 0-9)")
        if not low <= value <= high:
            raise ValueError(f"{repeated(str(value), quoted=False)}is outside {low}-{high}")
        return value

    return parse


def decimal(low: float, high: float) -> Parser:
    """A parser for a number between ``low`` and ``high``."""

    def parse(cell: str) -> float:
        try:
            value = decimal_number(cell)
        except ValueError:
            raise ValueError(f"{repeated(cell)}is not a number like 27.5") from None
        if not low <= value <= high:  # also refuses nan
            raise ValueError(f"{repeated(cell, quoted=False)}is outside {low:g}-{high:g}")
        return value

    return parse


def one_of(values: tuple[str, ...]) -> Parser:
    """A parser for a cell that must be one of ``values``."""
    allowed = set(values)

    def parse(cell: str) -> str:
        if cell not in allowed:
            raise ValueError(f"{repeated(cell)}is not one of: {', '.join(values)}")
        return cell

    return parse


def yes_no(cell: str) -> bool:
    """A cell holding "yes" or "no" (any case)."""
    lowered = cell.lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise ValueError(f"{repeated(cell)}must be yes or no")


def timezone_name(cell: str) -> str:
    """A cell holding an IANA time zone name, such as Europe/Paris."""
    try:
        return TimeZoneName().check(cell)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise _without_cell(exc, cell) from None
