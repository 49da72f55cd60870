"""KL grades as a clinic types them for an outcomes selection (the command line's --kl-grade and
the Outcomes screen's filter read them the same way)."""

from __future__ import annotations

import pytest

from followup.errors import FollowupError
from followup.services.outcomes import kl_grade_keys


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("2-3", ("2", "3")),
        ("1-4", ("1", "2", "3", "4")),
        (" 2 - 3 ", ("2", "3")),
        ("2,3", ("2", "3")),
        ("4", ("4",)),
        ("Unknown", ("unknown",)),
        ("2-3, unknown", ("2", "3", "unknown")),
        ("3,2-3", ("3", "2")),  # each grade once
    ],
)
def test_grades_are_read_as_a_clinic_writes_them(typed, keys):
    assert kl_grade_keys(typed) == keys


@pytest.mark.parametrize(
    "typed",
    [
        "", "5", "0-2", "3-2", "two", "2;3", "2-",
        # Only ASCII digits: isdigit() takes "²" (int() then failed) and full-width "３".
        "1-²", "１-３", "３", "2-٣",
        "1-99999999999999999999",  # once counted out grade by grade
    ],
)  # fmt: skip
def test_a_grade_that_cannot_be_read_is_named(typed):
    with pytest.raises(FollowupError, match="KL grade") as refused:
        kl_grade_keys(typed)
    assert repr(typed.strip()) in str(refused.value)
