"""Importing patients (``patients.csv``): the clinic's own IDs, names, birth dates, contact
details, time zone, language, site and risk factors.

A plain import adds patients and refuses an ID already in the database. An update
(``--update``) changes the patients whose ID exists: every column the file has replaces the
stored value (an empty cell clears an optional field), a column left out leaves the field alone;
IDs not yet known are added. Either way the whole file is checked first.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from followup.domain.names import search_form
from followup.services.importing.common import Batch, ImportRun, existing_ids, shift_date
from followup.services.patients import birth_date_problem
from followup.store.csv_files import Row, column, read_rows
from followup.store.models import Patient, PatientBase

COLUMNS = [
    column("patient_id", Patient, "id", required=True),
    column("name", PatientBase, required=True),
    column("birth_date", PatientBase, required=True),
    column("sex", PatientBase),
    column("phone", PatientBase),
    column("email", PatientBase),
    column("timezone", PatientBase),
    column("language", PatientBase),
    column("site", Patient, "id"),
    column("smoker", PatientBase),
    column("diabetes", PatientBase),
    column("bmi", PatientBase),
    column("activity", PatientBase),
]
# An update file may leave out any column but the ID.
UPDATE_COLUMNS = [c if c.name == "patient_id" else replace(c, may_be_absent=True) for c in COLUMNS]
# The patient's field behind each column other than the ID.
FIELD_OF = {c.name: ("site_id" if c.name == "site" else c.name) for c in COLUMNS[1:]}
NEW_PATIENT_NEEDS = ("name", "birth_date")


def check_patients(run: ImportRun, path: Path) -> Batch:
    """Check a patients file: unique IDs (in the file, and in the database unless updating),
    plausible birth dates; sites named in it are created with it."""
    log = run.log
    rows = list(read_rows(path, UPDATE_COLUMNS if run.update else COLUMNS, log))
    in_db = existing_ids(
        run.conn,
        Patient.id,
        (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None),
    )
    seen: dict[str, int] = {}
    out = []
    updates: dict[str, dict[str, Any]] = {}
    sites: set[str] = set()
    for row in rows:
        v = row.values
        pid = v.get("patient_id")
        if pid is not None:
            if pid in seen:
                log.add(row.line, "patient_id", f"{pid} already appears on line {seen[pid]}")
            elif pid in in_db and not run.update:
                log.add(row.line, "patient_id", f"{pid} already exists in the database")
            seen.setdefault(pid, row.line)
        if v.get("birth_date") is not None:
            v["birth_date"] = born = shift_date(v["birth_date"], run.shift)
            problem = birth_date_problem(born, run.today)
            if problem is not None:
                log.add(row.line, "birth_date", problem)
        if v.get("site"):
            sites.add(v["site"])
        if run.update and pid in in_db:
            updates[pid] = {FIELD_OF[name]: value for name, value in v.items() if name in FIELD_OF}
            continue
        _check_new(run, row)
        out.append(_new_patient(run, v))
    batch = Batch.from_dicts(out, sites)
    batch.updates = updates
    return batch


def _check_new(run: ImportRun, row: Row) -> None:
    """A new patient in an update file needs the columns a new patient needs."""
    if not run.update:
        return
    for name in NEW_PATIENT_NEEDS:
        if name not in row.values:
            pid = row.values.get("patient_id")
            run.log.add(row.line, name, f"is needed for {pid}, a patient not in the database")


def _new_patient(run: ImportRun, v: dict[str, Any]) -> dict[str, Any]:
    name = v.get("name")
    return {
        "id": v.get("patient_id"),
        "name": name,
        "search_name": search_form(name) if name is not None else None,
        "birth_date": v.get("birth_date"),
        "sex": v.get("sex"),
        "phone": v.get("phone"),
        "email": v.get("email"),
        "timezone": v.get("timezone"),
        "language": v.get("language"),
        "site_id": v.get("site"),
        "smoker": v.get("smoker"),
        "diabetes": v.get("diabetes"),
        "bmi": v.get("bmi"),
        "activity": v.get("activity"),
        "created_at": run.now,
        "created_by": run.actor,
    }
