"""Patient self-report codes: issued by staff, stored only as a hash, single-patient, revocable,
expiring. Wrong attempts are counted on the code in the database (per patient, not per process);
after the limit the patient is locked until staff issue a new code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.services.security import hash_secret, new_code, normalise_code, verify_secret
from followup.store.engine import write_session
from followup.store.models import Patient, PatientCode


@dataclass(frozen=True)
class IssuedCode:
    """A self-report code just issued: shown once, only its hash is stored."""

    patient_id: str
    code: str
    expires_at: str


class CodeRefused(FollowupError):
    """The patient could not be signed in; ``locked`` says whether they must call the clinic."""

    def __init__(self, message: str, *, locked: bool = False, attempts_left: int | None = None):
        super().__init__(message)
        self.locked = locked
        self.attempts_left = attempts_left


def issue_code(ctx: Context, patient_id: str, actor: str) -> IssuedCode:
    """Issue a new code for a patient; any earlier code stops working."""
    now = ctx.now()
    code = new_code()
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
                code_hash=hash_secret(code),
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
    """Sign a patient in. Returns the patient ID, or raises CodeRefused. The message is the same
    for an unknown patient and a wrong code, so IDs cannot be probed."""
    now = ctx.now()
    limit = ctx.settings.code_max_failures
    patient_id = patient_id.strip()
    with write_session(ctx.engine) as session:
        current = session.exec(
            select(PatientCode)
            .where(PatientCode.patient_id == patient_id, PatientCode.revoked_at == None)  # noqa: E711
            .order_by(PatientCode.issued_at.desc())  # type: ignore[attr-defined]
        ).first()
        if current is None:
            verify_secret(code, hash_secret("x"))
            raise CodeRefused("The patient ID or code is not correct. Please try again.")
        if current.failed_attempts >= limit:
            raise CodeRefused(
                "This code is locked after too many wrong attempts. "
                "Please contact the clinic for a new code.",
                locked=True,
            )
        if current.expires_at is not None and current.expires_at <= now:
            raise CodeRefused(
                "This code has expired. Please contact the clinic for a new code.", locked=True
            )
        if verify_secret(normalise_code(code), current.code_hash):
            current.failed_attempts = 0
            session.add(current)
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
        current.failed_attempts += 1
        current.last_failed_at = now
        session.add(current)
        audit.record(
            session,
            at=now,
            actor=f"patient:{patient_id}",
            action="self_report_code_wrong",
            entity="patient_code",
            entity_id=patient_id,
            patient_id=patient_id,
            new={"failed_attempts": current.failed_attempts},
        )
        session.commit()
        left = limit - current.failed_attempts
        if left <= 0:
            raise CodeRefused(
                "Too many wrong attempts: your code is now locked. "
                "Please contact the clinic for a new code.",
                locked=True,
            )
        raise CodeRefused(
            f"The patient ID or code is not correct. {left} attempt(s) left.", attempts_left=left
        )
