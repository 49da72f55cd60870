"""Logging a call attempt with a patient (reached, voicemail, no answer, wrong number,
declined), with the offset the caller's clock had, so the patient's local time of the call can
be shown."""

from __future__ import annotations

from datetime import datetime

from followup.errors import NotFound
from followup.services import audit
from followup.services.context import Context
from followup.store.engine import write_session
from followup.store.fields import validate
from followup.store.models import Contact, ContactBase, Patient


def log_contact(
    ctx: Context,
    patient_id: str,
    outcome: str,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> int:
    """Log a call attempt (now, unless ``at`` is given)."""
    validate(ContactBase, {"outcome": outcome, "note": note}, {"note": "the note"})
    when = at or ctx.now()
    offset = when.utcoffset()
    with write_session(ctx.engine) as session:
        if session.get(Patient, patient_id) is None:
            raise NotFound(f"no patient with ID {patient_id}")
        contact = Contact(
            patient_id=patient_id,
            contacted_at=when,
            utc_offset_minutes=int(offset.total_seconds() // 60) if offset else 0,
            outcome=outcome,
            note=(note or "").strip() or None,
            created_at=ctx.now(),
            created_by=actor,
        )
        session.add(contact)
        session.flush()
        audit.record(
            session,
            at=ctx.now(),
            actor=actor,
            action="create",
            entity="contact",
            entity_id=contact.id,
            patient_id=patient_id,
            new={"outcome": outcome, "contacted_at": when.isoformat(), "note": contact.note},
        )
        return contact.id or 0
