"""The read models behind find-patient and the patient screen (services/patients.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from followup.errors import NotFound, PermissionDenied
from followup.services.find_patient import search_patients
from followup.services.importing import import_file
from followup.services.patient_record import patient_detail
from followup.services.record_assessment import (
    AssessmentEntry,
    mark_entered_in_error,
    record_assessment,
)

PATIENTS = """patient_id,name,birth_date,site,timezone
P0001,Anna Müller,1950-01-01,main,Europe/Berlin
P0002,Bob O'Hara,1948-02-02,main,
P0003,Cid 50%_Off,1952-03-03,north,
P0010,anna karenina,1960-04-04,north,
"""
TREATMENTS = """treatment_id,patient_id,knee,treated_on,product,booster_of,banked_doses
T1,P0001,left,2026-01-10,adsc_cultured,,3
T2,P0001,left,2026-07-10,adsc_cultured,T1,2
T3,P0001,right,2026-02-10,prp,,
"""


def _load(ctx, tmp_path):
    for kind, text in (("patients", PATIENTS), ("treatments", TREATMENTS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, "utf-8")
        import_file(ctx, kind, path, "test")
    return ctx


@pytest.fixture
def clinic(any_ctx, tmp_path):
    """SQLite, and PostgreSQL when the test server is reachable."""
    return _load(any_ctx, tmp_path)


def _ids(hits):
    return [h.id for h in hits]


def test_search_by_id_prefix_in_any_case_first(clinic):
    assert _ids(search_patients(clinic, "P000")) == ["P0001", "P0002", "P0003"]
    assert _ids(search_patients(clinic, "p0001")) == ["P0001"]
    assert _ids(search_patients(clinic, "P001")) == ["P0010"]


def test_search_by_name_fragments_ignores_case(clinic):
    assert _ids(search_patients(clinic, "ANNA")) == ["P0010", "P0001"]  # name order, any case
    assert _ids(search_patients(clinic, "ann mül")) == ["P0001"]  # every word must match
    assert _ids(search_patients(clinic, "o'hara")) == ["P0002"]
    assert _ids(search_patients(clinic, "MÜLLER")) == ["P0001"]  # non-ASCII capitals too
    assert search_patients(clinic, "  ") == []


ACCENTED = """patient_id,name,birth_date
A01,José Muñoz,1950-01-01
A02,Ahmet Çelik,1951-01-01
A03,Halina Wójcik,1952-01-01
A04,Wolfgang Groß,1953-01-01
A05,Łukasz Zieliński,1954-01-01
A06,Jose Munoz,1955-01-01
A07,Dũng Trần,1956-01-01
"""


def test_search_by_name_ignores_accents_both_ways(any_ctx, tmp_path):
    path = tmp_path / "accented.csv"
    path.write_text(ACCENTED, "utf-8")
    import_file(any_ctx, "patients", path, "test")

    def names(query):
        return _ids(search_patients(any_ctx, query))

    assert names("jose munoz") == ["A01", "A06"]
    assert names("JOSE") == ["A01", "A06"]
    assert names("Muñoz josé") == ["A01", "A06"]  # an accented query finds the plain spelling
    assert names("celik") == names("ÇELIK") == names("çel") == ["A02"]
    assert names("wojcik") == names("WÓJC") == ["A03"]
    assert names("strasse") == []
    assert names("gross") == names("GROß") == ["A04"]
    assert names("lukasz zielinski") == ["A05"]
    assert names("tran dung") == ["A07"]
    assert names("\u0301") == []  # nothing left to look for once the accent is gone


def test_search_treats_like_wildcards_literally(clinic):
    assert _ids(search_patients(clinic, "50%")) == ["P0003"]
    assert _ids(search_patients(clinic, "%")) == ["P0003"]
    assert _ids(search_patients(clinic, "_")) == ["P0003"]


def test_search_is_limited_and_site_bound(clinic):
    assert len(search_patients(clinic, "P", limit=2)) == 2
    assert _ids(search_patients(clinic, "anna", site_id="north")) == ["P0010"]


def test_search_uses_indexes_not_a_sort_of_the_cohort(ctx, tmp_path):
    clinic = _load(ctx, tmp_path)  # SQLite's query plans
    plans: list[str] = []

    @event.listens_for(clinic.engine, "before_cursor_execute")
    def explain(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if "FROM patient" in statement and not statement.startswith("EXPLAIN"):
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" | ".join(str(r[-1]) for r in rows))

    search_patients(clinic, "p00")
    search_patients(clinic, "zz")
    event.remove(clinic.engine, "before_cursor_execute", explain)
    id_plans = [p for p in plans if "id>?" in p]
    assert id_plans and all("TEMP B-TREE FOR ORDER BY" not in p for p in id_plans)
    name_plans = [p for p in plans if "search_name" in p]
    assert name_plans and all("USING INDEX ix_patient_search_name" in p for p in name_plans)
    assert all("TEMP B-TREE" not in p for p in name_plans)


def test_detail_has_treatments_contacts_and_assessments_newest_first(clinic):
    answers = {f"p{i}": 2 for i in range(1, 6)} | {"s1": 1, "s2": 1}
    answers |= {f"f{i}": 1 for i in range(1, 18)}
    for day in (date(2026, 8, 1), date(2026, 9, 1)):
        record_assessment(
            clinic,
            AssessmentEntry("P0001", "left", day, "phone", answers, pain_nrs=4),
            "test",
        )
    detail = patient_detail(clinic, "P0001")
    wrong = detail.assessments[0]
    mark_entered_in_error(clinic, wrong.id, "duplicate", "test")
    detail = patient_detail(clinic, "P0001")
    assert detail.name == "Anna Müller" and detail.timezone == "Europe/Berlin"
    assert [t.id for t in detail.treatments_of("left")] == ["T1", "T2"]
    assert detail.treatments_of("left")[1].booster_of == "T1"
    assert detail.treated_knees == ("left", "right")
    assert [a.assessed_on for a in detail.assessments] == [date(2026, 9, 1), date(2026, 8, 1)]
    first = detail.assessments[0]
    assert first.entered_in_error and first.error_reason == "duplicate"
    assert first.pain == 50.0 and first.pain_nrs == 4
    assert detail.age(date(2026, 11, 21)) == 76


def test_detail_refuses_unknown_and_other_site_patients(clinic):
    with pytest.raises(NotFound):
        patient_detail(clinic, "P9999")
    with pytest.raises(PermissionDenied):
        patient_detail(clinic, "P0003", site_id="main")


def test_a_calls_status_on_the_days_around_its_window() -> None:
    from datetime import date

    from followup.domain.flags.calls import Call

    call = Call("6m", date(2026, 5, 10), date(2026, 5, 3), date(2026, 5, 17))
    assert call.status(date(2026, 5, 2)) == "upcoming"
    assert call.status(date(2026, 5, 3)) == "due"
    assert call.status(date(2026, 5, 17)) == "due"
    assert call.status(date(2026, 5, 18)) == "overdue"
