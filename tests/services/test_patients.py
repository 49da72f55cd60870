"""Adding and editing patients in the app (services/patients.py), on SQLite and PostgreSQL:
the import's checks, refusals with messages naming the field, site limits, reasons for clinical
fields, and audit events with the old and new values of the changed fields only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from followup.errors import FollowupError, NotFound, PermissionDenied
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.find_patient import search_patients
from followup.services.patient_record import patient_detail
from followup.services.patients import (
    PatientDraft,
    ReasonRequired,
    add_patient,
    birth_date_problem,
    edit_patient,
)
from followup.services.review_queue import open_flags
from followup.services.sites import add_site

ADA = PatientDraft(
    "P1",
    "Ada Example",
    date(1956, 3, 2),
    sex="F",
    phone="+44 20 7946 0000",
    timezone="Europe/London",
    site_id="north",
    language="en-GB",
    smoker=False,
    bmi=27.5,
)


@pytest.fixture
def clinic(any_ctx: Context) -> Context:
    add_site(any_ctx, "north", "North clinic", "boss")
    add_site(any_ctx, "south", "South clinic", "boss")
    return any_ctx


def _events(ctx: Context, pid: str = "P1") -> list:
    return [e for e in list_events(ctx.engine, pid) if e.entity == "patient"]


def test_add_stores_every_field_and_audits_them(clinic: Context) -> None:
    assert add_patient(clinic, ADA, "nina") == "P1"
    detail = patient_detail(clinic, "P1")
    assert (detail.name, detail.phone, detail.language, detail.site_id) == (
        "Ada Example", "+44 20 7946 0000", "en-GB", "north",
    )  # fmt: skip
    assert (detail.smoker, detail.bmi, detail.timezone) == (False, 27.5, "Europe/London")
    [event] = _events(clinic)
    assert (event.action, event.user, event.entity_id, event.old) == ("create", "nina", "P1", None)
    assert event.new["phone"] == "+44 20 7946 0000" and event.new["birth_date"] == "1956-03-02"
    assert "diabetes" not in event.new  # not recorded: nothing to show
    assert [h.id for h in search_patients(clinic, "ada exam")] == ["P1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone: 'Mars/Olympus' is not an IANA time zone"),
        ({"bmi": 200}, "BMI: must be 10-90, got 200"),
        ({"birth_date": date(2030, 1, 1)}, "birth date: is in the future"),
        ({"birth_date": date(1850, 1, 1)}, "birth date: is not a plausible birth date"),
        ({"sex": "Q"}, "sex: 'Q' is not one of: F, M, X"),
        ({"activity": "couch"}, "activity: 'couch' is not one of: low, moderate, high_impact"),
        ({"language": "en_GB"}, "language: 'en_GB' is not an IETF language tag"),
        ({"language": "x" * 36}, "language: is longer than 35 characters"),
        ({"name": "  "}, "name: is required"),
        ({"name": "Ada\nExample"}, "name: must be one line"),
        ({"phone": "+44 20\r7946"}, "phone: must be one line"),
        (
            {"site_id": "east"},
            "there is no site 'east'; an admin adds it with: followup site add east",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(
    clinic: Context, change: dict, message: str
) -> None:
    draft = PatientDraft(**{**ADA.__dict__, **change})
    with pytest.raises(FollowupError, match="^" + message.replace("(", r"\(")):
        add_patient(clinic, draft, "nina")
    with clinic.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 0
    assert _events(clinic) == []
    # The same checks guard an edit.
    add_patient(clinic, ADA, "nina")
    with pytest.raises(FollowupError, match="^" + message.replace("(", r"\(")):
        edit_patient(clinic, "P1", change, "nina", "a reason")
    assert len(_events(clinic)) == 1


def test_patient_ids_and_duplicates_are_refused(clinic: Context) -> None:
    add_patient(clinic, ADA, "nina")
    with pytest.raises(FollowupError, match="a patient with ID P1 already exists"):
        add_patient(clinic, ADA, "nina")
    for bad in ("", " P2", "P" * 33, "P\n2", "P[/b]", "P\x1b[2J", "P 2", "Ω1"):
        with pytest.raises(FollowupError, match="patient ID: must be 1-32 letters, digits"):
            add_patient(clinic, PatientDraft(bad, "B", date(1950, 1, 1)), "nina")


def test_edit_audits_old_and_new_of_the_changed_fields_only(clinic: Context) -> None:
    add_patient(clinic, ADA, "nina")
    change = edit_patient(
        clinic, "P1", {"phone": "+1-773-555-0104", "email": "ada@example.com", "sex": "F"}, "omar"
    )
    assert change.old == {"phone": "+44 20 7946 0000", "email": None}
    assert change.new == {"phone": "+1-773-555-0104", "email": "ada@example.com"}
    event = _events(clinic)[-1]
    assert (event.action, event.user, event.reason) == ("update", "omar", None)
    assert (event.old, event.new) == (change.old, change.new)


def test_an_empty_value_clears_an_optional_field_and_the_name_stays_searchable(
    clinic: Context,
) -> None:
    add_patient(clinic, ADA, "nina")
    edit_patient(clinic, "P1", {"phone": "", "language": None, "name": "Ada Müller"}, "nina")
    detail = patient_detail(clinic, "P1")
    assert (detail.phone, detail.language, detail.name) == (None, None, "Ada Müller")
    assert [h.id for h in search_patients(clinic, "ada muller")] == ["P1"]
    assert search_patients(clinic, "example") == []
    assert _events(clinic)[-1].old == {"phone": "+44 20 7946 0000", "language": "en-GB",
                                       "name": "Ada Example"}  # fmt: skip


def test_nothing_to_change_writes_nothing(clinic: Context) -> None:
    add_patient(clinic, ADA, "nina")
    assert edit_patient(clinic, "P1", {"phone": " +44 20 7946 0000 "}, "nina").new == {}
    assert len(_events(clinic)) == 1


def test_clinical_fields_need_a_reason(clinic: Context) -> None:
    add_patient(clinic, ADA, "nina")
    for field, value in (("smoker", True), ("diabetes", True), ("bmi", 31.0),
                         ("activity", "low")):  # fmt: skip
        with pytest.raises(ReasonRequired, match=f"changing {'BMI' if field == 'bmi' else field}"):
            edit_patient(clinic, "P1", {field: value}, "nina", reason="  ")
    assert len(_events(clinic)) == 1
    edit_patient(clinic, "P1", {"smoker": True}, "nina", reason="told us on the 6-week call")
    event = _events(clinic)[-1]
    assert (event.old, event.new, event.reason) == (
        {"smoker": False}, {"smoker": True}, "told us on the 6-week call",
    )  # fmt: skip


def test_unknown_patient_and_unknown_field(clinic: Context) -> None:
    with pytest.raises(NotFound, match="no patient with ID P404"):
        edit_patient(clinic, "P404", {"phone": "1"}, "nina")
    add_patient(clinic, ADA, "nina")
    with pytest.raises(FollowupError, match="unknown patient field 'shoe_size'"):
        edit_patient(clinic, "P1", {"shoe_size": 9}, "nina")


def test_staff_limited_to_a_site_add_and_edit_only_its_patients(clinic: Context) -> None:
    # No site given: the patient joins the staff member's site.
    add_patient(clinic, PatientDraft("P2", "Ben", date(1950, 1, 1)), "nina", staff_site="north")
    assert patient_detail(clinic, "P2").site_id == "north"
    with pytest.raises(PermissionDenied, match="you are limited to site south"):
        add_patient(clinic, ADA, "sam", staff_site="south")
    add_patient(clinic, ADA, "boss")
    with pytest.raises(PermissionDenied, match="P1: you are limited to site south"):
        edit_patient(clinic, "P1", {"phone": "1"}, "sam", staff_site="south")
    with pytest.raises(PermissionDenied, match="P1: you are limited to site north"):
        edit_patient(clinic, "P1", {"site_id": "south"}, "nina", staff_site="north")
    edit_patient(clinic, "P1", {"phone": "2"}, "nina", staff_site="north")
    edit_patient(clinic, "P1", {"site_id": "south"}, "boss")  # an unlimited account moves them
    assert patient_detail(clinic, "P1").site_id == "south"


def test_birth_date_problem_is_the_imports_rule(today: date) -> None:
    assert birth_date_problem(date(1956, 3, 2), today) is None
    assert "in the future" in (birth_date_problem(date(2027, 1, 1), today) or "")
    assert "plausible" in (birth_date_problem(date(today.year - 5, 1, 1), today) or "")


def test_changing_smoker_status_re_evaluates_the_treated_knees(demo_ctx: Context) -> None:
    """A smoker's expected durability is halved: a non-smoker's booster window opens later."""
    smoker_windows = [
        f for f in open_flags(demo_ctx) if f.kind == "booster_window"
        and patient_detail(demo_ctx, f.patient_id).smoker
    ]  # fmt: skip
    assert smoker_windows, "the demo has a smoker in the booster window"
    flag = smoker_windows[0]
    change = edit_patient(
        demo_ctx, flag.patient_id, {"smoker": False}, "doctor", reason="never smoked"
    )
    assert flag.knee in change.reevaluated_knees
    still_open = {(f.patient_id, f.kind) for f in open_flags(demo_ctx)}
    assert (flag.patient_id, "booster_window") not in still_open
    with demo_ctx.engine.connect() as conn:
        status = conn.execute(text(f"SELECT status FROM flag WHERE id = {flag.id}")).scalar()
    assert status == "cleared"
