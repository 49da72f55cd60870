"""Validated all-or-nothing import, export with scores and CSV-injection neutralising, and the
audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.domain.instrument import ITEM_KEYS
from followup.errors import InvalidInput
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.exporting import export, neutralise
from followup.services.importing import import_file

PATIENTS = """patient_id,name,birth_date,sex,timezone,site,smoker,bmi
P1,Ada Example,1956-03-02,F,Asia/Tokyo,main,no,27.5
P2,Ben Example,1949-11-30,M,America/Chicago,north,yes,31
"""
TREATMENTS = """treatment_id,patient_id,knee,treated_on,product,cells_millions,kl_grade,banked_doses
T1,P1,left,2025-01-10,adsc_cultured,50,2,3
T2,P1,left,2026-01-10,adsc_cultured,50,2,2
T3,P2,right,2025-06-01,prp,,3,
"""


def write(
    tmp_path: Path, name: str, content: str, *, bom: bool = False, crlf: bool = False
) -> Path:
    path = tmp_path / name
    if crlf:
        content = content.replace("\n", "\r\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + content.encode("utf-8"))
    return path


def assessment_csv(rows: list[dict[str, object]]) -> str:
    fields = [
        "patient_id",
        "knee",
        "assessed_on",
        "source",
        *ITEM_KEYS,
        "pain_nrs",
        "global",
        "note",
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        full = {k: 2 for k in ITEM_KEYS} | {"source": "phone", "knee": "left", "patient_id": "P1"}
        full.update(row)
        writer.writerow(full)
    return out.getvalue()


def count(ctx: Context, table: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture
def loaded(any_ctx: Context, tmp_path: Path) -> Context:
    import_file(any_ctx, "patients", write(tmp_path, "patients.csv", PATIENTS), "test")
    import_file(any_ctx, "treatments", write(tmp_path, "treatments.csv", TREATMENTS), "test")
    return any_ctx


def test_import_then_export_round_trip_with_scores(loaded: Context, tmp_path: Path) -> None:
    rows = [{"assessed_on": "2025-01-05", "p1": None, "p2": 4, "p3": 3, "p4": 1, "p5": 0}]
    result = import_file(loaded, "assessments", write(tmp_path, "a.csv", assessment_csv(rows)), "t")
    assert result.count == 1
    out = io.StringIO()
    export(loaded, "assessments", "json", out)
    [row] = json.loads(out.getvalue())
    assert row["pain_score"] == 50.0  # mean 2 imputed -> raw 10
    assert row["total_score"] == 50.0 and row["answered"] == 23 and row["imputed"] == 1
    assert row["p1"] is None and row["global"] is None


def test_patient_export_has_the_import_columns_and_no_search_form(loaded: Context) -> None:
    from followup.services.importing.patients import COLUMNS as PATIENT_COLUMNS

    out = io.StringIO()
    export(loaded, "patients", "csv", out)
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header == [c.name for c in PATIENT_COLUMNS]
    out = io.StringIO()
    export(loaded, "patients", "json", out)
    assert all("search_name" not in row for row in json.loads(out.getvalue()))


def test_invalid_subscale_exports_null_not_zero(loaded: Context, tmp_path: Path) -> None:
    rows = [{"assessed_on": "2025-01-05", "p1": None, "p2": None}]
    import_file(loaded, "assessments", write(tmp_path, "a.csv", assessment_csv(rows)), "t")
    out = io.StringIO()
    export(loaded, "assessments", "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["pain_score"] == "" and row["total_score"] == ""
    assert row["function_score"] == "50.0"


def test_excel_bom_and_crlf_are_accepted(any_ctx: Context, tmp_path: Path) -> None:
    path = write(tmp_path, "patients.csv", PATIENTS, bom=True, crlf=True)
    assert import_file(any_ctx, "patients", path, "t").count == 2


def problems_of(ctx: Context, kind: str, path: Path) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        import_file(ctx, kind, path, "t")
    return [str(p) for p in info.value.problems]


def test_every_bad_row_is_reported_and_nothing_is_written(loaded: Context, tmp_path: Path) -> None:
    rows = [
        {"assessed_on": "2025-02-01"},  # fine (line 2)
        {"assessed_on": "2025-02-30"},  # not a real date (line 3)
        {"assessed_on": "2099-01-01"},  # future (line 4)
        {"assessed_on": "2025-03-01", "p3": 7},  # out of range (line 5)
        {"assessed_on": "2025-03-01", "knee": "middle"},  # bad knee (line 6)
        {"assessed_on": "2025-03-01", "patient_id": "P404"},  # unknown patient (line 7)
        {"assessed_on": "2025-02-01"},  # duplicate of line 2 (line 8)
        {"assessed_on": "2025-03-02", "global": 101},  # (line 9)
    ]
    found = problems_of(loaded, "assessments", write(tmp_path, "a.csv", assessment_csv(rows)))
    assert found == [
        "a.csv, line 3, column assessed_on: is not a real date like 1958-04-01 (YYYY-MM-DD)",
        "a.csv, line 5, column p3: '7' is not an answer 0-4",
        "a.csv, line 6, column knee: 'middle' is not one of: left, right",
        "a.csv, line 9, column global: 101 is outside 0-100",
        "a.csv, line 4, column assessed_on: 2099-01-01 is in the future",
        "a.csv, line 7, column patient_id: P404 is not a known patient",
        "a.csv, line 8, column assessed_on: duplicate of the assessment on line 2",
    ]
    assert count(loaded, "assessment") == 0


def test_a_stored_assessment_is_not_imported_again(loaded: Context, tmp_path: Path) -> None:
    # The stored forms are read back through the driver (dates as each database gives them).
    first = [{"assessed_on": "2025-02-01"}, {"assessed_on": "2025-02-01", "patient_id": "P2"}]
    import_file(loaded, "assessments", write(tmp_path, "a.csv", assessment_csv(first)), "t")
    again = [{"assessed_on": "2025-02-01", "p1": 3}, {"assessed_on": "2025-02-01"}]
    found = problems_of(loaded, "assessments", write(tmp_path, "b.csv", assessment_csv(again)))
    assert found == [
        "b.csv, line 3, column assessed_on: the same assessment is already in the database"
    ]
    assert count(loaded, "assessment") == 2


def test_unknown_and_missing_columns(any_ctx: Context, tmp_path: Path) -> None:
    text_ = "patient_id,name,birthdate\nP1,Ada,1950-01-01\n"
    found = problems_of(any_ctx, "patients", write(tmp_path, "p.csv", text_))
    assert any("column birthdate: unknown column" in p for p in found)
    assert any("column birth_date: required column is missing" in p for p in found)
    assert count(any_ctx, "patient") == 0


def test_patient_rules(any_ctx: Context, tmp_path: Path) -> None:
    bad = (
        "patient_id,name,birth_date,timezone,smoker,sex\n"
        "P1,Ada,1850-01-01,Asia/Tokyo,no,F\n"
        "P1,Bob,1960-01-01,Mars/Olympus,maybe,Q\n"
        ",Cy,1960-01-01,,,\n"
    )
    found = problems_of(any_ctx, "patients", write(tmp_path, "p.csv", bad))
    assert "p.csv, line 2, column birth_date: is not a plausible birth date (age 12-115)" in found
    assert "p.csv, line 3, column patient_id: P1 already appears on line 2" in found
    assert any(p.startswith("p.csv, line 3, column timezone") for p in found)
    assert any(p.startswith("p.csv, line 3, column smoker") for p in found)
    assert any(p.startswith("p.csv, line 3, column sex") for p in found)
    assert "p.csv, line 4, column patient_id: is required but empty" in found
    assert count(any_ctx, "patient") == 0


def test_reimporting_patients_is_refused(loaded: Context, tmp_path: Path) -> None:
    found = problems_of(loaded, "patients", write(tmp_path, "p.csv", PATIENTS))
    assert "p.csv, line 2, column patient_id: P1 already exists in the database" in found


def test_treatment_references(loaded: Context, tmp_path: Path) -> None:
    bad = (
        "treatment_id,patient_id,knee,treated_on,product,booster_of,kl_grade\n"
        "T9,P1,right,2026-02-01,bmac,T1,5\n"  # booster of the other knee, KL 5
        "T10,P1,left,2024-01-01,bmac,T1,\n"  # booster earlier than T1
        "T11,P404,left,2024-01-01,bmac,,\n"
        "T12,P1,left,2025-01-10,prp,,\n"  # same knee, same day as T1
        "T1,P2,left,2025-01-10,laser,,\n"
    )
    found = problems_of(loaded, "treatments", write(tmp_path, "t.csv", bad))
    assert "t.csv, line 2, column booster_of: T1 is not a treatment of the same knee" in found
    assert "t.csv, line 2, column kl_grade: 5 is outside 1-4" in found
    assert "t.csv, line 3, column booster_of: T1 is not earlier than this treatment" in found
    assert "t.csv, line 4, column patient_id: P404 is not a known patient" in found
    assert (
        "t.csv, line 5, column treated_on: P1 already has a treatment of the left knee on this date"
        in found
    )
    assert "t.csv, line 6, column treatment_id: T1 already exists in the database" in found
    assert any("line 6, column product" in p for p in found)
    assert count(loaded, "treatment") == 3


def test_contacts_need_an_offset(loaded: Context, tmp_path: Path) -> None:
    bad = "patient_id,contacted_at,outcome\nP1,2026-03-01T10:00:00,reached\nP1,2026-03-01T10:00:00+09:00,sang\n"
    found = problems_of(loaded, "contacts", write(tmp_path, "c.csv", bad))
    assert found[0].startswith("c.csv, line 2, column contacted_at: has no UTC offset")
    assert found[1].startswith("c.csv, line 3, column outcome:")
    good = "patient_id,contacted_at,outcome,note\nP1,2026-03-01T10:00:00+09:00,voicemail,=cmd|' /C calc'!A0\n"
    import_file(loaded, "contacts", write(tmp_path, "c2.csv", good), "t")
    out = io.StringIO()
    export(loaded, "contacts", "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["contacted_at"] == "2026-03-01T10:00:00+09:00"  # the patient's own offset kept
    assert row["note"].startswith("'=")  # neutralised


def test_not_utf8_is_reported(any_ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"patient_id,name,birth_date\nP1,Jos\xe9,1960-01-01\n")
    found = problems_of(any_ctx, "patients", path)
    assert found == [
        "p.csv, line 2, column 7: byte 0xE9 is not UTF-8 text (save the file as CSV UTF-8)"
    ]


def test_neutralise_keeps_numbers() -> None:
    assert neutralise(-3.5) == -3.5 and neutralise(7) == 7
    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("ok") == "ok"


def test_import_is_one_audit_event_naming_file_and_count(loaded: Context) -> None:
    """Treatments (and assessments) also name the patients they touched, for the next flag
    evaluation to re-run only them."""
    events = [e for e in list_events(loaded.engine) if e.action == "import"]
    assert [(e.entity, e.entity_id, e.new) for e in events] == [
        ("patients", "patients.csv", {"file": "patients.csv", "rows": 2}),
        ("treatments", "treatments.csv",
         {"file": "treatments.csv", "rows": 3, "patients": ["P1", "P2"]}),
    ]  # fmt: skip
