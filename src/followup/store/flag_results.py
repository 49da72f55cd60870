"""Stored results of flag evaluation: the open flags of each episode kept in step with the
rules' findings, each episode's stable range, and the record of the last whole-cohort run.

Flags are derived, so storing is comparing: a finding with no open flag raises a new one; an open
flag whose finding is gone is *cleared* (its evidence no longer holds); a changed finding updates
its flag. Rows go to the driver as plain tuples (``store.bulk``), dates as ISO text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert

from followup.domain.flags import Finding
from followup.domain.records import TreatmentRecord
from followup.store.bulk import as_stored, bulk_insert, bulk_update, chunks, driver_rows, marks
from followup.store.models import CohortEvaluation, EpisodeEvaluation, Flag

# A finding as stored: (treatment id, patient id, knee, kind, FLAG_FIELDS values with dates as
# ISO text, so they compare equal to what the database returns).
FlagRow = tuple[str, str, str, str, tuple[Any, ...]]
FLAG_FIELDS = ("level", "raised_on", "booster_check_by", "summary", "evidence", "rule_set_version")


def finding_values(finding: Finding) -> tuple[Any, ...]:
    """A finding's stored fields, in FLAG_FIELDS order."""
    check_by = finding.booster_check_by
    return (
        finding.level,
        finding.raised_on.isoformat(),
        check_by.isoformat() if check_by else None,
        finding.summary,
        orjson.dumps(finding.evidence, option=orjson.OPT_SORT_KEYS).decode(),
        str(finding.evidence.get("rule_set", "")),
    )


def flag_rows(treatment: TreatmentRecord, findings: Iterable[Finding]) -> list[FlagRow]:
    """A treatment's findings as flag rows to store."""
    t = treatment
    return [(t.id, t.patient_id, t.knee, f.kind, finding_values(f)) for f in findings]


# Why an open flag is cleared when the rules no longer find it (an episode's own reason, such as
# "superseded by treatment T2 on 2026-05-01", is given by the caller).
NO_LONGER_FOUND = "the evidence no longer holds"

# An episode's result beyond its flags, as stored in episode_evaluation (RESULT_COLUMNS order):
# treatment id, patient id, knee, the first and end day of its stable range (None: unbounded),
# and its current call (timepoint, due day, window start and end, reason; all None: no call).
# Days as ISO text, which both drivers take and SQLite returns.
ResultRow = tuple[
    str, str, str, str | None, str | None, str | None, str | None, str | None, str | None,
    str | None,
]  # fmt: skip
RESULT_COLUMNS = (
    "treatment_id", "patient_id", "knee", "stable_from", "stable_until", "call_timepoint",
    "call_due_on", "call_window_start", "call_window_end", "call_reason",
)  # fmt: skip


@dataclass(frozen=True)
class SyncResult:
    """How many flags an evaluation raised, updated and cleared, over how many episodes."""

    raised: int
    updated: int
    cleared: int
    episodes: int = 0  # episodes evaluated (a whole-cohort evaluation re-runs only some)

    def plus(self, other: SyncResult) -> SyncResult:
        """The two evaluations' counts added together."""
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
    why_cleared: dict[str, str] | None = None,
) -> SyncResult:
    """Make the stored open flags of the given episodes match the findings: raise new ones,
    update changed ones, clear those no longer found (with the episode's reason in
    ``why_cleared``, by treatment ID, else NO_LONGER_FOUND). The flags of patients in
    ``leave_alone`` are not touched (they are re-evaluated apart)."""
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
    reasons = why_cleared or {}
    clears = [
        ["cleared", stamp, stamp, day, reasons.get(tid, NO_LONGER_FOUND), flag_id]
        for (tid, _kind), (flag_id, _v) in open_flags.items()
    ]
    bulk_update(conn, table, ["status", "closed_at", "updated_at", "evaluated_as_of",
                              "closed_reason"], "id", clears,
                convert=False)  # fmt: skip
    return SyncResult(raised=len(inserts), updated=len(updates), cleared=len(clears))


def lock_cohort(conn: Connection) -> Connection:
    """One writer of a cohort evaluation's results at a time (SQLite has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE cohort_evaluation IN EXCLUSIVE MODE")
    return conn


def _stored_results(conn: Connection, treatment_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """The stored results of the given episodes (RESULT_COLUMNS after the treatment id), days
    as ISO text."""
    sql = f"SELECT {', '.join(RESULT_COLUMNS)} FROM episode_evaluation"
    rows = _episode_rows(conn, sql, treatment_ids)
    if conn.dialect.name == "postgresql":  # it returns dates; SQLite the ISO text stored
        return {row[0]: tuple(_iso(v) for v in row[1:]) for row in rows}
    return {row[0]: row[1:] for row in rows}


def _iso(value: Any) -> Any:
    """A stored day as ISO text (PostgreSQL returns dates); other values as they are."""
    return value.isoformat() if isinstance(value, date) else value


def store_results(conn: Connection, rows: list[ResultRow]) -> None:
    """Store the episodes' results, writing only those that differ from what is stored (a full
    run after another mostly finds the same)."""
    table = EpisodeEvaluation.__table__  # type: ignore[attr-defined]
    stored = _stored_results(conn, [r[0] for r in rows])
    inserts, updates = [], []
    for row in rows:
        known = stored.get(row[0])
        if known is None:
            inserts.append(list(row))
        elif known != row[1:]:
            updates.append([*row[1:], row[0]])
    bulk_insert(conn, table, RESULT_COLUMNS, inserts, convert=False)  # days are ISO text
    bulk_update(conn, table, RESULT_COLUMNS[1:], "treatment_id", updates, convert=False)


def store_cohort_evaluation(
    conn: Connection, mark: int, key: str, as_of: date, now: datetime
) -> None:
    """Record the whole-cohort evaluation just written: the next one starts from its mark."""
    conn.execute(delete(CohortEvaluation))
    conn.execute(
        insert(CohortEvaluation).values(
            id=1, audit_mark=mark, rules_key=key, as_of=as_of, evaluated_at=now
        )
    )
