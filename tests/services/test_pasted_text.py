"""Pasted text: an over-long note, adverse event or call note is refused with a message naming
the field, never cut; nothing is written. Free text may hold line breaks (paper forms and REDCap
carry them) and is kept whole, by the services and by the CSV import; the terminal's one-line
fields refuse a pasted paragraph themselves (tests/ui). Identity fields (name, phone, e-mail)
stay one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.domain.instrument import ITEM_KEYS
from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.log_call import log_contact
from followup.services.patients import PatientDraft, add_patient
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.store.models import MAX_TEXT

BREAKS = ["first line\nsecond line", "windows\r\nline", "old mac\rline", "para\u2029graph"]


@pytest.fixture
def patient(any_ctx: Context) -> Context:
    add_patient(any_ctx, PatientDraft("P1", "Ada Example", date(1956, 3, 2)), "nina")
    return any_ctx


def _count(ctx: Context, table: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _entry(**extra: str) -> AssessmentEntry:
    return AssessmentEntry(
        "P1", "left", date(2026, 11, 20), "phone", {k: 1 for k in ITEM_KEYS}, **extra
    )


@pytest.mark.parametrize("pasted", BREAKS)
def test_a_multi_line_note_is_kept_whole(patient: Context, pasted: str) -> None:
    log_contact(patient, "P1", "reached", "nina", note=pasted)
    record_assessment(patient, _entry(note=pasted, adverse_event=pasted), "nina")
    with patient.engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM contact")).scalar_one() == pasted
        stored = conn.execute(text("SELECT note, adverse_event FROM assessment")).one()
    assert tuple(stored) == (pasted, pasted)


def test_over_long_text_is_refused_never_cut(patient: Context) -> None:
    long = "x" * (MAX_TEXT + 1)
    with pytest.raises(FollowupError, match=f"^the note: is longer than {MAX_TEXT} characters"):
        log_contact(patient, "P1", "reached", "nina", note=long)
    with pytest.raises(FollowupError, match=f"^the adverse event: is longer than {MAX_TEXT}"):
        record_assessment(patient, _entry(adverse_event=long), "nina")
    assert _count(patient, "contact") == _count(patient, "assessment") == 0
    # The longest allowed is kept whole.
    log_contact(patient, "P1", "reached", "nina", note="y" * MAX_TEXT)
    with patient.engine.connect() as conn:
        assert len(conn.execute(text("SELECT note FROM contact")).scalar_one()) == MAX_TEXT


def test_the_import_keeps_a_multi_line_note(patient: Context, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        'patient_id,contacted_at,outcome,note\nP1,2026-11-20T10:00:00+00:00,reached,"two\nlines"\n',
        encoding="utf-8",
    )
    import_file(patient, "contacts", path, "test")
    with patient.engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM contact")).scalar_one() == "two\nlines"
