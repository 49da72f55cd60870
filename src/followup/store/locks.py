"""What keeps simultaneous writers from stepping on each other, on both databases.

SQLite has one writer at a time (``write_session`` begins with ``BEGIN IMMEDIATE``), so there a
read-then-write transaction is already alone. PostgreSQL runs them side by side (READ COMMITTED):
there, every write that brings a knee's flags up to date first takes the patient's row lock, so
two saves (or a save and a decision) on one patient queue instead of both inserting the same
open flag; and sign-in counters are taken in one conditional UPDATE, so N simultaneous guesses
count N and none is checked past the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, case, literal, or_, select, update
from sqlmodel import Session

from followup.store.models import Patient, PatientCode, StaffUser

Row = TypeVar("Row")


def lock_patient(session: Session, patient_id: str) -> bool:
    """Take the patient's row lock for the rest of the transaction (PostgreSQL; SQLite's writer
    is alone already) and say whether the patient exists. Call it before reading what the write
    depends on: statements after it see what the writer before committed. ``FOR NO KEY UPDATE``
    does not conflict with the key-share locks that inserting the patient's rows takes."""
    query = select(Patient.id).where(Patient.id == patient_id)  # type: ignore[arg-type]
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    return session.execute(query).first() is not None


def lock_patients(conn: Connection, patient_ids: Iterable[str] | None) -> None:
    """Take the row locks of these patients (None: of every patient) for the rest of the
    transaction, in ID order (PostgreSQL; SQLite's writer is alone already). A whole-cohort
    evaluation's batch takes them before it reads the flags it will replace: a save on one of
    its patients still running then finishes first, and the batch sees what it stored."""
    if conn.dialect.name != "postgresql":
        return
    query = select(Patient.id).order_by(Patient.id).with_for_update(key_share=True)  # type: ignore[arg-type]
    if patient_ids is None:
        conn.execute(query).all()
        return
    ids = sorted(set(patient_ids))
    for start in range(0, len(ids), 5000):
        conn.execute(query.where(Patient.id.in_(ids[start : start + 5000]))).all()  # type: ignore[attr-defined]


def get_locked(session: Session, model: type[Row], row_id: Any) -> Row | None:
    """A patient's row of ``model`` (an assessment, a treatment, a flag) with that patient's row
    lock taken first, so it is read as the last writer left it; None when there is no such row."""
    patient_id = session.execute(
        select(model.patient_id).where(model.id == row_id)  # type: ignore[attr-defined]
    ).scalar()
    if patient_id is None:
        return None
    lock_patient(session, patient_id)
    return session.get(model, row_id, populate_existing=True)


def take_code_attempt(session: Session, code_id: int, limit: int) -> int | None:
    """Count one attempt on a self-report code before it is checked, in one statement and only
    while fewer than ``limit`` are counted; returns the new count, or None when the code is
    locked (or gone). A right code then sets the count back to 0."""
    statement = (
        update(PatientCode)
        .where(PatientCode.id == code_id, PatientCode.failed_attempts < limit)  # type: ignore[arg-type]
        .values(failed_attempts=PatientCode.failed_attempts + 1)
        .returning(PatientCode.failed_attempts)
    )
    return session.execute(statement).scalar_one_or_none()


def take_staff_attempt(
    session: Session, user_id: int, limit: int, now: datetime, lock_until: datetime
) -> int | None:
    """Count one password attempt before it is checked, in one statement and only while the
    account is not locked: the ``limit``-th locks it until ``lock_until`` (and the count starts
    again), so a burst of guesses checks at most ``limit`` of them. Returns the new count (0 for
    the attempt that locked), or None when the account is locked (or gone). A right password
    then clears the count and the lock."""
    reaches = StaffUser.failed_attempts + 1 >= limit
    until = literal(lock_until, StaffUser.__table__.c.locked_until.type)  # type: ignore[attr-defined]
    statement = (
        update(StaffUser)
        .where(
            StaffUser.id == user_id,  # type: ignore[arg-type]
            or_(StaffUser.locked_until == None, StaffUser.locked_until <= now),  # noqa: E711
        )
        .values(
            failed_attempts=case((reaches, 0), else_=StaffUser.failed_attempts + 1),
            locked_until=case((reaches, until), else_=None),
        )
        .returning(StaffUser.failed_attempts)
    )
    return session.execute(statement).scalar_one_or_none()
