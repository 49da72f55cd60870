"""A CSV date cell is read by the one strict reader of a typed day: YYYY-MM-DD in ASCII digits,
and its refusal never repeats the cell (a birth date identifies a patient)."""

from __future__ import annotations

from datetime import date

import pytest

from followup.store.csv_cells import iso_date, iso_datetime_with_offset

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


@pytest.mark.parametrize(
    "cell",
    ["20260314T09:30:00+09:00", "2026-W11-6T09:30:00+09:00", "2026-03-14T0930+09:00",
     "2026-03-14T09:30:00+0900", "2026-03-14T09", "2026-03-14T09:30:00+09:00:00",
     "2026-03-14T０9:30:00+09:00", "2026-03-14"],
)  # fmt: skip
def test_a_date_time_is_written_out_in_full(cell: str) -> None:
    with pytest.raises(ValueError, match="is not a date-time like"):
        iso_datetime_with_offset(cell)


@pytest.mark.parametrize(
    ("cell", "minutes"),
    [("2026-03-14T09:30:00+09:00", 540), ("2026-03-14 09:30-06:00", -360),
     ("2026-03-14T09:30:00.250000Z", 0), ("2026-03-14T09:30:00.5+05:30", 330)],
)  # fmt: skip
def test_a_date_time_as_followup_writes_it_is_read(cell: str, minutes: int) -> None:
    value = iso_datetime_with_offset(cell)
    assert value.utcoffset().total_seconds() == minutes * 60  # type: ignore[union-attr]
    assert (value.year, value.month, value.day, value.hour, value.minute) == (2026, 3, 14, 9, 30)


def test_a_date_time_without_its_offset_is_told_so() -> None:
    with pytest.raises(ValueError, match="has no UTC offset"):
        iso_datetime_with_offset("2026-03-14T09:30:00")
