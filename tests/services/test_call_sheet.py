"""The call sheet's calls (a whole view, one call per patient), the urgent flags a signed-in
clinician is told of, and each knee's latest treatment (asked before a phone entry)."""

from __future__ import annotations

from datetime import date

import pytest

from followup.domain.instrument import ITEM_KEYS
from followup.services.call_list import VIEWS, call_page, grouped, view_list
from followup.services.call_sheet import read_call_sheet
from followup.services.importing import import_file
from followup.services.record_assessment import (
    AssessmentEntry,
    latest_treatments,
    record_assessment,
)
from followup.services.review_queue import new_urgent_flags

PATIENTS = """patient_id,name,birth_date,site,timezone
P1,Ada Example,1950-01-01,main,Asia/Tokyo
P2,Ben Example,1948-02-02,north,
P3,Cy Example,1952-03-03,main,
"""
TREATMENTS = """treatment_id,patient_id,knee,treated_on,product
T1,P1,left,2026-01-10,prp
T2,P1,left,2026-07-10,prp
T3,P1,right,2026-02-10,prp
T4,P2,right,2026-03-10,prp
T5,P3,left,2026-03-11,prp
"""


@pytest.fixture
def clinic(any_ctx, tmp_path):
    """Three treated patients on two sites; SQLite, and PostgreSQL when it is reachable."""
    for kind, text in (("patients", PATIENTS), ("treatments", TREATMENTS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, "utf-8")
        import_file(any_ctx, kind, path, "test")
    return any_ctx


def _adverse_event(ctx, patient_id: str, knee: str) -> None:
    entry = AssessmentEntry(
        patient_id, knee, ctx.today(), "phone", dict.fromkeys(ITEM_KEYS, 1), adverse_event="hot"
    )
    assert "safety" in record_assessment(ctx, entry, "nurse").new_kinds


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_view_read_whole_holds_the_calls_of_its_pages(demo_ctx, view):
    calls = grouped(view_list(demo_ctx, view, evaluate=False))
    first = call_page(demo_ctx, view, page_size=10_000)
    assert len(calls) == first.total
    assert [c.patient_id for c in calls] == [c.patient_id for c in first.calls]
    assert [[k.knee for k in c.knees] for c in calls] == [
        [k.knee for k in c.knees] for c in first.calls
    ]


def test_the_sheet_is_one_call_per_patient_under_its_status(demo_ctx):
    sheet = read_call_sheet(demo_ctx, view="30")
    assert len({i.patient_id for i in sheet.items}) == len(sheet.calls) < len(sheet.items)
    both = [c for c in sheet.calls if len(c.knees) == 2]
    assert both and all({k.knee for k in c.knees} == {"left", "right"} for c in both)
    statuses = [status for status, _ in sheet.by_status()]
    assert statuses == [s for s in ("overdue", "due", "upcoming") if s in statuses]
    assert sum(len(calls) for _, calls in sheet.by_status()) == len(sheet.calls)
    for call in sheet.calls:  # the local time is the patient's at the moment it was made
        local = call.first.patient_local_time
        if call.first.timezone:
            assert local is not None and local == sheet.made_at
            assert str(local.tzinfo) == call.first.timezone


def test_the_sheet_says_which_calls_it_holds(demo_ctx):
    week = read_call_sheet(demo_ctx, view="week")
    assert week.title == "This week" and "2026-11-28" in week.description
    days = read_call_sheet(demo_ctx, days=3)
    assert days.title == "Next 3 days" and "2026-11-24" in days.description
    overdue = read_call_sheet(demo_ctx, view="overdue")
    assert {i.status for i in overdue.items} == {"overdue"}
    assert "closed before" in overdue.description


def test_a_new_urgent_flag_is_found_once_and_only_for_its_site(clinic):
    start = new_urgent_flags(clinic, None)
    assert start.flags == ()
    assert new_urgent_flags(clinic, start.newest_id).flags == ()
    _adverse_event(clinic, "P1", "left")
    found = new_urgent_flags(clinic, start.newest_id)
    assert [(f.patient_id, f.knee, f.kind) for f in found.flags] == [("P1", "left", "safety")]
    assert found.newest_id > start.newest_id and not found.more
    assert new_urgent_flags(clinic, start.newest_id, site_id="north").flags == ()
    announced = {f.id for f in found.flags}
    assert new_urgent_flags(clinic, start.newest_id, announced=announced).flags == ()
    assert new_urgent_flags(clinic, found.newest_id).flags == ()


def test_urgent_flags_come_newest_first_and_say_when_there_are_more(clinic):
    start = new_urgent_flags(clinic, None).newest_id
    for patient_id, knee in (("P1", "left"), ("P1", "right"), ("P2", "right")):
        _adverse_event(clinic, patient_id, knee)
    found = new_urgent_flags(clinic, start, limit=2)
    assert [(f.patient_id, f.knee) for f in found.flags] == [("P2", "right"), ("P1", "right")]
    assert found.more
    assert not new_urgent_flags(clinic, start, limit=3).more


def test_each_treated_knee_with_its_latest_treatment(clinic):
    assert latest_treatments(clinic, "P1") == {
        "left": date(2026, 7, 10),
        "right": date(2026, 2, 10),
    }
    assert latest_treatments(clinic, "P2") == {"right": date(2026, 3, 10)}
    assert latest_treatments(clinic, "nobody") == {}
