"""Flag lifecycle: evaluate the rules, keep the stored flags in step with them, and record review
decisions.

Flags are derived, so evaluation is idempotent: the stored open flags are made to match the
rules' findings as of the evaluation day. A finding with no open flag raises a new one; an open
flag whose finding is gone is *cleared* (its evidence no longer holds); a decision *closes* a
flag, and the rules raise that kind again only on newer evidence.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property, partial
from typing import Any

import orjson
from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, delete, insert, select
from sqlmodel import Session

from followup.domain.flags import Finding, evaluate_episode
from followup.domain.records import DECISIONS, KNEES, LEVELS, EpisodeInput
from followup.domain.rules import RuleSet
from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.cohort import (
    FLAG_FIELDS,
    FlagRow,
    RangeRow,
    evaluate_patients,
    evaluate_range,
    flag_rows,
)
from followup.services.context import Context
from followup.store.bulk import (
    as_stored,
    bulk_insert,
    bulk_update,
    chunks,
    driver_rows,
    marks,
)
from followup.store.engine import read_session, write_session
from followup.store.episodes import DateCache, knee_episodes
from followup.store.models import CohortEvaluation, EpisodeEvaluation, Flag, ReviewDecision

LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class FlagView:
    """An open (or decided) flag with what a reviewer needs beside it."""

    id: int
    patient_id: str
    patient_name: str
    knee: str
    treatment_id: str
    kind: str
    level: str
    status: str
    raised_on: date
    booster_check_by: date | None
    summary: str
    evidence_json: str = field(repr=False)
    rule_set_version: str
    product: str
    kl_grade: int | None
    treated_on: date
    banked_doses: int | None

    @cached_property
    def evidence(self) -> dict[str, Any]:
        """Parsed when first needed: a review queue lists tens of thousands of flags and shows
        the evidence of one at a time."""
        return orjson.loads(self.evidence_json)

    def months_since_treatment(self, today: date) -> int:
        delta = relativedelta(today, self.treated_on)
        return delta.years * 12 + delta.months

    def as_json(self, stored_evidence: bool = False) -> dict[str, Any]:
        """The fields DESIGN.md names. ``stored_evidence``: the evidence as the stored JSON text
        (for orjson to copy into its output as it is) instead of parsed, which for a whole
        cohort's flags takes most of the time."""
        evidence: Any = orjson.Fragment(self.evidence_json) if stored_evidence else self.evidence
        return {
            "id": self.id,
            "patient_id": self.patient_id,
            "knee": self.knee,
            "treatment_id": self.treatment_id,
            "kind": self.kind,
            "level": self.level,
            "status": self.status,
            "raised_on": self.raised_on.isoformat(),
            "booster_check_by": self.booster_check_by.isoformat()
            if self.booster_check_by
            else None,
            "summary": self.summary,
            "evidence": evidence,
            "rule_set_version": self.rule_set_version,
            "product": self.product,
            "kl_grade": self.kl_grade,
            "treated_on": self.treated_on.isoformat(),
            "banked_doses": self.banked_doses,
        }


@dataclass(frozen=True)
class SyncResult:
    raised: int
    updated: int
    cleared: int
    episodes: int = 0  # episodes evaluated (a whole-cohort evaluation re-runs only some)

    def plus(self, other: SyncResult) -> SyncResult:
        return SyncResult(
            raised=self.raised + other.raised,
            updated=self.updated + other.updated,
            cleared=self.cleared + other.cleared,
            episodes=self.episodes + other.episodes,
        )


OPEN_FLAGS_SQL = (
    "SELECT id, treatment_id, kind, patient_id, level, raised_on, booster_check_by, summary, "
    "evidence, rule_set_version FROM flag WHERE status = 'open'"
)


def _stored_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    level, raised_on, check_by, summary, evidence, version = row
    return (level, str(raised_on)[:10], str(check_by)[:10] if check_by else None, summary,
            evidence, version)  # fmt: skip


# Open flags as stored: (treatment id, kind) -> (flag id, patient id, FLAG_FIELDS values).
OpenFlags = dict[tuple[str, str], tuple[int, str, tuple[Any, ...]]]


def _episode_rows(
    conn: Connection, sql: str, treatment_ids: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` for the given episodes, the IDs sent in slices. ``sql`` ends where
    a condition on treatment_id can be added (after its WHERE, if any)."""
    glue = " AND" if " WHERE " in sql else " WHERE"
    for ids in chunks(treatment_ids):
        yield from driver_rows(conn, f"{sql}{glue} treatment_id IN ({marks(len(ids))})", ids)


def read_open_flags(conn: Connection, treatment_ids: Sequence[str]) -> OpenFlags:
    """The open flags of the given episodes."""
    found: OpenFlags = {}
    for r in _episode_rows(conn, OPEN_FLAGS_SQL, treatment_ids):
        found[(r[1], r[2])] = (r[0], r[3], _stored_values(r[4:]))
    return found


def sync_flags(
    conn: Connection,
    found: Iterable[FlagRow],
    treatment_ids: Sequence[str],
    as_of: date,
    now: datetime,
    leave_alone: frozenset[str] = frozenset(),
) -> SyncResult:
    """Make the stored open flags of the given episodes match the findings: raise new ones,
    update changed ones, clear those no longer found. The flags of patients in ``leave_alone``
    are not touched (they are re-evaluated apart)."""
    stored = read_open_flags(conn, treatment_ids)
    open_flags = {k: (v[0], v[2]) for k, v in stored.items() if v[1] not in leave_alone}
    inserts: list[list[Any]] = []
    updates: list[list[Any]] = []
    table = Flag.__table__  # type: ignore[attr-defined]
    # The rows go to the driver as they are: the found values hold their days as ISO text
    # already, which both drivers take, and the day and the time are converted once here.
    day = as_stored(conn, table, "evaluated_as_of", as_of)
    stamp = as_stored(conn, table, "updated_at", now)
    for treatment_id, patient_id, knee, kind, values in found:
        if patient_id in leave_alone:
            continue
        known = open_flags.pop((treatment_id, kind), None)
        if known is None:
            inserts.append(
                [treatment_id, patient_id, knee, kind, "open", *values, day, stamp, stamp]
            )
        elif known[1] != values:
            updates.append([*values, day, stamp, known[0]])
    bulk_insert(conn, table, ["treatment_id", "patient_id", "knee", "kind", "status", *FLAG_FIELDS,
                              "evaluated_as_of", "created_at", "updated_at"], inserts,
                convert=False)  # fmt: skip
    bulk_update(conn, table, [*FLAG_FIELDS, "evaluated_as_of", "updated_at"], "id", updates,
                convert=False)  # fmt: skip
    clears = [["cleared", stamp, stamp, day, flag_id] for flag_id, _v in open_flags.values()]
    bulk_update(conn, table, ["status", "closed_at", "updated_at", "evaluated_as_of"], "id", clears,
                convert=False)  # fmt: skip
    return SyncResult(raised=len(inserts), updated=len(updates), cleared=len(clears))


# Patients of a batch changed since the evaluation's snapshot are redone one by one in the
# transaction that writes the batch; more than this (a large import landed meanwhile), and the
# cohort is evaluated again instead.
APART_MAX = 100
# When more than this share of the patients need re-evaluating, one ordered pass over everyone
# is faster than looking them up.
INCREMENTAL_MAX_SHARE = 0.3
# An evaluation made on a snapshot is thrown away this many times when a bulk import lands
# while it runs; the next time, everyone is evaluated inside the writing transaction.
SNAPSHOT_ATTEMPTS = 2


def evaluate_cohort(
    ctx: Context,
    as_of: date | None = None,
    *,
    full: bool = False,
) -> SyncResult:
    """Evaluate every episode as of a day and store the result.

    Incremental: an episode is re-run only when its patient's data changed since the last
    whole-cohort evaluation (the audit trail says whose) or when "as of" lies outside the days
    its last result holds (``stable_range``); every other episode's stored flags are exactly
    what the rules would give again. A change of rules, a bulk import, or ``full`` re-runs all.

    The rules run on a read snapshot, so saves, calls and self-reports are not held up for the
    seconds a large cohort takes. The result is written in batches (a slice of the patients
    each), each in a short transaction of its own as soon as it is ready. A batch holds every
    episode of its patients, and an episode's
    flags and stable range are written together, so what is stored is at every moment, episode
    by episode, what the rules gave on one day or the other; the evaluation's own record (what
    the next incremental run starts from) is written last.
    """
    as_of = as_of or ctx.today()
    key = rules_key(ctx.rules)
    for _attempt in range(SNAPSHOT_ATTEMPTS):
        mark = audit.committed_mark(ctx.engine)
        now = ctx.now()
        result = _evaluate_on_snapshot(ctx, as_of, full, key, mark, now)
        if result is not None:
            with write_session(ctx.engine) as session:
                conn = _lock_cohort(session.connection())
                _store_cohort_evaluation(conn, mark, key, as_of, now)
            return result
    # Imports keep landing: evaluate everyone inside one writing transaction.
    mark = audit.committed_mark(ctx.engine)
    now = ctx.now()
    with write_session(ctx.engine) as session:
        conn = _lock_cohort(session.connection())
        found, ranges = evaluate_range(partial(driver_rows, conn), ctx.rules, as_of, None)
        result = _store_batch(ctx, conn, found, ranges, as_of, now, frozenset())
        _store_cohort_evaluation(conn, mark, key, as_of, now)
        return result


def _evaluate_on_snapshot(
    ctx: Context,
    as_of: date,
    full: bool,
    key: str,
    mark: int,
    now: datetime,
) -> SyncResult | None:
    """Evaluate on a read snapshot taken after audit event ``mark`` and write the result batch
    by batch; None when a bulk import landed meanwhile (what was written holds, but the rest
    must be evaluated again)."""
    total = SyncResult(raised=0, updated=0, cleared=0)
    with read_session(ctx.engine) as session:
        conn = session.connection()
        todo = None if full else _patients_to_evaluate(conn, key, as_of)
        with closing(_evaluate(ctx, conn, as_of, todo)) as batches:
            for found, ranges in batches:
                written = _write_batch(ctx, found, ranges, as_of, now, mark)
                if written is None:
                    return None
                total = total.plus(written)
    return total


def _lock_cohort(conn: Connection) -> Connection:
    """One writer of a cohort evaluation's results at a time (SQLite has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE cohort_evaluation IN EXCLUSIVE MODE")
    return conn


def _write_batch(
    ctx: Context,
    found: list[FlagRow],
    ranges: list[RangeRow],
    as_of: date,
    now: datetime,
    mark: int,
) -> SyncResult | None:
    """Write one batch of an evaluation made on a snapshot taken after audit event ``mark``, in
    a transaction of its own. The batch's patients changed since are re-evaluated in it; None
    (nothing written) when there are too many of them or a bulk import cannot name them."""
    if not ranges:
        return SyncResult(raised=0, updated=0, cleared=0)
    with write_session(ctx.engine) as session:
        conn = _lock_cohort(session.connection())
        changed = _patients_changed_since(conn, mark)
        if changed is None:
            return None
        if changed:
            changed = changed.intersection(r[1] for r in ranges)
            if len(changed) > APART_MAX:
                return None
        return _store_batch(ctx, conn, found, ranges, as_of, now, changed)


def _store_batch(
    ctx: Context,
    conn: Connection,
    found: list[FlagRow],
    ranges: list[RangeRow],
    as_of: date,
    now: datetime,
    changed: frozenset[str],
) -> SyncResult:
    """Make the stored flags and stable ranges of a batch's episodes match its evaluation. The
    patients ``changed`` since the evaluation's snapshot are re-evaluated here instead, but
    their ranges are not stored: the next evaluation sees their changes and redoes them."""
    result = sync_flags(conn, found, [r[0] for r in ranges], as_of, now, changed)
    _store_ranges(conn, [r for r in ranges if r[1] not in changed] if changed else ranges)
    for patient_id in sorted(changed):
        for knee in KNEES:
            _reevaluate(conn, ctx, patient_id, knee, as_of)
    return replace(result, episodes=len(ranges))


def rules_key(rules: RuleSet) -> str:
    """A digest of every threshold and the schedule: stored results hold only under the same."""
    return hashlib.sha256(repr(rules).encode()).hexdigest()


def _patients_to_evaluate(conn: Connection, key: str, as_of: date) -> list[str] | None:
    """The patients whose episodes need running again on ``as_of``; None for everyone."""
    rows = list(driver_rows(conn, "SELECT audit_mark, rules_key FROM cohort_evaluation"))
    if not rows or rows[0][1] != key:
        return None
    changed = _patients_changed_since(conn, rows[0][0])
    if changed is None:
        return None
    # Episodes whose range does not hold "as of", and treatments never evaluated.
    sql = (
        "SELECT DISTINCT t.patient_id FROM treatment t "
        "LEFT JOIN episode_evaluation e ON e.treatment_id = t.id "
        "WHERE e.treatment_id IS NULL OR e.stable_from > ? OR e.stable_until <= ?"
    )
    todo = set(changed)
    todo.update(r[0] for r in driver_rows(conn, sql, (as_of, as_of)))
    patients = conn.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
    if len(todo) > INCREMENTAL_MAX_SHARE * patients:
        return None
    return sorted(todo)


# Flag rows and stable ranges of some episodes, as evaluated.
Evaluated = tuple[list[FlagRow], list[RangeRow]]


# Patients per batch of a full run: each batch is written in a short transaction of its own.
BATCH_PATIENTS = 5000


def _evaluate(
    ctx: Context, conn: Connection, as_of: date, todo: list[str] | None
) -> Generator[Evaluated]:
    """Run the rules on the patients ``todo`` (everyone when None), in batches each holding
    every episode of its patients, each given as soon as it is ready."""
    read = partial(driver_rows, conn)
    if todo is not None:
        yield evaluate_patients(read, ctx.rules, as_of, todo)
        return
    ids = [r[0] for r in driver_rows(conn, "SELECT id FROM patient ORDER BY id")]
    cuts = ids[BATCH_PATIENTS::BATCH_PATIENTS]
    for patients in zip([None, *cuts], [*cuts, None], strict=True):
        yield evaluate_range(read, ctx.rules, as_of, patients)


def _stored_ranges(
    conn: Connection, treatment_ids: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """The stored stable ranges of the given episodes, days as ISO text."""
    stored: dict[str, tuple[str | None, str | None]] = {}
    sql = "SELECT treatment_id, stable_from, stable_until FROM episode_evaluation"
    for tid, start, end in _episode_rows(conn, sql, treatment_ids):
        stored[tid] = (start and str(start)[:10], end and str(end)[:10])
    return stored


def _store_ranges(conn: Connection, ranges: list[RangeRow]) -> None:
    """Store the episodes' stable ranges, writing only those that differ from what is stored
    (a full run after another mostly finds the same)."""
    table = EpisodeEvaluation.__table__  # type: ignore[attr-defined]
    stored = _stored_ranges(conn, [r[0] for r in ranges])
    inserts, updates = [], []
    for tid, pid, start, end in ranges:
        known = stored.get(tid)
        if known is None:
            inserts.append([tid, pid, start, end])
        elif known != (start, end):
            updates.append([start, end, tid])
    columns = ["treatment_id", "patient_id", "stable_from", "stable_until"]
    bulk_insert(conn, table, columns, inserts, convert=False)  # days are ISO text already
    bulk_update(conn, table, columns[2:], "treatment_id", updates, convert=False)


def _store_cohort_evaluation(
    conn: Connection, mark: int, key: str, as_of: date, now: datetime
) -> None:
    conn.execute(delete(CohortEvaluation))
    conn.execute(
        insert(CohortEvaluation).values(
            id=1, audit_mark=mark, rules_key=key, as_of=as_of, evaluated_at=now
        )
    )


# Audit entities whose changes can change a flag. Every such write leaves an audit event.
FLAG_INPUTS = ("assessment", "treatment", "flag", "patient")


def _patients_changed_since(conn: Connection, mark: int) -> frozenset[str] | None:
    """Patients whose flag inputs changed after audit event ``mark``; None when that cannot be
    told (an import of treatments or assessments too large to name its patients). An import of
    patients alone changes no episode: it only adds people, none of them treated yet."""
    changed = set()
    sql = "SELECT patient_id, action, entity, new FROM audit_event WHERE id > ?"
    for patient_id, action, entity, new in driver_rows(conn, sql, (mark,)):
        if action == "import" and entity in ("treatments", "assessments"):
            named = orjson.loads(new or "{}").get("patients")
            if named is None:
                return None
            changed.update(named)
        elif patient_id is not None and entity in FLAG_INPUTS:
            changed.add(patient_id)
    return frozenset(changed)


def reevaluate_knee(
    session: Session, ctx: Context, patient_id: str, knee: str
) -> list[tuple[EpisodeInput, list[Finding]]]:
    """Re-evaluate one knee inside the caller's transaction (after a save), as of today."""
    return _reevaluate(session.connection(), ctx, patient_id, knee, ctx.today())


def _reevaluate(
    conn: Connection, ctx: Context, patient_id: str, knee: str, as_of: date
) -> list[tuple[EpisodeInput, list[Finding]]]:
    episodes = knee_episodes(conn, patient_id, knee, ctx.rules)
    pairs = [(e, evaluate_episode(e, as_of, ctx.rules)) for e in episodes]
    rows = [row for e, found in pairs for row in flag_rows(e.treatment, found)]
    sync_flags(conn, rows, [e.treatment.id for e in episodes], as_of, ctx.now())
    return pairs


VIEW_SQL = (
    "SELECT f.id, f.patient_id, p.name, f.knee, f.treatment_id, f.kind, f.level, f.status, "
    "f.raised_on, f.booster_check_by, f.summary, f.evidence, f.rule_set_version, t.product, "
    "t.kl_grade, t.treated_on, t.banked_doses FROM flag f "
    "JOIN patient p ON p.id = f.patient_id JOIN treatment t ON t.id = f.treatment_id"
)


# Urgent -> action -> watch, then oldest first (days sort as ISO text in SQLite, as dates in
# PostgreSQL), then by id.
FLAG_ORDER_SQL = (
    " ORDER BY CASE f.level "
    + " ".join(f"WHEN '{level}' THEN {i}" for i, level in enumerate(LEVELS))
    + " END, f.raised_on, f.id"
)


def _views(ctx: Context, where: str, params: Sequence[Any] = ()) -> list[FlagView]:
    """Flags as read models, urgent -> action -> watch, then oldest first. Plain driver rows:
    a review queue can hold tens of thousands of flags."""
    dates = DateCache()
    sql = f"{VIEW_SQL} WHERE {where}{FLAG_ORDER_SQL}"
    with read_session(ctx.engine) as session:
        rows = list(driver_rows(session.connection(), sql, params))
    views = [
        FlagView(
            id=r[0],
            patient_id=r[1],
            patient_name=r[2],
            knee=r[3],
            treatment_id=r[4],
            kind=r[5],
            level=r[6],
            status=r[7],
            raised_on=dates[r[8]],
            booster_check_by=dates[r[9]] if r[9] else None,
            summary=r[10],
            evidence_json=r[11],
            rule_set_version=r[12],
            product=r[13],
            kl_grade=r[14],
            treated_on=dates[r[15]],
            banked_doses=r[16],
        )
        for r in rows
    ]
    return views


def flag_views(
    ctx: Context, where: str, params: Sequence[Any] = (), *, limit: int
) -> list[FlagView]:
    """The first ``limit`` flags meeting ``where`` (a condition on ``flag f``, ``patient p`` and
    ``treatment t``, with ``?`` for each of ``params``) in review order: the database sorts and
    stops, so a page of a long list is read without the rest."""
    first = (
        "SELECT f.id FROM flag f JOIN patient p ON p.id = f.patient_id "
        f"JOIN treatment t ON t.id = f.treatment_id WHERE {where}{FLAG_ORDER_SQL} "
        f"LIMIT {int(limit)}"
    )
    return _views(ctx, f"f.id IN ({first})", params)


def open_flags(
    ctx: Context, patient_id: str | None = None, site_id: str | None = None
) -> list[FlagView]:
    """Open flags, urgent -> action -> watch, then oldest first; of one patient, or of one
    site's patients (staff limited to a site), when given."""
    where, params = "f.status = 'open'", []
    if patient_id is not None:
        where += " AND f.patient_id = ?"
        params.append(patient_id)
    if site_id is not None:
        where += " AND p.site_id = ?"
        params.append(site_id)
    return _views(ctx, where, params)


def open_flag_summaries(ctx: Context) -> list[tuple[int, str, str, str, str, str]]:
    """Every open flag as (id, level, kind, patient id, knee, summary), in ``open_flags``'s
    order: what the command line lists, without reading each flag's evidence (most of the
    time ``open_flags`` takes for a whole cohort)."""
    sql = (
        "SELECT f.id, f.level, f.kind, f.patient_id, f.knee, f.summary FROM flag f "
        f"WHERE f.status = 'open'{FLAG_ORDER_SQL}"
    )
    with read_session(ctx.engine) as session:
        return list(driver_rows(session.connection(), sql))


def flags_with_ids(ctx: Context, flag_ids: Sequence[int]) -> list[FlagView]:
    """The flags with these IDs (a patient's handful), in ``open_flags``'s order."""
    if not flag_ids:
        return []
    return _views(ctx, f"f.id IN ({marks(len(flag_ids))})", flag_ids)


def get_flag(ctx: Context, flag_id: int) -> FlagView:
    views = flags_with_ids(ctx, [flag_id])
    if not views:
        raise NotFound(f"no flag with id {flag_id}")
    return views[0]


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
