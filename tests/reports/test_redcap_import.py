"""Importing a REDCap records export: the same cell and row checks as the CSV import, all or
nothing, event names taken from the file, REDCap's own system columns accepted; and round trips
(demo -> REDCap -> a new clinic database) that lose nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from followup.domain.instrument import ITEM_KEYS
from followup.errors import InvalidInput
from followup.reports.redcap import FILES, write_project
from followup.services.context import Context
from followup.services.demo import sample_data_dir
from followup.services.exchange import exchange_assessments, follow_up_events
from followup.services.importing import import_file
from followup.store.engine import read_session
from followup.store.models import Assessment
from tests.conftest import make_context


@pytest.fixture
def project(demo_ctx: Context, tmp_path: Path) -> Path:
    folder = tmp_path / "redcap"
    events = follow_up_events(demo_ctx.rules)
    write_project(folder, demo_ctx.instrument, events, exchange_assessments(demo_ctx))
    return folder


# --- import -------------------------------------------------------------------------------------


def _fresh_clinic(tmp_path: Path) -> Context:
    """A new database with the demo's patients and treatments (dates as the demo's, clock
    frozen on the demo's anchor day)."""
    ctx = make_context(f"sqlite:///{tmp_path / 'fresh.db'}")
    for kind in ("patients", "treatments"):
        import_file(ctx, kind, sample_data_dir() / f"{kind}.csv", "test")
    return ctx


COMPARED = [
    "patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "pain_nrs", "patient_global",
    "adverse_event", "note", "pain_score", "stiffness_score", "function_score", "total_score",
    "answered", "imputed", "instrument_version",
]  # fmt: skip


def _assessments(ctx: Context) -> list[tuple]:
    """Everything stored about each assessment but its ID and who imported it when."""
    with read_session(ctx.engine) as session:
        rows = session.execute(select(*(getattr(Assessment, c) for c in COMPARED))).all()
    return sorted((tuple(r) for r in rows), key=repr)


def test_round_trip_through_redcap_loses_nothing(
    demo_ctx: Context, project: Path, tmp_path: Path
) -> None:
    fresh = _fresh_clinic(tmp_path)
    result = import_file(fresh, "assessments", project / FILES["records"], "test", fmt="redcap")
    assert result.count == 1592
    assert _assessments(fresh) == _assessments(demo_ctx)
    fresh.close()


def test_tricky_text_survives_the_round_trip(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("patient_id,name,birth_date\nP1,Ada Example,1950-01-01\n")
    (tmp_path / "t.csv").write_text(
        "treatment_id,patient_id,knee,treated_on,product\nT1,P1,left,2026-01-10,prp\n"
    )
    import_file(ctx, "patients", tmp_path / "p.csv", "test")
    import_file(ctx, "treatments", tmp_path / "t.csv", "test")
    notes = ['=cmd|"a, b"', "line one\nline two", "Zoë's knee – “better”", "-2 steps"]
    rows = [
        f'P1,left,2026-0{2 + i}-01,phone,{",".join(["1"] * 24)},,,,"{n.replace(chr(34), chr(34) * 2)}"'
        for i, n in enumerate(notes)
    ]
    header = "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS)
    (tmp_path / "a.csv").write_text(
        header + ",pain_nrs,global,adverse_event,note\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    import_file(ctx, "assessments", tmp_path / "a.csv", "test")
    folder = tmp_path / "rc"
    write_project(folder, ctx.instrument, follow_up_events(ctx.rules), exchange_assessments(ctx))
    fresh = make_context(f"sqlite:///{tmp_path / 'fresh.db'}")
    import_file(fresh, "patients", tmp_path / "p.csv", "test")
    import_file(fresh, "treatments", tmp_path / "t.csv", "test")
    import_file(fresh, "assessments", folder / FILES["records"], "test", fmt="redcap")
    assert _assessments(fresh) == _assessments(ctx)
    assert sorted(a[COMPARED.index("note")] for a in _assessments(fresh)) == sorted(notes)
    fresh.close()


RECORD_HEADER = (
    "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,knee,"
    "assessed_on,source,treatment_id," + ",".join(ITEM_KEYS) + ",pain_nrs,global,adverse_event,"
    "note,knee_assessment_complete"
)


def _record(**cells: str) -> str:
    values = {
        "record_id": "P0001", "redcap_event_name": "my_renamed_event_arm_1",
        "redcap_repeat_instrument": "knee_assessment", "redcap_repeat_instance": "1",
        "knee": "left", "assessed_on": "2026-11-01", "source": "phone", "treatment_id": "",
        **dict.fromkeys(ITEM_KEYS, "1"), "pain_nrs": "", "global": "", "adverse_event": "",
        "note": "", "knee_assessment_complete": "2",
    }  # fmt: skip
    values.update(cells)
    return ",".join(values[c] for c in RECORD_HEADER.split(","))


def _import(ctx: Context, tmp_path: Path, *lines: str, header: str = RECORD_HEADER) -> int:
    path = tmp_path / "export.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return import_file(ctx, "assessments", path, "test", fmt="redcap").count


def _count(ctx: Context) -> int:
    with read_session(ctx.engine) as session:
        return len(session.scalars(select(Assessment.id)).all())


def test_event_names_are_taken_from_the_file_and_system_columns_ignored(
    demo_ctx: Context, tmp_path: Path
) -> None:
    header = RECORD_HEADER + ",redcap_data_access_group,knee_assessment_timestamp"
    before = _count(demo_ctx)
    line = _record(redcap_event_name="a_name_redcap_shortened_arm_1") + ",north,[not completed]"
    assert _import(demo_ctx, tmp_path, line, header=header) == 1
    assert _count(demo_ctx) == before + 1


def test_a_project_without_repeating_columns_imports_too(demo_ctx: Context, tmp_path: Path) -> None:
    header = RECORD_HEADER.replace("redcap_repeat_instrument,redcap_repeat_instance,", "")
    line = _record().replace(",knee_assessment,1,", ",", 1)
    assert _import(demo_ctx, tmp_path, line, header=header) == 1


@pytest.mark.parametrize(
    ("cells", "where", "message"),
    [
        ({"p3": "7"}, "line 2, column p3", "'7' is not an answer 0-4"),
        ({"record_id": "P9999"}, "line 2, column record_id", "P9999 is not a known patient"),
        ({"assessed_on": "01/11/2026"}, "line 2, column assessed_on", "not a real date"),
        ({"knee": "both"}, "line 2, column knee", "'both' is not one of: left, right"),
        (
            {"treatment_id": "T99999"},
            "line 2, column treatment_id",
            "T99999 is not a known treatment",
        ),
        (
            {"treatment_id": "T00002"},
            "line 2, column treatment_id",
            "not a treatment of this patient",
        ),
        (
            {"knee_assessment_complete": "3"},
            "line 2, column knee_assessment_complete",
            "'3' is not one",
        ),
        (
            {"redcap_repeat_instrument": "other_form"},
            "line 2, column redcap_repeat_instrument",
            "not one of",
        ),
        (
            {"redcap_repeat_instance": "0"},
            "line 2, column redcap_repeat_instance",
            "outside 1-100000",
        ),
        ({"redcap_event_name": ""}, "line 2, column redcap_event_name", "is required but empty"),
        ({k: "" for k in ITEM_KEYS}, "line 2", "no questionnaire item"),
    ],
)
def test_bad_records_are_refused_with_file_line_and_column(
    demo_ctx: Context, tmp_path: Path, cells: dict[str, str], where: str, message: str
) -> None:
    before = _count(demo_ctx)
    good = _record(assessed_on="2026-11-02")
    with pytest.raises(InvalidInput) as caught:
        _import(demo_ctx, tmp_path, _record(**cells), good)
    text = str(caught.value)
    assert f"export.csv, {where}" in text and message in text, text
    assert _count(demo_ctx) == before  # all or nothing: the good line is not written either


def test_a_form_twice_in_one_event_instance_is_refused(demo_ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        _import(demo_ctx, tmp_path, _record(), _record(assessed_on="2026-11-02"))
    assert "line 3, column redcap_repeat_instance: the same form is on line 2" in str(caught.value)


def test_an_unknown_column_is_refused(demo_ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        _import(demo_ctx, tmp_path, _record() + ",x", header=RECORD_HEADER + ",pain_score")
    assert "line 1, column pain_score: unknown column" in str(caught.value)


def test_the_likely_mistakes_are_named(demo_ctx: Context, project: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_file(demo_ctx, "assessments", project / FILES["records"], "test")
    assert (
        "records.csv, line 1, column 1: this is a REDCap records export: import it with --format redcap"
        in str(caught.value)
    )
    labels = tmp_path / "labels.csv"
    labels.write_text("Record ID,Event Name,Knee\nP0001,Baseline,Left\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_file(demo_ctx, "assessments", labels, "test", fmt="redcap")
    assert "the columns are REDCap's field labels" in str(caught.value)


def test_import_and_placement_on_sqlite_and_postgresql(any_ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("patient_id,name,birth_date\nP0001,Ada Example,1950-01-01\n")
    (tmp_path / "t.csv").write_text(
        "treatment_id,patient_id,knee,treated_on,product\nT00001,P0001,left,2026-01-10,prp\n"
    )
    import_file(any_ctx, "patients", tmp_path / "p.csv", "test")
    import_file(any_ctx, "treatments", tmp_path / "t.csv", "test")
    lines = [
        _record(assessed_on="2026-01-05", treatment_id="T00001", note="before"),
        _record(assessed_on="2026-01-24", redcap_repeat_instance="2", pain_nrs="4"),
        _record(knee="right", assessed_on="2026-01-24", redcap_repeat_instance="3"),
    ]
    assert _import(any_ctx, tmp_path, *lines) == 3
    placed = [(a.knee, a.assessed_on.isoformat(), a.event, a.treatment_id, a.pain_nrs, a.note)
              for a in exchange_assessments(any_ctx)]  # fmt: skip
    assert placed == [
        ("left", "2026-01-05", "baseline", "T00001", None, "before"),
        ("left", "2026-01-24", "2w", "T00001", 4, None),
        ("right", "2026-01-24", "unscheduled", None, None, None),
    ]
