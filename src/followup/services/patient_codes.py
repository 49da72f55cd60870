"""Patient self-report codes: issued by staff, stored only as a hash, single-patient, revocable,
expiring. Attempts are counted on the code in the database (per patient, not per process, one
each however many arrive at once); after the limit the patient is locked until staff issue a new
code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from followup.errors import FollowupError, NotFound
from followup.services import audit, security
from followup.services.context import Context
from followup.services.security import hash_secret, new_code, normalise_code
from followup.store.engine import write_session
from followup.store.fields import CLINIC_ID
from followup.store.locks import take_code_attempt
from followup.store.models import Patient, PatientCode


@dataclass(frozen=True)
class IssuedCode:
    """A self-report code just issued: shown once, only its hash is stored."""

    patient_id: str
    code: str
    expires_at: str


# Every refused sign-in, whatever the reason, so nobody can probe IDs or attempts left.
REFUSED = (
    "The patient ID or code is not correct, or the code is no longer valid. "
    "Please try again, or ask the clinic for a new code."
)


class CodeRefused(FollowupError):
    """The patient could not be signed in (always the message ``REFUSED``)."""


def issue_code(ctx: Context, patient_id: str, actor: str) -> IssuedCode:
    """Issue a new code for a patient; any earlier code stops working."""
    now = ctx.now()
    code = new_code()
    # Hashed before the write transaction: the hash takes tens of milliseconds on purpose, and
    # SQLite's other writers (a save, a call, a patient's answers) would wait for it.
    code_hash = hash_secret(code)
    expires = now + timedelta(days=ctx.settings.code_valid_days)
    with write_session(ctx.engine) as session:
        if session.get(Patient, patient_id) is None:
            raise NotFound(f"no patient with ID {patient_id}")
        for old in session.exec(
            select(PatientCode).where(
                PatientCode.patient_id == patient_id,
                PatientCode.revoked_at == None,  # noqa: E711
            )
        ):
            old.revoked_at = now
            session.add(old)
        session.add(
            PatientCode(
                patient_id=patient_id,
                code_hash=code_hash,
                issued_at=now,
                expires_at=expires,
                issued_by=actor,
            )
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="issue_code",
            entity="patient_code",
            entity_id=patient_id,
            patient_id=patient_id,
            new={"expires_at": expires.isoformat()},
        )
    return IssuedCode(patient_id=patient_id, code=code, expires_at=expires.date().isoformat())


def revoke_codes(ctx: Context, patient_id: str, actor: str) -> int:
    """Revoke every unused self-report code of a patient; returns how many were revoked."""
    now = ctx.now()
    with write_session(ctx.engine) as session:
        codes = list(
            session.exec(
                select(PatientCode).where(
                    PatientCode.patient_id == patient_id,
                    PatientCode.revoked_at == None,  # noqa: E711
                )
            )
        )
        for code in codes:
            code.revoked_at = now
            session.add(code)
        if codes:
            audit.record(
                session,
                at=now,
                actor=actor,
                action="revoke_code",
                entity="patient_code",
                entity_id=patient_id,
                patient_id=patient_id,
            )
    return len(codes)


def verify_code(ctx: Context, patient_id: str, code: str) -> str:
    """Sign a patient in. Returns the patient ID, or raises CodeRefused with the one message
    every refusal gets (unknown ID, wrong code, locked, expired, no active code): the kiosk
    reveals neither whether an ID exists nor how many attempts are left. Each refusal verifies
    one hash (a dummy one when there is no code to check), so timing tells nothing either.

    The attempt is counted before the code is checked, in one statement that refuses past the
    limit: simultaneous guesses count one each and none is checked once the code is locked.

    Only spaces come off the ends of the ID: ``str.strip()`` would also take the control
    characters U+001C-U+001F and U+0085, and sign "P1" followed by one of them in as P1. An ID
    the ID rule refuses (markup, a control character) is no patient's: it is refused alike."""
    now = ctx.now()
    patient_id = patient_id.strip(" ")
    current = attempt = None
    if _is_an_id(patient_id):
        with write_session(ctx.engine) as session:
            current = session.exec(
                select(PatientCode)
                .where(PatientCode.patient_id == patient_id, PatientCode.revoked_at == None)  # noqa: E711
                .order_by(PatientCode.issued_at.desc())  # type: ignore[attr-defined]
            ).first()
            if current is not None and (current.expires_at is None or current.expires_at > now):
                limit = ctx.settings.code_max_failures
                attempt = take_code_attempt(session, current.id or 0, limit)
    checked = current if attempt is not None else None
    # The hash is checked outside the write transaction: SQLite's other writers need not wait.
    if not security.verify_secret(normalise_code(code), checked.code_hash if checked else None):
        if checked is not None:
            _record_wrong_code(ctx, checked, attempt or 0, now)
        raise CodeRefused(REFUSED)
    assert checked is not None
    with write_session(ctx.engine) as session:
        reset = session.execute(
            update(PatientCode)
            .where(PatientCode.id == checked.id, PatientCode.revoked_at == None)  # type: ignore[arg-type]  # noqa: E711
            .values(failed_attempts=0)
            .returning(PatientCode.id)
        ).first()
        if reset is None:  # revoked by staff a moment ago
            raise CodeRefused(REFUSED)
        audit.record(
            session,
            at=now,
            actor=f"patient:{patient_id}",
            action="self_report_sign_in",
            entity="patient_code",
            entity_id=patient_id,
            patient_id=patient_id,
        )
    return patient_id


def _is_an_id(text: str) -> bool:
    """Whether ``text`` keeps the ID rule (letters, digits, '-', '_', '.'; not too long)."""
    try:
        CLINIC_ID.check(text)
    except ValueError:
        return False
    return True


def _record_wrong_code(ctx: Context, code: PatientCode, attempt: int, now: datetime) -> None:
    """The audit event of a wrong code (already counted), and when it was tried."""
    with write_session(ctx.engine) as session:
        session.execute(
            update(PatientCode)
            .where(PatientCode.id == code.id)  # type: ignore[arg-type]
            .values(last_failed_at=now)
        )
        audit.record(
            session,
            at=now,
            actor=f"patient:{code.patient_id}",
            action="self_report_code_wrong",
            entity="patient_code",
            entity_id=code.patient_id,
            patient_id=code.patient_id,
            new={"failed_attempts": attempt},
        )
