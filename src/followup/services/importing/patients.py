"""Importing patients (``patients.csv``): the clinic's own IDs, names, birth dates, contact
details, time zone, site and risk factors."""

from __future__ import annotations

from pathlib import Path

from followup.domain.names import search_form
from followup.services.importing.common import Batch, ImportRun, existing_ids, shift_date
from followup.store.csv_files import column, read_rows
from followup.store.models import Patient, PatientBase

COLUMNS = [
    column("patient_id", Patient, "id", required=True),
    column("name", PatientBase, required=True),
    column("birth_date", PatientBase, required=True),
    column("sex", PatientBase),
    column("phone", PatientBase),
    column("email", PatientBase),
    column("timezone", PatientBase),
    column("site", Patient, "id"),
    column("smoker", PatientBase),
    column("diabetes", PatientBase),
    column("bmi", PatientBase),
    column("activity", PatientBase),
]
OLDEST_AGE_YEARS = 115
YOUNGEST_AGE_YEARS = 12


def check_patients(run: ImportRun, path: Path) -> Batch:
    """Check a patients file: unique IDs (in the file and the database), plausible birth dates;
    sites named in it are created with it."""
    conn = run.conn
    log = run.log
    today = run.today
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, COLUMNS, log))
    oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    youngest = today.replace(year=today.year - YOUNGEST_AGE_YEARS, day=min(today.day, 28))
    in_db = existing_ids(
        conn,
        Patient.id,
        (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None),
    )
    seen: dict[str, int] = {}
    out = []
    sites: set[str] = set()
    for row in rows:
        v = row.values
        pid = v.get("patient_id")
        if pid is not None:
            if pid in seen:
                log.add(row.line, "patient_id", f"{pid} already appears on line {seen[pid]}")
            elif pid in in_db:
                log.add(row.line, "patient_id", f"{pid} already exists in the database")
            seen.setdefault(pid, row.line)
        born = shift_date(v.get("birth_date"), run.shift)
        if born is not None and not oldest <= born <= youngest:
            log.add(
                row.line,
                "birth_date",
                f"{born.isoformat()} is not a plausible birth date "
                f"(age {YOUNGEST_AGE_YEARS}-{OLDEST_AGE_YEARS})",
            )
        if v.get("site"):
            sites.add(v["site"])
        name = v.get("name")
        out.append(
            {
                "id": pid,
                "name": name,
                "search_name": search_form(name) if name is not None else None,
                "birth_date": born,
                "sex": v.get("sex"),
                "phone": v.get("phone"),
                "email": v.get("email"),
                "timezone": v.get("timezone"),
                "site_id": v.get("site"),
                "smoker": v.get("smoker"),
                "diabetes": v.get("diabetes"),
                "bmi": v.get("bmi"),
                "activity": v.get("activity"),
                "created_at": now,
                "created_by": actor,
            }
        )
    return Batch.from_dicts(out, sites)
