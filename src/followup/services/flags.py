"""Flag lifecycle: evaluate the rules, keep the stored flags in step with them, and record review
decisions.

Flags are derived, so evaluation is idempotent: the stored open flags are made to match the
rules' findings as of the evaluation day. A finding with no open flag raises a new one; an open
flag whose finding is gone is *cleared* (its evidence no longer holds); a decision *closes* a
flag, and the rules raise that kind again only on newer evidence.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, select
from sqlmodel import Session

from followup.domain.flags import Finding, evaluate_episode
from followup.domain.records import DECISIONS, LEVELS, EpisodeInput, TreatmentRecord
from followup.domain.rules import RuleSet
from followup.services import audit
from followup.services.context import Context
from followup.services.episodes import cohort_episodes, knee_episodes
from followup.services.errors import FollowupError, NotFound
from followup.store.bulk import bulk_insert, bulk_update, driver_rows, marks
from followup.store.engine import read_session, write_session
from followup.store.models import Flag, Patient, ReviewDecision, Treatment

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
    evidence: dict[str, Any]
    rule_set_version: str
    product: str
    kl_grade: int | None
    treated_on: date
    banked_doses: int | None

    def months_since_treatment(self, today: date) -> int:
        delta = relativedelta(today, self.treated_on)
        return delta.years * 12 + delta.months

    def as_json(self) -> dict[str, Any]:
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
            "evidence": self.evidence,
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


FLAG_FIELDS = ("level", "raised_on", "booster_check_by", "summary", "evidence", "rule_set_version")
OPEN_FLAGS_SQL = (
    "SELECT id, treatment_id, kind, level, raised_on, booster_check_by, summary, evidence, "
    "rule_set_version FROM flag WHERE status = 'open'"
)


def _finding_values(finding: Finding) -> tuple[Any, ...]:
    """A finding's stored fields, in FLAG_FIELDS order, dates as ISO text for comparison."""
    check_by = finding.booster_check_by
    return (
        finding.level,
        finding.raised_on.isoformat(),
        check_by.isoformat() if check_by else None,
        finding.summary,
        json.dumps(finding.evidence, sort_keys=True, ensure_ascii=False),
        str(finding.evidence.get("rule_set", "")),
    )


def _stored_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    level, raised_on, check_by, summary, evidence, version = row
    return (level, str(raised_on)[:10], str(check_by)[:10] if check_by else None, summary,
            evidence, version)  # fmt: skip


def sync_flags(
    conn: Connection,
    pairs: Iterable[tuple[TreatmentRecord, list[Finding]]],
    treatment_ids: Sequence[str] | None,
    as_of: date,
    now: datetime,
) -> SyncResult:
    """Make the stored open flags of the given episodes (all when ``treatment_ids`` is None)
    match the findings: raise new ones, update changed ones, clear those no longer found."""
    sql, params = OPEN_FLAGS_SQL, ()
    if treatment_ids is not None:
        sql += f" AND treatment_id IN ({marks(len(treatment_ids))})"
        params = tuple(treatment_ids)
    open_flags = {
        (r[1], r[2]): (r[0], _stored_values(r[3:])) for r in driver_rows(conn, sql, params)
    }
    inserts: list[list[Any]] = []
    updates: list[list[Any]] = []
    for t, findings in pairs:
        for finding in findings:
            values = _finding_values(finding)
            stored = open_flags.pop((t.id, finding.kind), None)
            typed = _typed(values)
            if stored is None:
                inserts.append(
                    [t.id, t.patient_id, t.knee, finding.kind, "open", *typed, as_of, now, now]
                )
            elif stored[1] != values:
                updates.append([*typed, as_of, now, stored[0]])
    table = Flag.__table__  # type: ignore[attr-defined]
    bulk_insert(conn, table, ["treatment_id", "patient_id", "knee", "kind", "status", *FLAG_FIELDS,
                              "evaluated_as_of", "created_at", "updated_at"], inserts)  # fmt: skip
    bulk_update(conn, table, [*FLAG_FIELDS, "evaluated_as_of", "updated_at"], "id", updates)
    clears = [["cleared", now, now, as_of, flag_id] for flag_id, _v in open_flags.values()]
    bulk_update(conn, table, ["status", "closed_at", "updated_at", "evaluated_as_of"], "id", clears)
    return SyncResult(raised=len(inserts), updated=len(updates), cleared=len(clears))


def _typed(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Stored-field values with dates as dates again (the bulk writer converts per dialect)."""
    level, raised_on, check_by, summary, evidence, version = values
    check_by_date = date.fromisoformat(check_by) if check_by else None
    return (level, date.fromisoformat(raised_on), check_by_date, summary, evidence, version)


# Below this many treatments a second process costs more than it saves.
PARALLEL_MIN_TREATMENTS = 20_000


def evaluate_cohort(
    ctx: Context, as_of: date | None = None, *, workers: int | None = None
) -> SyncResult:
    """Evaluate every episode as of a day and store the result.

    A large cohort is split by patient ID range across the machine's cores (at most
    ``workers`` processes): the rules are pure Python, so one process would be bound to one
    core. The extra processes only read; this one writes the result in one transaction.
    """
    as_of = as_of or ctx.today()
    rules = ctx.rules
    with write_session(ctx.engine) as session, _gc_paused():
        conn = session.connection()
        processes = workers if workers is not None else _worker_count(conn)
        if processes > 1:
            results = _evaluate_in_parallel(
                conn, ctx.settings.database_url, rules, as_of, processes
            )
        else:
            results = evaluate_range(conn, rules, as_of, None)
        return sync_flags(conn, results, None, as_of, ctx.now())


def _worker_count(conn: Connection) -> int:
    treatments = next(iter(driver_rows(conn, "SELECT count(*) FROM treatment")))[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 4) if treatments >= PARALLEL_MIN_TREATMENTS else 1


Found = list[tuple[TreatmentRecord, list[Finding]]]


def evaluate_range(
    conn: Connection, rules: RuleSet, as_of: date, patients: tuple[str | None, str | None] | None
) -> Found:
    """The findings of every episode of the patients in a half-open ID range (all if None)."""
    return [
        (episode.treatment, found)
        for episode in cohort_episodes(conn, rules, patients)
        if (found := evaluate_episode(episode, as_of, rules))
    ]


def _evaluate_in_parallel(
    conn: Connection, url: str, rules: RuleSet, as_of: date, processes: int
) -> Found:
    """Evaluate the first patient range here and the others in helper processes at the same
    time (``python -m followup.services.flag_worker``: a fresh interpreter, safe to start from
    a thread of the terminal UI). A helper that fails is redone here, so the answer never
    depends on the helpers."""
    ids = [r[0] for r in driver_rows(conn, "SELECT id FROM patient ORDER BY id")]
    cuts = [ids[len(ids) * i // processes] for i in range(1, processes)]
    bounds = list(zip([None, *cuts], [*cuts, None], strict=True))
    helpers = []
    for patients in bounds[1:]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "followup.services.flag_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # nothing of a patient's may reach a log
        )
        assert proc.stdin is not None
        pickle.dump((url, rules, as_of, patients), proc.stdin)
        proc.stdin.close()
        helpers.append((proc, patients))
    results = evaluate_range(conn, rules, as_of, bounds[0])
    for proc, patients in helpers:
        assert proc.stdout is not None
        try:
            found = pickle.load(proc.stdout)  # our own child's output: trusted
        except (EOFError, pickle.UnpicklingError):
            found = None
        if proc.wait() != 0 or found is None:
            found = evaluate_range(conn, rules, as_of, patients)
        results.extend(found)
    return results


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A million short-lived records make the cyclic GC rescan them over and over for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reevaluate_knee(
    session: Session, ctx: Context, patient_id: str, knee: str
) -> list[tuple[EpisodeInput, list[Finding]]]:
    """Re-evaluate one knee inside the caller's transaction (after a save), as of today."""
    conn: Connection = session.connection()
    episodes = knee_episodes(conn, patient_id, knee, ctx.rules)
    today = ctx.today()
    pairs = [(e, evaluate_episode(e, today, ctx.rules)) for e in episodes]
    findings = [(e.treatment, found) for e, found in pairs]
    sync_flags(conn, findings, [e.treatment.id for e in episodes], today, ctx.now())
    return pairs


def _views(session: Session, query: Any) -> list[FlagView]:
    rows = session.execute(query.join(Patient, Patient.id == Flag.patient_id).join(
        Treatment, Treatment.id == Flag.treatment_id
    ).add_columns(Patient.name, Treatment.product, Treatment.kl_grade, Treatment.treated_on,
                  Treatment.banked_doses))  # fmt: skip
    views = []
    for flag, name, product, kl, treated_on, banked in rows:
        views.append(
            FlagView(
                id=flag.id,
                patient_id=flag.patient_id,
                patient_name=name,
                knee=flag.knee,
                treatment_id=flag.treatment_id,
                kind=flag.kind,
                level=flag.level,
                status=flag.status,
                raised_on=flag.raised_on,
                booster_check_by=flag.booster_check_by,
                summary=flag.summary,
                evidence=json.loads(flag.evidence),
                rule_set_version=flag.rule_set_version,
                product=product,
                kl_grade=kl,
                treated_on=treated_on,
                banked_doses=banked,
            )
        )
    views.sort(key=lambda v: (LEVEL_ORDER[v.level], v.raised_on, v.id))
    return views


def open_flags(ctx: Context, patient_id: str | None = None) -> list[FlagView]:
    """Open flags, urgent -> action -> watch, then oldest first."""
    with read_session(ctx.engine) as session:
        query = select(Flag).where(Flag.status == "open")
        if patient_id is not None:
            query = query.where(Flag.patient_id == patient_id)
        return _views(session, query)


def get_flag(ctx: Context, flag_id: int) -> FlagView:
    with read_session(ctx.engine) as session:
        views = _views(session, select(Flag).where(Flag.id == flag_id))
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
