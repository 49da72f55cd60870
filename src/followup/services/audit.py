"""The append-only audit trail: who changed what, when, from which value to which, and why.

``record`` collects a transaction's events; they are appended to the hash chain in one pass when
the transaction commits (``store.audit_chain``), so the chain's lock is held only for the commit
itself, and a transaction that rolls back leaves no event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, select

from followup.store.audit_chain import AUDIT_LOCK_KEY, append_events
from followup.store.engine import read_session
from followup.store.models import AuditEvent

_PENDING = "followup_audit_pending"


def _json_default(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


def to_json(value: dict[str, Any] | None) -> str | None:
    """An audit event's before/after values as sorted JSON (dates as ISO text), None for none."""
    if value is None:
        return None
    return json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False)


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    patient_id: str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add an audit event to the session's transaction: it is chained and written when the
    transaction commits, with the change it records (and never if it rolls back)."""
    session.connection()  # the transaction the event belongs to has begun
    session.info.setdefault(_PENDING, []).append(
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "patient_id": patient_id,
            "old": to_json(old),
            "new": to_json(new),
            "reason": reason,
        }
    )


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Write the transaction's events last: flush everything else first, so that while the
    chain's lock is held this transaction waits for nothing but its own commit."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()
        append_events(session.connection(), pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    """A transaction that ends without committing takes its events with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class AuditView:
    """One audit event as shown to an auditor: when, who, what, on which record."""

    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: str | None
    patient_id: str | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        """The event as a JSON object for ``followup audit --format json``."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "patient_id": self.patient_id,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


def committed_mark(engine: Engine) -> int:
    """The latest audit event, such that every event up to it is committed: whatever changes
    after it has a higher ID. On PostgreSQL an event's ID is drawn before its transaction
    commits, so a writer still at work could commit an event below the latest visible one, and
    it would never be seen as a change: wait for writers at work to finish first. They draw
    their IDs and commit under the chain's advisory lock (held only for their commit), so taking
    it waits for exactly them, and needs no table privilege. SQLite has one writer at a time,
    so IDs commit in order."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")
        return conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM audit_event").scalar_one()


def list_events(
    engine: Engine, patient_id: str | None = None, limit: int | None = None
) -> list[AuditView]:
    """Audit events in the order they happened, optionally for one patient."""
    with read_session(engine) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
        if patient_id is not None:
            query = query.where(AuditEvent.patient_id == patient_id)
        if limit is not None:
            query = query.limit(limit)
        return [
            AuditView(
                id=e.id or 0,
                at=e.at,
                user=e.actor,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                patient_id=e.patient_id,
                old=json.loads(e.old) if e.old else None,
                new=json.loads(e.new) if e.new else None,
                reason=e.reason,
            )
            for e in session.exec(query)
        ]
