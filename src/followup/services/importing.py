"""Validated, all-or-nothing bulk import of patients, treatments, assessments and contacts.

Every row is checked (types, ranges, allowed values, references, duplicates, dates real and not in
the future) before anything is written; on any problem nothing is written and every problem is
reported with its file, line and column. A successful import is one audit event naming the file
and the counts.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlmodel import Session

from followup.domain.instrument import ITEM_KEYS
from followup.domain.names import search_form
from followup.domain.records import CONTACT_OUTCOMES, KNEES, PRODUCTS, ROUTES, SOURCES
from followup.domain.scoring import Scores, score_numbers
from followup.services import audit
from followup.services.context import Context
from followup.store.bulk import bulk_insert, chunks, driver_rows, marks
from followup.store.csv_files import (
    Column,
    ProblemLog,
    Row,
    choice_column,
    decimal,
    iso_date,
    iso_datetime_with_offset,
    item_column,
    read_rows,
    text,
    timezone_name,
    whole_number,
    yes_no,
)
from followup.store.engine import write_session
from followup.store.episodes import DateCache
from followup.store.models import ACTIVITIES, SEXES, Assessment, Contact, Patient, Site, Treatment

KINDS = ("patients", "treatments", "assessments", "contacts")
ID = text(40)

PATIENT_COLUMNS = [
    Column("patient_id", ID, required=True),
    Column("name", text(200), required=True),
    Column("birth_date", iso_date, required=True),
    choice_column("sex", SEXES),
    Column("phone", text(60)),
    Column("email", text(200)),
    Column("timezone", timezone_name),
    Column("site", text(40)),
    Column("smoker", yes_no),
    Column("diabetes", yes_no),
    Column("bmi", decimal(10, 90)),
    choice_column("activity", ACTIVITIES),
]
TREATMENT_COLUMNS = [
    Column("treatment_id", ID, required=True),
    Column("patient_id", ID, required=True),
    choice_column("knee", KNEES, required=True),
    Column("treated_on", iso_date, required=True),
    choice_column("product", PRODUCTS, required=True),
    Column("cells_millions", decimal(0, 100000)),
    choice_column("route", ROUTES),
    Column("kl_grade", whole_number(1, 4)),
    Column("booster_of", ID),
    Column("banked_doses", whole_number(0, 100)),
]
ASSESSMENT_COLUMNS = [
    Column("patient_id", ID, required=True),
    choice_column("knee", KNEES, required=True),
    Column("assessed_on", iso_date, required=True),
    choice_column("source", SOURCES, required=True),
    *(item_column(key) for key in ITEM_KEYS),
    Column("pain_nrs", whole_number(0, 10)),
    Column("global", whole_number(0, 100)),
    Column("adverse_event", text(2000)),
    Column("note", text(2000)),
]
CONTACT_COLUMNS = [
    Column("patient_id", ID, required=True),
    Column("contacted_at", iso_datetime_with_offset, required=True),
    choice_column("outcome", CONTACT_OUTCOMES, required=True),
    Column("note", text(2000)),
]
OLDEST_AGE_YEARS = 115
YOUNGEST_AGE_YEARS = 12


@dataclass(frozen=True)
class ImportResult:
    kind: str
    file: str
    count: int
    notes: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        extra = "".join(f"; {n} {what}" for what, n in self.notes.items() if n)
        return f"imported {self.count} {self.kind} from {self.file}{extra}"


@dataclass(frozen=True)
class ImportRun:
    """One import in progress: its transaction, problem log, clock and who runs it."""

    conn: Connection
    log: ProblemLog
    today: date
    now: datetime
    actor: str
    shift: int
    instrument_version: str


@dataclass
class Batch:
    """Rows checked and ready to insert (values in ``columns`` order), and sites to create."""

    columns: list[str]
    rows: list[list[Any]]
    sites: set[str]
    notes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dicts(cls, records: list[dict[str, Any]], sites: set[str] | None = None) -> Batch:
        columns = list(records[0]) if records else []
        return cls(columns, [list(r.values()) for r in records], sites or set())


def import_file(
    ctx: Context, kind: str, path: Path, actor: str, *, shift_days: int = 0
) -> ImportResult:
    """Check the whole file, then write it in one transaction, or write nothing and raise
    InvalidInput. ``shift_days`` moves every date (used by the demo loader)."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    log = ProblemLog(path.name)
    now = ctx.now()
    # Hundreds of thousands of short-lived rows make the cyclic GC run over and over for nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _import(ctx, kind, path, actor, shift_days, log, now)
    finally:
        if gc_was_enabled:
            gc.enable()


def _import(
    ctx: Context, kind: str, path: Path, actor: str, shift_days: int, log: ProblemLog, now: datetime
) -> ImportResult:
    with write_session(ctx.engine) as session:
        return import_into(session, ctx, kind, path, actor, shift_days=shift_days, log=log)


# An import of treatments or assessments names the patients it touched, up to this many, so the
# next whole-cohort flag evaluation re-runs only them (beyond it, everyone is re-run).
NOTED_PATIENTS_MAX = 5000


def _patients_noted(kind: str, batch: Batch) -> dict[str, list[str]]:
    if kind not in ("treatments", "assessments") or "patient_id" not in batch.columns:
        return {}
    at = batch.columns.index("patient_id")
    patients = sorted({row[at] for row in batch.rows})
    return {"patients": patients} if len(patients) <= NOTED_PATIENTS_MAX else {}


def import_into(
    session: Session,
    ctx: Context,
    kind: str,
    path: Path,
    actor: str,
    *,
    shift_days: int = 0,
    log: ProblemLog | None = None,
) -> ImportResult:
    """Check and write one file inside the caller's transaction (the demo loads four at once)."""
    log = log or ProblemLog(path.name)
    now = ctx.now()
    run = ImportRun(
        conn=session.connection(),
        log=log,
        today=ctx.today(),
        now=now,
        actor=actor,
        shift=shift_days,
        instrument_version=ctx.instrument.version,
    )
    batch = _CHECKERS[kind](run, path)
    log.raise_if_any()
    _write(run.conn, kind, batch)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="import",
        entity=kind,
        entity_id=path.name,
        new={
            "file": path.name,
            "rows": len(batch.rows),
            **{k: n for k, n in batch.notes.items() if n},
            **_patients_noted(kind, batch),
        },
    )
    return ImportResult(kind=kind, file=path.name, count=len(batch.rows), notes=batch.notes)


def _write(conn: Connection, kind: str, batch: Batch) -> None:
    if batch.sites:
        known = set(conn.scalars(select(Site.id)))  # type: ignore[arg-type]
        new = sorted(batch.sites - known)
        if new:
            conn.execute(insert(Site), [{"id": s, "name": s} for s in new])
    if not batch.rows:
        return
    table = {
        "patients": Patient,
        "treatments": Treatment,
        "assessments": Assessment,
        "contacts": Contact,
    }[kind]
    bulk_insert(conn, table.__table__, batch.columns, batch.rows)  # type: ignore[attr-defined]


def _shift(value: Any, days: int) -> Any:
    return value + timedelta(days=days) if days and value is not None else value


def _not_future(log: ProblemLog, row: Row, column: str, value: date, today: date) -> None:
    if value > today:
        log.add(row.line, column, f"{value.isoformat()} is in the future")


def _existing_ids(conn: Connection, column: Any, ids: Iterable[str]) -> set[str]:
    ids = list(set(ids))
    found: set[str] = set()
    for chunk in chunks(ids):
        found.update(conn.scalars(select(column).where(column.in_(chunk))))
    return found


def _check_patients(run: ImportRun, path: Path) -> Batch:
    conn = run.conn
    log = run.log
    today = run.today
    shift = run.shift
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, PATIENT_COLUMNS, log))
    oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    youngest = today.replace(year=today.year - YOUNGEST_AGE_YEARS, day=min(today.day, 28))
    in_db = _existing_ids(
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
        born = _shift(v.get("birth_date"), shift)
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


def _patients_in_db(conn: Connection, ids: Iterable[str]) -> dict[str, date]:
    """Birth dates of the referenced patients that exist."""
    ids = list(set(ids))
    found: dict[str, date] = {}
    for chunk in chunks(ids):
        query = select(Patient.id, Patient.birth_date).where(Patient.id.in_(chunk))  # type: ignore[attr-defined]
        found.update(dict(conn.execute(query).all()))  # type: ignore[arg-type]
    return found


def _check_patient_ref(
    log: ProblemLog, row: Row, patients: dict[str, date], when: date | None, column: str
) -> None:
    pid = row.values.get("patient_id")
    if pid is None:
        return
    born = patients.get(pid)
    if born is None:
        log.add(row.line, "patient_id", f"{pid} is not a known patient")
    elif when is not None and when < born:
        log.add(row.line, column, "is before the patient's birth date")


def _check_treatments(run: ImportRun, path: Path) -> Batch:
    conn = run.conn
    log = run.log
    today = run.today
    shift = run.shift
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, TREATMENT_COLUMNS, log))
    patients = _patients_in_db(
        conn, (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None)
    )
    file_ids = [r.values["treatment_id"] for r in rows if r.values.get("treatment_id") is not None]
    referenced = [r.values["booster_of"] for r in rows if r.values.get("booster_of") is not None]
    in_db = _existing_ids(conn, Treatment.id, file_ids)
    known: dict[str, tuple[str, str, date]] = {}
    for chunk in chunks(sorted(set(referenced))):
        query = select(Treatment.id, Treatment.patient_id, Treatment.knee, Treatment.treated_on)
        for tid, pid, knee, on in conn.execute(query.where(Treatment.id.in_(chunk))):  # type: ignore[attr-defined]
            known[tid] = (pid, knee, on)
    same_day = (
        set(
            conn.execute(
                select(Treatment.patient_id, Treatment.knee, Treatment.treated_on).where(
                    Treatment.patient_id.in_(list(patients))  # type: ignore[attr-defined]
                )
            )
        )
        if patients
        else set()
    )
    seen: dict[str, int] = {}
    for row in rows:
        v = row.values
        v["treated_on"] = _shift(v.get("treated_on"), shift)
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
            _not_future(log, row, "treated_on", v["treated_on"], today)
        _check_patient_ref(log, row, patients, v.get("treated_on"), "treated_on")
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
            f"WHERE d.decision = 'booster_scheduled' AND t.patient_id IN ({marks(len(chunk))})"
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


def _check_assessments(run: ImportRun, path: Path) -> Batch:
    conn = run.conn
    log = run.log
    today = run.today
    shift = run.shift
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, ASSESSMENT_COLUMNS, log))
    patients = _patients_in_db(
        conn, (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None)
    )
    existing = _existing_assessment_keys(conn, list(patients))
    seen: dict[tuple, int] = {}
    version = run.instrument_version
    out = []
    no_answers = (None,) * len(ITEM_KEYS)
    for row in rows:
        v = row.values
        get = v.get
        pid, knee, source, on = get("patient_id"), get("knee"), get("source"), get("assessed_on")
        if on is not None:
            if shift:
                on += timedelta(days=shift)
            if on > today:
                log.add(row.line, "assessed_on", f"{on.isoformat()} is in the future")
        if pid is not None:  # _check_patient_ref, inlined: this loop runs once per row
            born = patients.get(pid)
            if born is None:
                log.add(row.line, "patient_id", f"{pid} is not a known patient")
            elif on is not None and on < born:
                log.add(row.line, "assessed_on", "is before the patient's birth date")
        answers = tuple(map(get, ITEM_KEYS))
        if answers == no_answers:
            log.add(row.line, None, "no questionnaire item (p1-p5, s1-s2, f1-f17) is answered")
            continue
        key = (pid, knee, on, source, answers)
        first = seen.setdefault(key, row.line)
        if first != row.line:
            log.add(row.line, None, f"duplicate of the assessment on line {first}")
        elif key in existing:
            log.add(row.line, None, "the same assessment is already in the database")
        out.append(
            [
                *answers,
                pid,
                knee,
                on,
                source,
                get("pain_nrs"),
                get("global"),
                get("adverse_event"),
                get("note"),
                version,
                *score_numbers(answers)[:10],
                False,
                now,
                actor,
            ]
        )
    return Batch(ASSESSMENT_INSERT_COLUMNS, out, set())


SCORE_COLUMNS = [
    "instrument_version",
    "pain_raw",
    "stiffness_raw",
    "function_raw",
    "total_raw",
    "pain_score",
    "stiffness_score",
    "function_score",
    "total_score",
    "answered",
    "imputed",
]
ASSESSMENT_INSERT_COLUMNS = [
    *ITEM_KEYS,
    "patient_id",
    "knee",
    "assessed_on",
    "source",
    "pain_nrs",
    "patient_global",
    "adverse_event",
    "note",
    *SCORE_COLUMNS,
    "entered_in_error",
    "created_at",
    "created_by",
]


def score_values(scores: Scores) -> tuple[Any, ...]:
    """The stored score columns of an assessment, in SCORE_COLUMNS order."""
    return (
        scores.instrument_version,
        scores.pain.raw,
        scores.stiffness.raw,
        scores.function.raw,
        scores.total_raw,
        scores.pain.score,
        scores.stiffness.score,
        scores.function.score,
        scores.total,
        scores.answered,
        scores.imputed,
    )


def score_columns(scores: Scores) -> dict[str, Any]:
    """The stored score columns of an assessment, by name."""
    return dict(zip(SCORE_COLUMNS, score_values(scores), strict=True))


def _existing_assessment_keys(conn: Connection, patient_ids: list[str]) -> set[tuple]:
    """(patient, knee, date, source, answers) of the stored, valid-entry assessments."""
    items = [getattr(Assessment, k) for k in ITEM_KEYS]
    keys: set[tuple] = set()
    for chunk in chunks(patient_ids):
        query = select(
            Assessment.patient_id,
            Assessment.knee,
            Assessment.assessed_on,
            Assessment.source,
            *items,
        ).where(
            Assessment.patient_id.in_(chunk),  # type: ignore[attr-defined]
            Assessment.entered_in_error == False,  # noqa: E712
        )
        for r in conn.execute(query):
            keys.add((r[0], r[1], r[2], r[3], tuple(r[4:])))
    return keys


def _check_contacts(run: ImportRun, path: Path) -> Batch:
    conn = run.conn
    log = run.log
    shift = run.shift
    now = run.now
    actor = run.actor
    rows = list(read_rows(path, CONTACT_COLUMNS, log))
    patients = _patients_in_db(
        conn, (r.values["patient_id"] for r in rows if r.values.get("patient_id") is not None)
    )
    out = []
    seen: dict[tuple, int] = {}
    ids = list(patients)
    existing: set[tuple] = set()
    for chunk in chunks(ids):
        query = select(Contact.patient_id, Contact.contacted_at).where(
            Contact.patient_id.in_(chunk)  # type: ignore[attr-defined]
        )
        existing.update((p, at) for p, at in conn.execute(query))
    for row in rows:
        v = row.values
        at = _shift(v.get("contacted_at"), shift)
        if at is not None:
            if at > now:
                log.add(row.line, "contacted_at", f"{at.isoformat()} is in the future")
            _check_patient_ref(log, row, patients, at.date(), "contacted_at")
            key = (v.get("patient_id"), at)
            if key in seen:
                log.add(row.line, "contacted_at", f"duplicate of the contact on line {seen[key]}")
            elif key in existing:
                log.add(row.line, "contacted_at", "the same contact is already in the database")
            seen.setdefault(key, row.line)
        else:
            _check_patient_ref(log, row, patients, None, "contacted_at")
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


Checker = Callable[[ImportRun, Path], Batch]
_CHECKERS: dict[str, Checker] = {
    "patients": _check_patients,
    "treatments": _check_treatments,
    "assessments": _check_assessments,
    "contacts": _check_contacts,
}
