"""A typed day is YYYY-MM-DD in ASCII digits and a real date; nothing else
``date.fromisoformat`` happens to take passes, and no refusal repeats the text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from followup.domain.written_dates import NOT_REAL, NOT_WRITTEN, WRITTEN_DAY, written_day

# Characters a near-miss is made of: digits of other scripts, week and time markers, spaces.
NEAR_MISSES = st.text(alphabet="0123456789-WT:+_ .２１٢\u00a0\t", max_size=14)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-21", date(2026, 11, 21)),
        ("1956-03-02", date(1956, 3, 2)),
        ("2024-02-29", date(2024, 2, 29)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_a_day_written_yyyy_mm_dd_is_read(text: str, day: date) -> None:
    assert written_day(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("20261121", NOT_WRITTEN),  # fromisoformat: the basic format
        ("2026-W47-6", NOT_WRITTEN),  # fromisoformat: a week date
        ("2026W476", NOT_WRITTEN),
        ("２０２６-11-21", NOT_WRITTEN),  # full-width digits
        ("2026-١١-21", NOT_WRITTEN),  # Arabic-Indic digits
        ("2026-11-21T00:00", NOT_WRITTEN),
        ("2026-11-21 ", NOT_WRITTEN),  # the callers strip spaces, the parser does not
        ("2026-1-5", NOT_WRITTEN),
        ("+2026-11-21", NOT_WRITTEN),
        ("2026-11-21\n", NOT_WRITTEN),
        ("", NOT_WRITTEN),
        ("2026-02-30", NOT_REAL),
        ("2025-02-29", NOT_REAL),
        ("2026-13-01", NOT_REAL),
        ("0000-01-01", NOT_REAL),
    ],
)
def test_anything_else_is_refused_without_repeating_it(text: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        written_day(text)
    assert str(refused.value) == message
    assert text.strip() == "" or text.strip() not in str(refused.value)


@given(st.dates())
def test_every_day_reads_back_from_its_iso_form(day: date) -> None:
    assert written_day(day.isoformat()) == day


@given(st.one_of(st.text(), NEAR_MISSES, st.from_regex(WRITTEN_DAY, fullmatch=True)))
@example("20261121")
@example("2026-W47-6")
@example("2026-326")
def test_what_is_accepted_is_exactly_a_written_day(text: str) -> None:
    try:
        day = written_day(text)
    except ValueError as refused:
        assert str(refused) in (NOT_WRITTEN, NOT_REAL)
        return
    assert WRITTEN_DAY.fullmatch(text) is not None and text.isascii()
    assert day.isoformat() == text
    assert written_day(day.isoformat()) == day
