"""The audit trail's hash chain: each event's ``hash`` is SHA-256 of the previous event's hash and
the event's own fields as canonical JSON, so changing, inserting or removing an event anywhere
but at the very end breaks every hash after it.

Events are appended only here, in one pass, under the audit write lock, right before the
transaction commits: SQLite's writer is alone already (``BEGIN IMMEDIATE``); on PostgreSQL a
transaction-scoped advisory lock queues the appenders, and the IDs are drawn under it, so ID
order is chain order and two writers can never link to the same predecessor. The advisory lock
needs no table privilege, so a runtime role that may only INSERT and SELECT on ``audit_event``
can take it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from followup.store.models import AuditEvent

GENESIS = "0" * 64
# pg_advisory_xact_lock key for appending to audit_event (any constant unique to followup).
AUDIT_LOCK_KEY = 0x666F6C6C6F77  # "follow"
FIELDS = ("at", "actor", "action", "entity", "entity_id", "patient_id", "old", "new", "reason")
_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]


def _at_text(at: datetime) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds (what both databases keep)."""
    if at.utcoffset() is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(previous: str, event_id: int, fields: dict[str, Any]) -> str:
    """The chain hash of one event: SHA-256 over the previous hash and the event's ID and
    fields as JSON with sorted keys and no spaces."""
    canonical = {name: fields[name] for name in FIELDS}
    canonical["at"] = _at_text(fields["at"])
    canonical["id"] = event_id
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + text).encode("utf-8")).hexdigest()


def take_append_lock(conn: Connection) -> None:
    """Queue behind every other audit writer until this transaction ends (PostgreSQL; SQLite's
    writer is alone already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")


def _last(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        select(_TABLE.c.id, _TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return 0, GENESIS
    return row[0], row[1] or GENESIS


def _new_ids(conn: Connection, last_id: int, count: int) -> list[int]:
    if conn.dialect.name == "postgresql":
        return sorted(
            conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) "
                f"FROM generate_series(1, {int(count)})"
            ).scalars()
        )
    return list(range(last_id + 1, last_id + 1 + count))


def append_events(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Append events (dicts of ``FIELDS``) to the chain, in order, in one statement. Call it
    last in a write transaction: the lock it takes is held until the transaction ends."""
    if not events:
        return
    take_append_lock(conn)
    last_id, previous = _last(conn)
    rows = []
    for event_id, event in zip(_new_ids(conn, last_id, len(events)), events, strict=True):
        previous = event_hash(previous, event_id, event)
        rows.append({**{name: event[name] for name in FIELDS}, "id": event_id, "hash": previous})
    conn.execute(_TABLE.insert(), rows)


def _stored_events(conn: Connection) -> Iterator[Any]:
    query = select(_TABLE.c.id, _TABLE.c.hash, *(_TABLE.c[name] for name in FIELDS))
    yield from conn.execute(query.order_by(_TABLE.c.id).execution_options(yield_per=5000))


def fill_chain(conn: Connection) -> int:
    """Hash every stored event in ID order (the migration that adds the chain); returns how
    many. The caller lifts the UPDATE guard around it."""
    previous = GENESIS
    updates = []
    for row in list(_stored_events(conn)):
        previous = event_hash(previous, row.id, row._mapping)
        updates.append({"b_id": row.id, "b_hash": previous})
    if updates:
        from sqlalchemy import bindparam, update

        statement = update(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
        conn.execute(statement.values(hash=bindparam("b_hash")), updates)
    return len(updates)


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of recomputing the chain: how many events, and the first broken one."""

    events: int
    last_id: int | None
    last_hash: str | None
    broken_id: int | None = None
    problem: str | None = None


def check_chain(conn: Connection) -> ChainCheck:
    """Recompute the chain over every event in ID order; stop at the first event whose stored
    hash is missing or differs (the message names only its ID, never its contents)."""
    previous = GENESIS
    count = 0
    last_id: int | None = None
    for row in _stored_events(conn):
        count += 1
        if row.hash is None:
            return ChainCheck(count, last_id, previous, row.id, "it has no chain hash")
        if event_hash(previous, row.id, row._mapping) != row.hash:
            problem = (
                "its hash does not match its contents and the event before it "
                "(this event was changed, or an event before it was changed, removed or inserted)"
            )
            return ChainCheck(count, last_id, previous, row.id, problem)
        previous = row.hash
        last_id = row.id
    return ChainCheck(count, last_id, previous if last_id is not None else None)
