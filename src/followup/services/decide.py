"""Review decisions: a clinician records what the meeting decided on a flag (booster scheduled,
continue monitoring, refer, dismissed) with a note; the decision closes the flag. A decision is
never changed or deleted: amending it ends it (``amended``) and records the new one, reopening it
ends it (``reopened``) and opens the flag again, each with who, when and why, and the audit trail
keeps the old and the new. A booster decision may state the day it holds its flag closed to.
The knee is re-evaluated at once, so what the rules say follows the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from followup.domain.flags.decisions import BOOSTER_SCHEDULED
from followup.domain.records import DECISIONS
from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.services.evaluate_flags import reevaluate_knee
from followup.services.notes import typed_note
from followup.store.engine import read_session, write_session
from followup.store.locks import get_locked
from followup.store.models import Flag, ReviewDecision

IN_FORCE = "in_force"
# A booked booster holds its flag closed at most this long: a day typed years ahead (a slip of
# the year) would otherwise silence the knee's wearing-off flag for years.
LONGEST_BOOSTER_HOLD = timedelta(days=365)


@dataclass(frozen=True)
class DecisionView:
    """A decision as recorded, and how it ended when it did."""

    id: int
    flag_id: int
    decision: str
    note: str
    reviewer: str
    decided_at: datetime
    until: date | None = None
    status: str = IN_FORCE
    ended_at: datetime | None = None
    ended_by: str | None = None
    ended_reason: str | None = None


def _view(d: ReviewDecision) -> DecisionView:
    return DecisionView(
        d.id or 0, d.flag_id, d.decision, d.note, d.reviewer, d.decided_at, d.until, d.status,
        d.ended_at, d.ended_by, d.ended_reason,
    )  # fmt: skip


def _checked(decision: str, note: str, until: date | None, today: date) -> str:
    if decision not in DECISIONS:
        raise FollowupError(f"decision must be one of: {', '.join(DECISIONS)}")
    note = typed_note(note, "note")
    if not note:
        raise FollowupError("a decision needs a note saying why")
    if until is not None:
        if decision != BOOSTER_SCHEDULED:
            raise FollowupError("a day to hold the flag closed to goes with booster_scheduled only")
        problem = booster_day_problem(until, today)
        if problem is not None:
            raise FollowupError(f"the booster day {problem}")
    return note


def booster_day_problem(until: date, today: date) -> str | None:
    """Why ``until`` cannot be the day a booster decision holds its flag closed to (None when
    it can): it must be after today and at most a year after it (``LONGEST_BOOSTER_HOLD``)."""
    if until <= today:
        return f"{until.isoformat()} must be after today"
    latest = today + LONGEST_BOOSTER_HOLD
    if until > latest:
        return (
            f"{until.isoformat()} is more than a year after today ({latest.isoformat()} at the "
            "latest): a booster decision holds its flag closed for a year at most"
        )
    return None


class AlreadyDecided(FollowupError):
    """Someone else decided the flag first (two reviewers on one flag at once)."""


def _flag(session: Session, flag_id: int) -> Flag:
    """The flag as the last writer left it, with its patient's row lock held: every write that
    changes a knee's flags takes that lock first, so a decision and a save, or two decisions,
    on one patient run one after the other, and the second sees what the first did."""
    flag = get_locked(session, Flag, flag_id)
    if flag is None:
        raise NotFound(f"no flag with id {flag_id}")
    return flag


def _already_decided(flag_id: int, decision: ReviewDecision) -> AlreadyDecided:
    when = decision.decided_at.astimezone().strftime("%Y-%m-%d %H:%M")
    label = decision.decision.replace("_", " ")
    return AlreadyDecided(
        f"flag {flag_id} was already decided by {decision.reviewer} at {when} ({label}); "
        "nothing was recorded. Read the queue again, then amend that decision if it should change"
    )


def _in_force(session: Session, flag_id: int) -> ReviewDecision | None:
    query = select(ReviewDecision).where(
        ReviewDecision.flag_id == flag_id, ReviewDecision.status == IN_FORCE
    )
    return session.exec(query.order_by(col(ReviewDecision.decided_at).desc())).first()


def decide(
    ctx: Context,
    flag_id: int,
    decision: str,
    note: str,
    reviewer: str,
    *,
    until: date | None = None,
) -> DecisionView:
    """Record a review decision on an open flag; it closes the flag. A flag decided already
    (by another reviewer a moment ago, say) is refused with AlreadyDecided, naming who decided
    and when: changing a decision is ``amend``, which says why."""
    now = ctx.now()
    note = _checked(decision, note, until, ctx.today())
    with write_session(ctx.engine) as session:
        flag = _flag(session, flag_id)
        in_force = _in_force(session, flag_id) if flag.status == "closed" else None
        if in_force is not None:
            raise _already_decided(flag_id, in_force)
        if flag.status != "open":
            raise FollowupError(f"flag {flag_id} is {flag.status}, not open; nothing to decide")
        record = ReviewDecision(
            flag_id=flag_id, decision=decision, note=note, reviewer=reviewer, decided_at=now,
            until=until,
        )  # fmt: skip
        session.add(record)
        flag.status, flag.closed_at, flag.updated_at = "closed", now, now
        session.add(flag)
        session.flush()
        new = {"status": "closed", "decision": decision, "note": note}
        if until is not None:
            new["until"] = until.isoformat()
        audit.record(
            session, at=now, actor=reviewer, action="decide", entity="flag", entity_id=flag_id,
            patient_id=flag.patient_id, old={"status": "open", "kind": flag.kind}, new=new,
        )  # fmt: skip
        reevaluate_knee(session, ctx, flag.patient_id, flag.knee)
        return _view(record)


def amend(
    ctx: Context,
    flag_id: int,
    decision: str,
    reason: str,
    reviewer: str,
    *,
    until: date | None = None,
) -> DecisionView:
    """Replace the decision in force on a closed flag with another (a slip of a key, a changed
    plan): the old one ends as ``amended``, with the reason, and stays on record."""
    now = ctx.now()
    reason = _checked(decision, reason, until, ctx.today())
    with write_session(ctx.engine) as session:
        flag = _flag(session, flag_id)
        return _amend(ctx, session, flag, decision, reason, reviewer, until, now)


def _amend(
    ctx: Context,
    session: Session,
    flag: Flag,
    decision: str,
    reason: str,
    reviewer: str,
    until: date | None,
    now: datetime,
) -> DecisionView:
    old = _in_force(session, flag.id or 0)
    if flag.status != "closed" or old is None:
        raise FollowupError(f"flag {flag.id} has no decision to amend")
    _end(old, "amended", reviewer, reason, now)
    session.add(old)
    record = ReviewDecision(
        flag_id=flag.id or 0, decision=decision, note=reason, reviewer=reviewer, decided_at=now,
        until=until,
    )  # fmt: skip
    session.add(record)
    session.flush()
    audit.record(
        session, at=now, actor=reviewer, action="amend_decision", entity="flag",
        entity_id=flag.id, patient_id=flag.patient_id,
        old={"decision": old.decision, "note": old.note, "until": _iso(old.until)},
        new={"decision": decision, "note": reason, "until": _iso(until)}, reason=reason,
    )  # fmt: skip
    reevaluate_knee(session, ctx, flag.patient_id, flag.knee)
    return _view(record)


def reopen(ctx: Context, flag_id: int, reason: str, reviewer: str) -> DecisionView:
    """Withdraw the decision in force on a flag and open the flag again (the rules then judge
    it afresh): the decision ends as ``reopened``, with the reason, and stays on record."""
    reason = typed_note(reason, "note")
    if not reason:
        raise FollowupError("reopening a decision needs a note saying why")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        flag = _flag(session, flag_id)
        old = _in_force(session, flag_id)
        if flag.status != "closed" or old is None:
            raise FollowupError(f"flag {flag_id} is {flag.status}, with no decision to reopen")
        _end(old, "reopened", reviewer, reason, now)
        session.add(old)
        flag.status, flag.closed_at, flag.updated_at = "open", None, now
        session.add(flag)
        session.flush()
        audit.record(
            session, at=now, actor=reviewer, action="reopen", entity="flag", entity_id=flag_id,
            patient_id=flag.patient_id,
            old={"status": "closed", "decision": old.decision, "note": old.note},
            new={"status": "open"}, reason=reason,
        )  # fmt: skip
        reevaluate_knee(session, ctx, flag.patient_id, flag.knee)
        return _view(old)


def _end(decision: ReviewDecision, how: str, who: str, why: str, now: datetime) -> None:
    decision.status, decision.ended_at, decision.ended_by = how, now, who
    decision.ended_reason = why


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def decisions_for(ctx: Context, flag_ids: list[int]) -> dict[int, list[DecisionView]]:
    """Every decision of the given flags (in force and ended), oldest first."""
    found: dict[int, list[DecisionView]] = {}
    if not flag_ids:
        return found
    with read_session(ctx.engine) as session:
        query = select(ReviewDecision).where(col(ReviewDecision.flag_id).in_(flag_ids))
        for d in session.exec(query.order_by(col(ReviewDecision.decided_at), ReviewDecision.id)):
            found.setdefault(d.flag_id, []).append(_view(d))
    return found
