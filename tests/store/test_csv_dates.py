"""A CSV date cell is read by the one strict reader of a typed day: YYYY-MM-DD in ASCII digits,
and its refusal never repeats the cell (a birth date identifies a patient)."""

from __future__ import annotations

from datetime import date

import pytest

from followup.store.csv_files import iso_date, iso_datetime_with_offset

MESSAGE = "is not a real date like 1958-04-01 (YYYY-MM-DD)"


def test_a_written_day_is_read() -> None:
    assert iso_date("1958-04-01") == date(1958, 4, 1)


@pytest.mark.parametrize(
    "cell", ["19580401", "1958-W14-2", "１９５８-04-01", "1958-04-01T00:00", "1958-02-30"]
)
def test_other_forms_are_refused_without_repeating_the_cell(cell: str) -> None:
    with pytest.raises(ValueError) as refused:
        iso_date(cell)
    assert str(refused.value) == MESSAGE


@pytest.mark.parametrize("cell", ["20260314T09:30:00+09:00", "2026-W11-6T09:30:00+09:00"])
def test_a_date_time_starts_with_a_written_day(cell: str) -> None:
    with pytest.raises(ValueError, match="is not a date-time like"):
        iso_datetime_with_offset(cell)
