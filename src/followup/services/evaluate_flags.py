"""Evaluating the flag rules and storing what they find: for one knee right after a save, and
for the whole cohort (``followup flags``, the weekly review, the review queue).

Whole-cohort evaluation is incremental: each episode's result is stored with the range of days on
which it cannot change (``domain.flags.stable_range``), so a later run re-runs only the patients
whose data changed since (the audit trail names them) and the episodes whose range does not hold
the new day.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime
from functools import cache, partial
from itertools import repeat
from multiprocessing import get_context
from typing import NamedTuple

import orjson
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from followup.domain.flags import Call, Finding, assess_episode, current_call, evaluate_episode
from followup.domain.records import KNEES, EpisodeInput
from followup.domain.rules import RuleSet
from followup.services import audit
from followup.services.context import Context
from followup.store.bulk import driver_rows
from followup.store.engine import make_engine, read_session, write_session
from followup.store.episodes import (
    DateCache,
    Reader,
    cohort_episodes,
    knee_episodes,
    patients_episodes,
)
from followup.store.flag_results import (
    FlagRow,
    ResultRow,
    SyncResult,
    flag_rows,
    lock_cohort,
    store_cohort_evaluation,
    store_results,
    sync_flags,
)
from followup.store.locks import lock_patient, lock_patients

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
                conn = lock_cohort(session.connection())
                store_cohort_evaluation(conn, mark, key, as_of, now)
            return result
    # Imports keep landing: evaluate everyone inside one writing transaction.
    mark = audit.committed_mark(ctx.engine)
    now = ctx.now()
    with write_session(ctx.engine) as session:
        conn = lock_cohort(session.connection())
        lock_patients(conn, None)
        batch = evaluate_range(partial(driver_rows, conn), ctx.rules, as_of, None)
        result = _store_batch(ctx, conn, batch, as_of, now, frozenset())
        store_cohort_evaluation(conn, mark, key, as_of, now)
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
            for batch in batches:
                written = _write_batch(ctx, batch, as_of, now, mark)
                if written is None:
                    return None
                total = total.plus(written)
    return total


def _write_batch(
    ctx: Context, batch: Evaluated, as_of: date, now: datetime, mark: int
) -> SyncResult | None:
    """Write one batch of an evaluation made on a snapshot taken after audit event ``mark``, in
    a transaction of its own. The batch's patients changed since are re-evaluated in it; None
    (nothing written) when there are too many of them or a bulk import cannot name them."""
    if not batch.results:
        return SyncResult(raised=0, updated=0, cleared=0)
    with write_session(ctx.engine) as session:
        conn = lock_cohort(session.connection())
        lock_patients(conn, (r[1] for r in batch.results))
        changed = _patients_changed_since(conn, mark)
        if changed is None:
            return None
        if changed:
            changed = changed.intersection(r[1] for r in batch.results)
            if len(changed) > APART_MAX:
                return None
        return _store_batch(ctx, conn, batch, as_of, now, changed)


def _store_batch(
    ctx: Context,
    conn: Connection,
    batch: Evaluated,
    as_of: date,
    now: datetime,
    changed: frozenset[str],
) -> SyncResult:
    """Make the stored flags and results of a batch's episodes match its evaluation. The
    patients ``changed`` since the evaluation's snapshot are re-evaluated here instead (their
    results stored as holding on no day: the next evaluation sees their changes and redoes
    them)."""
    results = batch.results
    episodes = [r[0] for r in results]
    result = sync_flags(conn, batch.found, episodes, as_of, now, changed, batch.why_cleared)
    store_results(conn, [r for r in results if r[1] not in changed] if changed else results)
    for patient_id in sorted(changed):
        for knee in KNEES:
            _reevaluate(conn, ctx, patient_id, knee, as_of)
    return replace(result, episodes=len(results))


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
    # Episodes whose range does not hold "as of" (an episode entered in error re-runs its
    # patient once more at most: harmless) ...
    sql = "SELECT patient_id FROM episode_evaluation WHERE stable_from > ? OR stable_until <= ?"
    todo = set(changed)
    todo.update(r[0] for r in driver_rows(conn, sql, (as_of, as_of)))
    # ... and treatments never evaluated: none when every treatment has its row (a row's key is
    # its treatment's), which two counts tell without a pass over both tables.
    count = "SELECT (SELECT count(*) FROM treatment) - (SELECT count(*) FROM episode_evaluation)"
    if conn.exec_driver_sql(count).scalar_one():
        never = (
            "SELECT t.patient_id FROM treatment t WHERE t.entered_in_error = false AND NOT "
            "EXISTS (SELECT 1 FROM episode_evaluation e WHERE e.treatment_id = t.id)"
        )
        todo.update(r[0] for r in driver_rows(conn, never))
    patients = conn.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
    if len(todo) > INCREMENTAL_MAX_SHARE * patients:
        return None
    return sorted(todo)


class Evaluated(NamedTuple):
    """Some episodes as evaluated: their flag rows, their results (call and stable range), and
    why their open flags may be cleared (by treatment ID: "superseded by ...")."""

    found: list[FlagRow]
    results: list[ResultRow]
    why_cleared: dict[str, str]


# A stored result that changes nothing in the coming week holds past it (assess_episode), so
# the weekly review's evaluation re-runs only the episodes whose result changes in the week.
LOOK_AHEAD_DAYS = 7
# Patients per batch of a full run: each batch is written in a short transaction of its own.
BATCH_PATIENTS = 5000
# From this many patients to run, batches are evaluated in worker processes, one per core (the
# rules are pure Python and take most of a large run; a worker costs about half a second to
# start, so small runs, such as the next day's, stay in this process).
PARALLEL_MIN_PATIENTS = 5000


def _evaluate(
    ctx: Context, conn: Connection, as_of: date, todo: list[str] | None
) -> Generator[Evaluated]:
    """Run the rules on the patients ``todo`` (everyone when None), in batches each holding
    every episode of its patients, each given as soon as it is ready (in order)."""
    read = partial(driver_rows, conn)
    if todo is not None and len(todo) < PARALLEL_MIN_PATIENTS:
        yield evaluate_patients(read, ctx.rules, as_of, todo)
        return
    batches: list[PatientRange] | list[list[str]]
    if todo is None:
        ids = [r[0] for r in driver_rows(conn, "SELECT id FROM patient ORDER BY id")]
        cuts = ids[BATCH_PATIENTS::BATCH_PATIENTS]
        batches = list(zip([None, *cuts], [*cuts, None], strict=True))
    else:
        size = len(todo) // (2 * (os.cpu_count() or 1)) + 1  # two batches per worker
        batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    workers = min(os.cpu_count() or 1, len(batches))
    if workers < 2 or len(ids if todo is None else todo) < PARALLEL_MIN_PATIENTS:
        for batch in batches:
            yield _evaluate_batch(read, ctx.rules, as_of, batch)
        return
    # Each worker reads with its own connection, at or after the audit mark this evaluation
    # started from; what changed after that mark is redone when the batch is written. Spawned,
    # not forked: the staff UI runs evaluations from a thread.
    url = ctx.engine.url.render_as_string(hide_password=False)
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    try:
        yield from pool.map(_evaluate_in_worker, repeat(url), repeat(ctx.rules),
                            repeat(as_of), batches)  # fmt: skip
    finally:  # also when the caller stops early: batches not started are dropped
        pool.shutdown(cancel_futures=True)


def _evaluate_batch(
    read: Reader, rules: RuleSet, as_of: date, batch: PatientRange | list[str]
) -> Evaluated:
    """A batch: a half-open range of patient IDs, or the patients listed."""
    if isinstance(batch, list):
        return evaluate_patients(read, rules, as_of, batch)
    return evaluate_range(read, rules, as_of, batch)


@cache
def _worker_engine(url: str) -> Engine:
    """The database engine of a worker process (one per process, opened on its first batch)."""
    return make_engine(url)


def _evaluate_in_worker(
    url: str, rules: RuleSet, as_of: date, batch: PatientRange | list[str]
) -> Evaluated:
    """Evaluate a batch in a worker process, reading with the worker's own connection."""
    with read_session(_worker_engine(url)) as session:
        return _evaluate_batch(partial(driver_rows, session.connection()), rules, as_of, batch)


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
    """Re-evaluate one knee inside the caller's transaction (after a save), as of today. The
    patient's row lock is held from here on (callers that read before writing take it first)."""
    lock_patient(session, patient_id)
    return _reevaluate(session.connection(), ctx, patient_id, knee, ctx.today())


def _reevaluate(
    conn: Connection, ctx: Context, patient_id: str, knee: str, as_of: date
) -> list[tuple[EpisodeInput, list[Finding]]]:
    """The knee's flags and calls brought up to date; its results are stored as holding on no
    day, so the next whole-cohort evaluation runs it again and stores its real range (the
    audit trail names the patient to it anyway)."""
    episodes = knee_episodes(conn, patient_id, knee, ctx.rules)
    pairs = [(e, evaluate_episode(e, as_of, ctx.rules)) for e in episodes]
    rows = [row for e, found in pairs for row in flag_rows(e.treatment, found)]
    ids = [e.treatment.id for e in episodes] + _entered_in_error(conn, patient_id, knee)
    sync_flags(conn, rows, ids, as_of, ctx.now(), why_cleared=_why_cleared(episodes, as_of))
    day = as_of.isoformat()
    calls = [current_call(e, as_of, ctx.rules) for e in episodes]
    store_results(
        conn, [_result_row(e, c, (day, day)) for e, c in zip(episodes, calls, strict=True)]
    )
    return pairs


def _entered_in_error(conn: Connection, patient_id: str, knee: str) -> list[str]:
    """The knee's treatments marked entered in error: their open flags are cleared."""
    sql = "SELECT id FROM treatment WHERE patient_id = ? AND knee = ? AND entered_in_error = true"
    return [r[0] for r in driver_rows(conn, sql, (patient_id, knee))]


def _why_cleared(episodes: Iterable[EpisodeInput], as_of: date) -> dict[str, str]:
    """Why each superseded episode's open flags close, by treatment ID."""
    found = {}
    for e in episodes:
        reason = e.superseded_as_of(as_of)
        if reason is not None:
            found[e.treatment.id] = reason
    return found


def _result_row(
    episode: EpisodeInput, call: Call | None, days: tuple[str | None, str | None]
) -> ResultRow:
    """The episode's stored result: its stable range ``days`` and its current call."""
    t = episode.treatment
    if call is None:
        return (t.id, t.patient_id, t.knee, *days, None, None, None, None, None)
    return (
        t.id, t.patient_id, t.knee, *days, call.timepoint, call.due_on.isoformat(),
        call.window_start.isoformat(), call.window_end.isoformat(), call.reason,
    )  # fmt: skip


def evaluate_episodes(episodes: Iterable[EpisodeInput], rules: RuleSet, as_of: date) -> Evaluated:
    """The flag rows of the episodes and each episode's result (its call and the days it holds)."""
    found: list[FlagRow] = []
    results: list[ResultRow] = []
    why: dict[str, str] = {}
    for episode in episodes:
        reason = episode.superseded_as_of(as_of)
        if reason is not None:
            why[episode.treatment.id] = reason
        result = assess_episode(episode, as_of, rules, LOOK_AHEAD_DAYS)
        if result.findings:
            found.extend(flag_rows(episode.treatment, result.findings))
        start, end = result.stable_from, result.stable_until
        days = (start and start.isoformat(), end and end.isoformat())
        results.append(_result_row(episode, result.call, days))
    return Evaluated(found, results, why)


PatientRange = tuple[str | None, str | None]


def evaluate_range(
    read: Reader,
    rules: RuleSet,
    as_of: date,
    patients: PatientRange | None,
    dates: DateCache | None = None,
) -> Evaluated:
    """Every episode of the patients in a half-open ID range (all if None)."""
    return evaluate_episodes(cohort_episodes(read, rules, patients, dates), rules, as_of)


def evaluate_patients(read: Reader, rules: RuleSet, as_of: date, ids: Sequence[str]) -> Evaluated:
    """Every episode of the given patients."""
    return evaluate_episodes(patients_episodes(read, rules, ids), rules, as_of)
