"""Importing treatments (``treatments.csv``): each injection into one knee on one date, and
boosters linked to the treatment they boost."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from followup.services.importing.common import (
    Batch,
    ImportRun,
    check_patient_ref,
    existing_ids,
    not_future,
    patients_in_db,
    shift_date,
)
from followup.store.bulk import chunks, driver_rows, marks
from followup.store.csv_files import column, read_rows
from followup.store.episodes import DateCache
from followup.store.models import Treatment, TreatmentBase

COLUMNS = [
    column("treatment_id", Treatment, "id", required=True),
    column("patient_id", Treatment, required=True),
    column("knee", TreatmentBase, required=True),
    column("treated_on", TreatmentBase, required=True),
    column("product", TreatmentBase, required=True),
    column("cells_millions", TreatmentBase),
    column("route", TreatmentBase),
    column("kl_grade", TreatmentBase),
    column("booster_of", Treatment),
    column("banked_doses", TreatmentBase),
]


def check_treatments(run: ImportRun, path: Path) -> Batch:
    """Check a treatments file: unique IDs, known patients, not in the future, one treatment of a
    knee per day, and a booster of the same knee and later; a booster the review decided
    (``booster_scheduled``) is linked to the treatment it boosts and draws a banked dose."""
    conn = run.conn
    log = run.log
    today = run.today
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, COLUMNS, log))
    patients = patients_in_db(
        conn, (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None)
    )
    file_ids = [r.values["treatment_id"] for r in rows if r.values.get("treatment_id") is not None]
    referenced = [r.values["booster_of"] for r in rows if r.values.get("booster_of") is not None]
    in_db = existing_ids(conn, Treatment.id, file_ids)
    known: dict[str, tuple[str, str, date]] = {}
    for chunk in chunks(sorted(set(referenced))):
        query = select(
            Treatment.id, Treatment.patient_id, Treatment.knee, Treatment.treated_on
        ).where(Treatment.entered_in_error == False)  # noqa: E712
        for tid, pid, knee, on in conn.execute(query.where(Treatment.id.in_(chunk))):  # type: ignore[attr-defined]
            known[tid] = (pid, knee, on)
    same_day = (
        set(
            conn.execute(
                select(Treatment.patient_id, Treatment.knee, Treatment.treated_on).where(
                    Treatment.patient_id.in_(list(patients)),  # type: ignore[attr-defined]
                    Treatment.entered_in_error == False,  # noqa: E712
                )
            )
        )
        if patients
        else set()
    )
    seen: dict[str, int] = {}
    for row in rows:
        v = row.values
        v["treated_on"] = shift_date(v.get("treated_on"), run.shift)
        tid = v.get("treatment_id")
        if tid is not None:
            if tid in seen:
                log.add(row.line, "treatment_id", f"{tid} already appears on line {seen[tid]}")
            elif tid in in_db:
                log.add(row.line, "treatment_id", f"{tid} already exists in the database")
            seen.setdefault(tid, row.line)
            if None not in (v.get("patient_id"), v.get("knee"), v.get("treated_on")):
                known.setdefault(tid, (v["patient_id"], v["knee"], v["treated_on"]))
        if v.get("treated_on") is not None:
            not_future(log, row, "treated_on", v["treated_on"], today)
        check_patient_ref(log, row, patients, v.get("treated_on"), "treated_on")
        key = (v.get("patient_id"), v.get("knee"), v.get("treated_on"))
        if None not in key:
            if key in same_day:
                log.add(
                    row.line,
                    "treated_on",
                    f"{key[0]} already has a treatment of the {key[1]} knee on this date",
                )
            same_day.add(key)  # type: ignore[arg-type]
    scheduled = _scheduled_boosters(conn, list(patients))
    knee_dates: dict[tuple[str, str], list[date]] = {}
    for pid, knee, on in same_day:
        knee_dates.setdefault((pid, knee), []).append(on)
    out = []
    linked = 0
    for row in rows:
        v = row.values
        parent = v.get("booster_of")
        link = _booster_link(v, scheduled, knee_dates) if parent is None else None
        if link is not None:
            parent = link
            linked += 1
        if parent in scheduled and v.get("banked_doses") is None:
            left = scheduled[parent][3]
            v["banked_doses"] = max(left - 1, 0) if left is not None else None
        if parent is not None:
            target = known.get(parent) or (scheduled[parent][:3] if parent in scheduled else None)
            if target is None:
                log.add(row.line, "booster_of", f"{parent} is not a known treatment")
            elif v.get("patient_id") is not None and (target[0], target[1]) != (
                v.get("patient_id"),
                v.get("knee"),
            ):
                log.add(row.line, "booster_of", f"{parent} is not a treatment of the same knee")
            elif v.get("treated_on") is not None and target[2] >= v["treated_on"]:
                log.add(row.line, "booster_of", f"{parent} is not earlier than this treatment")
        out.append(
            {
                "id": v.get("treatment_id"),
                "patient_id": v.get("patient_id"),
                "knee": v.get("knee"),
                "treated_on": v.get("treated_on"),
                "product": v.get("product"),
                "cells_millions": v.get("cells_millions"),
                "route": v.get("route") or "intra_articular",
                "kl_grade": v.get("kl_grade"),
                "booster_of": parent,
                "banked_doses": v.get("banked_doses"),
                "created_at": now,
                "created_by": actor,
            }
        )
    # Boosters must be inserted after the treatments they boost.
    out.sort(key=lambda r: r["treated_on"] or date.min)
    batch = Batch.from_dicts(out)
    batch.notes["boosters linked to a scheduled booster decision"] = linked
    return batch


def _scheduled_boosters(
    conn: Connection, patient_ids: list[str]
) -> dict[str, tuple[str, str, date, int | None]]:
    """Treatments whose flag was decided ``booster_scheduled``: id -> (patient, knee, date,
    banked doses left)."""
    found: dict[str, tuple[str, str, date, int | None]] = {}
    dates = DateCache()
    for chunk in chunks(patient_ids):
        sql = (
            "SELECT DISTINCT t.id, t.patient_id, t.knee, t.treated_on, t.banked_doses "
            "FROM treatment t JOIN flag f ON f.treatment_id = t.id "
            "JOIN review_decision d ON d.flag_id = f.id "
            "WHERE d.decision = 'booster_scheduled' AND d.status = 'in_force' "
            f"AND t.entered_in_error = false AND t.patient_id IN ({marks(len(chunk))})"
        )
        for tid, pid, knee, on, banked in driver_rows(conn, sql, chunk):
            found[tid] = (pid, knee, dates[on], banked)
    return found


def _booster_link(
    v: dict[str, Any],
    scheduled: dict[str, tuple[str, str, date, int | None]],
    knee_dates: dict[tuple[str, str], list[date]],
) -> str | None:
    """The scheduled-booster treatment this new treatment carries out: the knee's latest
    treatment before it, when a clinician decided ``booster_scheduled`` on it."""
    pid, knee, on = v.get("patient_id"), v.get("knee"), v.get("treated_on")
    if None in (pid, knee, on):
        return None
    earlier = [d for d in knee_dates.get((pid, knee), []) if d < on]
    if not earlier:
        return None
    latest = max(earlier)
    for tid, (s_pid, s_knee, s_on, _banked) in scheduled.items():
        if (s_pid, s_knee, s_on) == (pid, knee, latest):
            return tid
    return None
