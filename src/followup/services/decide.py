"""Review decisions: a clinician records what the meeting decided on a flag (booster
scheduled, continue monitoring, refer, dismissed) with a note; the decision closes the flag and
is kept in the audit trail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from followup.domain.records import DECISIONS
from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.store.engine import read_session, write_session
from followup.store.models import Flag, ReviewDecision


@dataclass(frozen=True)
class DecisionView:
    id: int
    flag_id: int
    decision: str
    note: str
    reviewer: str
    decided_at: datetime


def decide(ctx: Context, flag_id: int, decision: str, note: str, reviewer: str) -> DecisionView:
    """Record a review decision; it closes the flag."""
    if decision not in DECISIONS:
        raise FollowupError(f"decision must be one of: {', '.join(DECISIONS)}")
    note = note.strip()
    if not note:
        raise FollowupError("a decision needs a note saying why")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        flag = session.get(Flag, flag_id)
        if flag is None:
            raise NotFound(f"no flag with id {flag_id}")
        if flag.status != "open":
            raise FollowupError(f"flag {flag_id} is {flag.status}, not open; nothing to decide")
        record = ReviewDecision(
            flag_id=flag_id, decision=decision, note=note, reviewer=reviewer, decided_at=now
        )
        session.add(record)
        flag.status = "closed"
        flag.closed_at = now
        flag.updated_at = now
        session.add(flag)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=reviewer,
            action="decide",
            entity="flag",
            entity_id=flag_id,
            patient_id=flag.patient_id,
            old={"status": "open", "kind": flag.kind},
            new={"status": "closed", "decision": decision, "note": note},
        )
        return DecisionView(
            id=record.id or 0,
            flag_id=flag_id,
            decision=decision,
            note=note,
            reviewer=reviewer,
            decided_at=now,
        )


def decisions_for(ctx: Context, flag_ids: list[int]) -> dict[int, list[DecisionView]]:
    found: dict[int, list[DecisionView]] = defaultdict(list)
    with read_session(ctx.engine) as session:
        query = select(ReviewDecision).where(ReviewDecision.flag_id.in_(flag_ids))  # type: ignore[attr-defined]
        for d in session.scalars(query):
            found[d.flag_id].append(
                DecisionView(d.id or 0, d.flag_id, d.decision, d.note, d.reviewer, d.decided_at)
            )
    return found
