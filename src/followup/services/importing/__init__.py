"""Validated, all-or-nothing bulk import of patients, treatments, assessments and contacts,
one module per kind, from our CSV files; assessments also from a REDCap records export.

Every row is checked (types, ranges, allowed values, references, duplicates, dates real and not in
the future) before anything is written; on any problem nothing is written and every problem is
reported with its file, line and column. A successful import is one audit event naming the file,
the counts and the patients it touched; an update of patients adds one event per patient it
changed, with the old and new values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Connection, insert, select
from sqlmodel import Session

from followup.errors import FollowupError
from followup.services import audit
from followup.services.context import Context
from followup.services.importing.assessments import check_assessments, recheck_assessments
from followup.services.importing.common import Batch, ImportResult, ImportRun
from followup.services.importing.contacts import check_contacts, recheck_contacts
from followup.services.importing.patients import check_patients
from followup.services.importing.redcap import check_redcap_records, refuse_misread_export
from followup.services.importing.treatments import check_treatments
from followup.services.patients import apply_changes
from followup.store.bulk import bulk_insert_columns, chunks, driver_rows
from followup.store.csv_files import ProblemLog
from followup.store.engine import read_session, write_session
from followup.store.models import Assessment, Contact, Patient, Site, Treatment

KINDS = ("patients", "treatments", "assessments", "contacts")
FORMATS = ("csv", "redcap")
Checker = Callable[[ImportRun, Path], Batch]
CHECKERS: dict[tuple[str, str], Checker] = {
    ("patients", "csv"): check_patients,
    ("treatments", "csv"): check_treatments,
    ("assessments", "csv"): check_assessments,
    ("contacts", "csv"): check_contacts,
    ("assessments", "redcap"): check_redcap_records,
}
# Kinds whose checks that read the database can be redone for a few patients' rows alone.
Recheck = Callable[[Connection, Batch, set[str]], bool]
RECHECKS: dict[str, Recheck] = {"assessments": recheck_assessments, "contacts": recheck_contacts}
__all__ = ["FORMATS", "KINDS", "ImportResult", "can_import", "import_file", "import_into"]


def can_import(kind: str, fmt: str) -> bool:
    """Whether ``kind`` can be imported from a file in format ``fmt``."""
    return (kind, fmt) in CHECKERS


def import_file(
    ctx: Context,
    kind: str,
    path: Path,
    actor: str,
    *,
    shift_days: int = 0,
    fmt: str = "csv",
    update: bool = False,
) -> ImportResult:
    """Check the whole file, then write it in one transaction, or write nothing and raise
    InvalidInput. ``shift_days`` moves every date (used by the demo loader); ``fmt`` is the
    file's format (``csv``, or ``redcap`` for assessments); ``update`` lets a patients file
    change the patients already in the database.

    The file is read and checked against a snapshot, without the write lock: a large file takes
    seconds to check, and a coordinator's or a patient's save must not wait for it. Then it is
    written under the lock, checked again first only where something those checks read has
    changed since the snapshot (``_changed_since``): the rows of the patients someone else
    wrote to meanwhile (assessments and contacts), or the whole file. An update compares every
    patient with its stored values, so it runs under the lock throughout."""
    if not can_import(kind, fmt):
        raise ValueError(f"cannot import {kind!r} from {fmt!r}")
    if update and kind != "patients":
        raise FollowupError("only patients can be updated by an import")
    path = Path(path)
    if update:
        with write_session(ctx.engine) as session:
            return import_into(session, ctx, kind, path, actor, shift_days=shift_days,
                               fmt=fmt, update=True)  # fmt: skip
    mark = audit.committed_mark(ctx.engine)
    with read_session(ctx.engine) as session:
        run, batch = _check(session, ctx, kind, path, actor, shift_days, fmt, update=False)
    with write_session(ctx.engine) as session:
        conn = session.connection()
        changed = _changed_since(conn, mark, kind, batch)
        recheck = RECHECKS.get(kind)
        if changed is None or (changed and not (recheck and recheck(conn, batch, changed))):
            run, batch = _check(session, ctx, kind, path, actor, shift_days, fmt, update=False)
        else:
            run = replace(run, conn=conn, now=ctx.now())
        return _store(session, ctx, kind, path, run, batch, fmt)


# An import of treatments or assessments names the patients it touched, up to this many, so the
# next whole-cohort flag evaluation re-runs only them (beyond it, everyone is re-run).
NOTED_PATIENTS_MAX = 5000


def _patients_noted(kind: str, batch: Batch) -> dict[str, list[str]]:
    if kind not in ("treatments", "assessments") or "patient_id" not in batch.columns:
        return {}
    patients = sorted(set(batch.column("patient_id")))
    return {"patients": patients} if len(patients) <= NOTED_PATIENTS_MAX else {}


def import_into(
    session: Session,
    ctx: Context,
    kind: str,
    path: Path,
    actor: str,
    *,
    shift_days: int = 0,
    fmt: str = "csv",
    update: bool = False,
) -> ImportResult:
    """Check and write one file inside the caller's transaction (the demo loads four at once)."""
    run, batch = _check(session, ctx, kind, path, actor, shift_days, fmt, update=update)
    return _store(session, ctx, kind, path, run, batch, fmt)


def _check(
    session: Session,
    ctx: Context,
    kind: str,
    path: Path,
    actor: str,
    shift_days: int,
    fmt: str,
    *,
    update: bool,
) -> tuple[ImportRun, Batch]:
    """Read and check every row against what ``session`` sees; InvalidInput naming every
    problem, or the rows ready to write."""
    log = ProblemLog(path.name)
    run = ImportRun(
        conn=session.connection(),
        log=log,
        today=ctx.today(),
        now=ctx.now(),
        actor=actor,
        shift=shift_days,
        instrument_version=ctx.instrument.version,
        update=update,
    )
    if kind == "assessments":
        refuse_misread_export(path, fmt)
    batch = CHECKERS[(kind, fmt)](run, path)
    log.raise_if_any()
    return run, batch


def _store(
    session: Session,
    ctx: Context,
    kind: str,
    path: Path,
    run: ImportRun,
    batch: Batch,
    fmt: str,
) -> ImportResult:
    """Write checked rows and the import's audit event in ``session``'s transaction."""
    _write(run.conn, kind, batch)
    if run.update:
        batch.notes["patients updated"] = _update_patients(
            session, ctx, batch, path.name, run.actor
        )
    audit.record(
        session,
        at=run.now,
        actor=run.actor,
        action="import",
        entity=kind,
        entity_id=path.name,
        new={
            "file": path.name,
            **({"format": fmt} if fmt != "csv" else {}),
            "rows": len(batch),
            **{k: n for k, n in batch.notes.items() if n},
            **_patients_noted(kind, batch),
        },
    )
    return ImportResult(kind=kind, file=path.name, count=len(batch), notes=batch.notes)


# What each kind's checks read from the database, as the audit trail names it: a change to one
# of these, for a patient of the file, can turn a passing check into a failing one (a duplicate
# form, a treatment ID taken meanwhile). Patient, treatment and site IDs are clinic-wide, so a
# change to them counts whoever's it is. An import names no single patient: any one counts.
_CHECKS_READ = {
    "patients": ({"patient", "site"}, True),
    "treatments": ({"treatment", "patient", "flag"}, True),
    "assessments": ({"assessment", "treatment", "patient"}, False),
    "contacts": ({"contact", "patient"}, False),
}


def _changed_since(conn: Connection, mark: int, kind: str, batch: Batch) -> set[str] | None:
    """The file's patients whose data the checks of ``kind`` read has changed after audit event
    ``mark`` (every write to those tables leaves an audit event): empty when nothing has; None
    when what changed is clinic-wide (another import, an ID taken) and the whole file must be
    checked again."""
    entities, clinic_wide = _CHECKS_READ[kind]
    column = "id" if kind == "patients" else "patient_id"
    patients = set(batch.column(column)) if column in batch.columns else set()
    changed: set[str] = set()
    sql = "SELECT patient_id, action, entity FROM audit_event WHERE id > ?"
    for patient_id, action, entity in driver_rows(conn, sql, (mark,)):
        if action == "import":
            return None
        if entity not in entities:
            continue
        if clinic_wide or patient_id is None:
            return None
        if patient_id in patients:
            changed.add(patient_id)
    return changed


def _update_patients(session: Session, ctx: Context, batch: Batch, file: str, actor: str) -> int:
    """Apply an update file's new values to the patients already in the database, one audit
    event per patient changed (its old and new values); returns how many changed. Clinical
    fields need no reason of their own: the file is the reason."""
    changed = 0
    ids = sorted(batch.updates)
    for chunk in chunks(ids):
        patients = list(session.scalars(select(Patient).where(Patient.id.in_(chunk))))  # type: ignore[attr-defined]
        for patient in patients:
            wanted = batch.updates[patient.id]
            change = apply_changes(session, ctx, patient, wanted, actor, f"import {file}")
            changed += bool(change.new)
    return changed


def _write(conn: Connection, kind: str, batch: Batch) -> None:
    if batch.sites:
        known = set(conn.scalars(select(Site.id)))  # type: ignore[arg-type]
        new = sorted(batch.sites - known)
        if new:
            conn.execute(insert(Site), [{"id": s, "name": s} for s in new])
    if not len(batch):
        return
    table = {
        "patients": Patient,
        "treatments": Treatment,
        "assessments": Assessment,
        "contacts": Contact,
    }[kind]
    bulk_insert_columns(conn, table.__table__, batch.columns, batch.values)  # type: ignore[attr-defined]
