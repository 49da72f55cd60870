"""End-to-end: REDCap and FHIR exchange through the installed ``followup`` command, as a clinic
moves its data into REDCap and back, or hands a FHIR bundle to another system."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import run


def _assessment_rows(db: str, out: Path) -> list[tuple[str, ...]]:
    assert run("export", "assessments", "--out", str(out), db=db).returncode == 0
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(tuple(v for k, v in r.items() if k != "assessment_id") for r in rows)


def test_redcap_round_trip_through_the_command_line(demo_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "to-redcap"
    result = run("export", "assessments", "--format", "redcap", "--out", str(folder), db=demo_db)
    assert result.returncode == 0, result.stderr
    assert "exported 1592 assessments as a REDCap project" in result.stdout
    assert sorted(os.listdir(folder)) == [
        "README.txt",
        "data_dictionary.csv",
        "events.csv",
        "instrument_designations.csv",
        "records.csv",
        "repeating_instruments.csv",
    ]
    # A new clinic database with the demo's patients and treatments, then REDCap's records.
    fresh = str(tmp_path / "fresh.db")
    assert run("init", db=fresh).returncode == 0
    for kind in ("patients", "treatments"):
        path = str(tmp_path / f"{kind}.csv")
        assert run("export", kind, "--out", path, db=demo_db).returncode == 0
        assert run("import", kind, path, db=fresh).returncode == 0
    records = str(folder / "records.csv")
    result = run("import", "assessments", "--format", "redcap", records, db=fresh)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported 1592 assessments from records.csv"
    assert _assessment_rows(fresh, tmp_path / "a2.csv") == _assessment_rows(
        demo_db, tmp_path / "a1.csv"
    )
    # Importing the same file again is refused whole, with lines named.
    again = run("import", "assessments", "--format", "redcap", records, db=fresh)
    assert again.returncode == 1
    assert (
        "records.csv, line 2, column assessed_on: the same assessment is already in the database"
        in again.stderr
    )


def test_fhir_bundle_to_a_file_and_to_standard_output(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    result = run(
        "export", "assessments", "--format", "fhir", "--patient", "P0003", "--out", str(out),
        db=demo_db,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    subjects = {
        e["resource"]["subject"]["reference"] for e in data["entry"] if "subject" in e["resource"]
    }
    assert len(subjects) == 1  # one patient only
    printed = run("export", "patients", "--format", "fhir", db=demo_db)
    assert printed.returncode == 0
    assert len(json.loads(printed.stdout)["entry"]) == 180


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "patients", "--format", "redcap"), "--format redcap exports assessments only"),
        (("export", "flags", "--format", "fhir"), "--format fhir exports patients and assessments"),
        (("export", "patients", "--patient", "P0001"), "--patient works with --format fhir only"),
        (("import", "patients", "--format", "redcap", "x.csv"), "imports assessments only"),
    ],
)
def test_wrong_combinations_are_usage_errors(
    demo_db: str, args: tuple[str, ...], message: str
) -> None:
    result = run(*args, db=demo_db)
    assert result.returncode == 2 and message in result.stderr


def test_an_unknown_patient_and_a_redcap_file_as_folder(demo_db: str, tmp_path: Path) -> None:
    result = run("export", "patients", "--format", "fhir", "--patient", "P9999", db=demo_db)
    assert result.returncode == 1 and "no patient with ID P9999" in result.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("export", "assessments", "--format", "redcap", "--out", str(blocker), db=demo_db)
    assert result.returncode == 2 and "writes a folder" in result.stderr
