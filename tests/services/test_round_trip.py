"""Export then import into a new database gives back exactly the same data, for every kind:
the demo clinic, and hand-made rows a spreadsheet would run as formulas (a phone number
beginning with ``+``, notes beginning with ``=``, ``-`` or ``@``), which the export neutralises
with an apostrophe and the import takes off again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context
from followup.services.exporting import export, neutralise
from followup.services.importing import KINDS, import_file
from followup.services.log_call import log_contact
from followup.services.patients import PatientDraft, add_patient
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.store.csv_cells import unquote
from tests.conftest import make_context

# What each table is compared on: every column but who created the row and when, and the
# surrogate IDs a new database gives out itself.
TABLES = {
    "patients": ("patient", ("created_at", "created_by")),
    "treatments": ("treatment", ("created_at", "created_by")),
    "assessments": ("assessment", ("id", "created_at", "created_by")),
    "contacts": ("contact", ("id", "created_at", "created_by")),
}


def rows(ctx: Context, kind: str) -> list[dict[str, Any]]:
    table, left_out = TABLES[kind]
    with ctx.engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {table}"))
        found = [{k: v for k, v in row._mapping.items() if k not in left_out} for row in result]
    return sorted(found, key=lambda r: [str(r[k]) for k in sorted(r)])


def export_and_import(source: Context, target: Context, folder: Path) -> None:
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            export(source, kind, "csv", fh)
        import_file(target, kind, path, "test")


@pytest.fixture
def new_ctx(tmp_path: Path) -> Iterator[Context]:
    ctx = make_context(f"sqlite:///{tmp_path / 'new.db'}")
    yield ctx
    ctx.close()


@pytest.mark.parametrize("kind", KINDS)
def test_the_demo_clinic_comes_back_the_same(
    demo_ctx: Context, new_ctx: Context, tmp_path: Path, kind: str
) -> None:
    export_and_import(demo_ctx, new_ctx, tmp_path)
    original = rows(demo_ctx, kind)
    assert original, f"the demo has {kind}"
    assert rows(new_ctx, kind) == original


@pytest.fixture
def second_url(any_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second, empty database on the same backend as ``any_url``."""
    if any_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'second.db'}"
    return request.getfixturevalue("pg_server")()


def test_formula_like_text_comes_back_the_same(
    any_ctx: Context, second_url: str, tmp_path: Path
) -> None:
    add_patient(
        any_ctx,
        PatientDraft("P1", "=HYPERLINK(\"x\")", date(1956, 3, 2), phone="+44 20 7946 0000",
                     email="@ada", language="en", bmi=27.5, smoker=True),
        "nina",
    )  # fmt: skip
    add_patient(any_ctx, PatientDraft("P2", "'=already quoted", date(1950, 1, 1)), "nina")
    with any_ctx.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO treatment (id, patient_id, knee, treated_on, product, route, "
                "created_at, created_by) VALUES ('T1', 'P1', 'left', :on, 'prp', "
                "'intra_articular', :at, 'test')"
            ),
            {"on": date(2026, 1, 10), "at": datetime(2026, 1, 10, tzinfo=UTC)},
        )
    answers = {k: 2 for k in ITEM_KEYS} | {"p1": None}
    entry = AssessmentEntry(
        "P1", "left", date(2026, 3, 1), "phone", answers, pain_nrs=4, patient_global=35,
        adverse_event="@swelling for 2 days", note="=SUM(A1)",
    )  # fmt: skip
    record_assessment(any_ctx, entry, "nina")
    record_assessment(
        any_ctx,
        AssessmentEntry("P1", "left", date(2026, 4, 1), "clinic", answers, note="-5 degrees"),
        "nina",
    )
    log_contact(
        any_ctx, "P1", "reached", "nina", note="+ called back",
        at=datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=9))),  # Tokyo
    )  # fmt: skip
    target = make_context(second_url)
    try:
        export_and_import(any_ctx, target, tmp_path)
        for kind in KINDS:
            assert rows(target, kind) == rows(any_ctx, kind), kind
        exported = (tmp_path / "patients.csv").read_text(encoding="utf-8")
        assert "'+44 20 7946 0000" in exported and "''=already quoted" in exported
    finally:
        target.close()


@pytest.mark.parametrize(
    "value",
    ["+1-773-555-0104", "=SUM(A1)", "-5 degrees", "@risk", "\tx", "'=x", "''+x", "'plain",
     "plain", "it's", "'", ""],
)  # fmt: skip
def test_unquote_undoes_neutralise_exactly(value: str) -> None:
    assert unquote(neutralise(value)) == value


def test_numbers_stay_numbers() -> None:
    assert neutralise(-5) == -5 and neutralise(-2.5) == -2.5
