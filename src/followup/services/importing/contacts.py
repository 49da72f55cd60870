"""Importing contacts (``contacts.csv``): call attempts with their time and UTC offset."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select

from followup.services.importing.common import (
    Batch,
    ImportRun,
    check_patient_ref,
    patients_in_db,
    shift_date,
)
from followup.store.bulk import chunks
from followup.store.csv_files import column, read_rows
from followup.store.models import Contact, ContactBase

COLUMNS = [
    column("patient_id", Contact, required=True),
    column("contacted_at", Contact, required=True),
    column("outcome", ContactBase, required=True),
    column("note", ContactBase),
]


def check_contacts(run: ImportRun, path: Path) -> Batch:
    """Check a contacts file: known patients, not in the future nor before birth, no duplicate
    of a row or of a stored contact."""
    conn = run.conn
    log = run.log
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, COLUMNS, log))
    patients = patients_in_db(
        conn, (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None)
    )
    out = []
    seen: dict[tuple, int] = {}
    existing = _existing_contacts(conn, list(patients))
    for row in rows:
        v = row.values
        at = shift_date(v.get("contacted_at"), run.shift)
        if at is not None:
            if at > now:
                log.add(row.line, "contacted_at", f"{at.isoformat()} is in the future")
            check_patient_ref(log, row, patients, at.date(), "contacted_at")
            key = (v.get("patient_id"), at)
            if key in seen:
                log.add(row.line, "contacted_at", f"duplicate of the contact on line {seen[key]}")
            elif key in existing:
                log.add(row.line, "contacted_at", "the same contact is already in the database")
            seen.setdefault(key, row.line)
        else:
            check_patient_ref(log, row, patients, None, "contacted_at")
        offset = at.utcoffset() if at is not None else None
        out.append(
            {
                "patient_id": v.get("patient_id"),
                "contacted_at": at,
                "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
                "outcome": v.get("outcome"),
                "note": v.get("note"),
                "created_at": now,
                "created_by": actor,
            }
        )
    return Batch.from_dicts(out)


def recheck_contacts(conn: Connection, batch: Batch, patients: set[str]) -> bool:
    """Whether the checked rows of ``patients`` (changed by someone else since the file was
    checked) still pass the checks that read the database: each patient still known and born
    on or before the call, and no such contact stored meanwhile. False sends the whole file
    through its checks again, which name the line."""
    pid_at, at_at = batch.columns.index("patient_id"), batch.columns.index("contacted_at")
    rows = [r for r in batch.rows() if r[pid_at] in patients]
    born = patients_in_db(conn, (r[pid_at] for r in rows))
    existing = _existing_contacts(conn, list(born))
    for r in rows:
        pid, at = r[pid_at], r[at_at]
        if pid not in born or at.date() < born[pid] or (pid, at) in existing:
            return False
    return True


def _existing_contacts(conn: Connection, patient_ids: list[str]) -> set[tuple]:
    """(patient, contacted at) of the stored contacts of these patients."""
    existing: set[tuple] = set()
    for chunk in chunks(patient_ids):
        query = select(Contact.patient_id, Contact.contacted_at).where(
            Contact.patient_id.in_(chunk)  # type: ignore[attr-defined]
        )
        existing.update((p, at) for p, at in conn.execute(query))
    return existing
