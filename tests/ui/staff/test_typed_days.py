"""Every day typed into a staff form is YYYY-MM-DD in ASCII digits (issue 16): the forms' value
functions refuse what ``date.fromisoformat`` would also take (``20261121``, a week date),
name the field, and never repeat a birth date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from followup.errors import FollowupError
from followup.services.patients import FIELDS
from followup.ui.staff.decision_dialog import booster_day
from followup.ui.staff.patient_form_values import typed_values
from followup.ui.staff.phone_entry_day import assessment_day
from followup.ui.staff.treatment_form import typed_draft

TODAY = date(2026, 11, 21)
NOT_WRITTEN = ["20261121", "2026-W47-6", "２０２６-11-21", "2026-١١-21"]


def _patient(born: str) -> dict[str, Any]:
    raw: dict[str, Any] = dict.fromkeys(FIELDS)
    raw.update(name="Ann Example", birth_date=born)
    return raw


def _treatment(treated_on: str) -> dict[str, Any]:
    return {
        "treated_on": treated_on, "knee": "left", "product": "prp", "route": None,
        "cells_millions": None, "kl_grade": None, "booster_of": None, "banked_doses": None,
        "treatment_id": None,
    }  # fmt: skip


def test_well_written_days_are_read() -> None:
    assert typed_values(_patient("1956-03-02"))["birth_date"] == date(1956, 3, 2)
    assert typed_draft("P1", _treatment("2026-11-21")).treated_on == TODAY
    assert booster_day("2026-12-24", TODAY) == date(2026, 12, 24)
    assert assessment_day("2026-11-20", TODAY) == date(2026, 11, 20)


@pytest.mark.parametrize("typed", NOT_WRITTEN)
def test_birth_date_is_refused_by_name_without_repeating_it(typed: str) -> None:
    with pytest.raises(FollowupError) as refused:
        typed_values(_patient(typed))
    assert str(refused.value) == "birth date: is not a date like 1956-03-02"


@pytest.mark.parametrize("typed", NOT_WRITTEN)
def test_treated_on_is_refused_by_name(typed: str) -> None:
    with pytest.raises(FollowupError, match="^treated on: .* is not a date like 2026-11-21$"):
        typed_draft("P1", _treatment(typed))


@pytest.mark.parametrize("typed", [*NOT_WRITTEN, "20261224", "2026-W52-4"])
def test_booster_day_is_refused_by_name(typed: str) -> None:
    with pytest.raises(ValueError, match="^booster day: .* is not a day like 2026-12-24$"):
        booster_day(typed, TODAY)


@pytest.mark.parametrize("typed", ["20261120", "２０２６-11-20", "2026-١١-20"])
def test_assessed_on_says_how_to_write_it(typed: str) -> None:
    with pytest.raises(FollowupError, match="is not a date written YYYY-MM-DD$"):
        assessment_day(typed, TODAY)
