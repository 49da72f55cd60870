"""``import patients --update``: existing patients are updated by ID (a column in the file
replaces the stored value, an empty cell clears it, a column left out leaves it), new IDs are
added, all or nothing, each changed patient audited with old and new values."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from followup.errors import FollowupError, InvalidInput
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.patient_record import patient_detail
from followup.services.review_queue import open_flags

PATIENTS = """patient_id,name,birth_date,phone,timezone,site,smoker,bmi,language
P1,Ada Example,1956-03-02,+44 20 7946 0000,Europe/London,main,no,27.5,en
P2,Ben Example,1949-11-30,,America/Chicago,north,yes,31,
"""


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def clinic(any_ctx: Context, tmp_path: Path) -> Context:
    import_file(any_ctx, "patients", write(tmp_path, "patients.csv", PATIENTS), "test")
    return any_ctx


def _updates(ctx: Context) -> list:
    return [e for e in list_events(ctx.engine) if e.action == "update"]


def test_columns_given_replace_columns_left_out_stay_and_new_ids_are_added(
    clinic: Context, tmp_path: Path
) -> None:
    update = "patient_id,phone,smoker,name,birth_date\nP1,,yes,Ada Example,1956-03-02\nP3,+1-773-555-0104,,Cid,1960-01-01\n"
    result = import_file(clinic, "patients", write(tmp_path, "u.csv", update), "nina", update=True)
    assert result.count == 1 and result.notes["patients updated"] == 1
    ada = patient_detail(clinic, "P1")
    assert (ada.phone, ada.smoker) == (None, True)  # given: replaced, the empty cell cleared
    assert (ada.timezone, ada.bmi, ada.language) == ("Europe/London", 27.5, "en")  # left out
    assert patient_detail(clinic, "P3").phone == "+1-773-555-0104"
    [event] = _updates(clinic)
    assert (event.user, event.entity, event.entity_id, event.patient_id) == (
        "nina",
        "patient",
        "P1",
        "P1",
    )
    assert event.old == {"phone": "+44 20 7946 0000", "smoker": False}
    assert event.new == {"phone": None, "smoker": True}
    assert event.reason == "import u.csv"
    [imported] = [e for e in list_events(clinic.engine) if e.action == "import"][-1:]
    assert imported.new["patients updated"] == 1


def test_a_patient_whose_values_are_the_same_is_not_audited(
    clinic: Context, tmp_path: Path
) -> None:
    same = "patient_id,phone,bmi\nP1,+44 20 7946 0000,27.5\nP2,,31\n"
    result = import_file(clinic, "patients", write(tmp_path, "s.csv", same), "t", update=True)
    assert result.notes["patients updated"] == 0 and _updates(clinic) == []


def test_all_or_nothing(clinic: Context, tmp_path: Path) -> None:
    bad = (
        "patient_id,phone,bmi,name\n"
        "P1,+1 555,28,Ada Example\n"  # fine alone
        "P2,,200,Ben Example\n"  # BMI out of range
        "P9,1,,Nobody\n"  # new, but no birth date column
        "P1,2,,Ada Example\n"  # twice
        "P3,,31,\n"  # a required field emptied
    )
    with pytest.raises(InvalidInput) as refused:
        import_file(clinic, "patients", write(tmp_path, "b.csv", bad), "t", update=True)
    assert [str(p) for p in refused.value.problems] == [
        "b.csv, line 3, column bmi: 200 is outside 10-90",
        "b.csv, line 6, column name: is required but empty",
        "b.csv, line 4, column birth_date: is needed for P9, a patient not in the database",
        "b.csv, line 5, column patient_id: P1 already appears on line 2",
        "b.csv, line 6, column birth_date: is needed for P3, a patient not in the database",
    ]
    assert patient_detail(clinic, "P1").phone == "+44 20 7946 0000"
    assert _updates(clinic) == []


def test_without_update_an_existing_id_is_still_refused(clinic: Context, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="P1 already exists in the database"):
        import_file(clinic, "patients", write(tmp_path, "p.csv", PATIENTS), "t")
    with pytest.raises(FollowupError, match="only patients can be updated"):
        import_file(clinic, "treatments", write(tmp_path, "p.csv", PATIENTS), "t", update=True)


def test_a_smoker_change_by_import_re_evaluates_the_knees(
    demo_ctx: Context, tmp_path: Path
) -> None:
    windows = [f for f in open_flags(demo_ctx) if f.kind == "booster_window"]
    smokers = [f for f in windows if patient_detail(demo_ctx, f.patient_id).smoker]
    flag = smokers[0]
    update = f"patient_id,smoker\n{flag.patient_id},no\n"
    import_file(demo_ctx, "patients", write(tmp_path, "s.csv", update), "t", update=True)
    with demo_ctx.engine.connect() as conn:
        status = conn.execute(text(f"SELECT status FROM flag WHERE id = {flag.id}")).scalar()
    assert status == "cleared"


def test_a_language_that_is_not_a_tag_is_refused_by_the_import(
    any_ctx: Context, tmp_path: Path
) -> None:
    bad = "patient_id,name,birth_date,language\nP1,Ada,1956-03-02,English (UK)\n"
    with pytest.raises(InvalidInput) as refused:
        import_file(any_ctx, "patients", write(tmp_path, "l.csv", bad), "t")
    # Not repeated: a cell with a space in it could be a name from a column next to it.
    assert str(refused.value) == (
        "l.csv, line 2, column language: is not an IETF language tag like en, ja, es or pt-BR"
    )
