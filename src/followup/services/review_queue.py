"""Flags as the people who act on them see them: the review queue's open flags (urgent ->
action -> watch, oldest first), one patient's flags, and a flag by its ID, as plain read models
(``FlagView``) read with the driver's own cursor; and the decided flags, newest decision first,
for a clinician to amend or reopen a decision."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import orjson
from dateutil.relativedelta import relativedelta

from followup.domain.records import LEVELS
from followup.errors import NotFound
from followup.services.context import Context
from followup.services.decide import DecisionView, decisions_for
from followup.store.bulk import driver_rows, marks
from followup.store.engine import read_session
from followup.store.episodes import DateCache

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
        """Whole months from the treatment to ``today``."""
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
    ctx: Context, where: str, params: Sequence[Any] = (), *, limit: int, offset: int = 0
) -> list[FlagView]:
    """``limit`` flags meeting ``where`` (a condition on ``flag f``, ``patient p`` and
    ``treatment t``, with ``?`` for each of ``params``) in review order, after the first
    ``offset``: the database sorts and stops, so a page of a long list is read without the
    rest."""
    first = (
        "SELECT f.id FROM flag f JOIN patient p ON p.id = f.patient_id "
        f"JOIN treatment t ON t.id = f.treatment_id WHERE {where}{FLAG_ORDER_SQL} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return _views(ctx, f"f.id IN ({first})", params)


@dataclass(frozen=True)
class FlagPage:
    """One page of the review queue and how many open flags there are at each level."""

    flags: tuple[FlagView, ...]
    total: int
    by_level: dict[str, int]


def open_flag_page(
    ctx: Context, *, page: int = 0, page_size: int = 50, site_id: str | None = None
) -> FlagPage:
    """One page of the open flags in review order, read from SQL (of one site's patients, for
    staff limited to a site), with the counts by level."""
    where, params = "f.status = 'open'", []
    if site_id is not None:
        where += " AND p.site_id = ?"
        params.append(site_id)
    flags = flag_views(ctx, where, params, limit=page_size, offset=page * page_size)
    sql = (
        "SELECT f.level, count(*) FROM flag f JOIN patient p ON p.id = f.patient_id "
        f"WHERE {where} GROUP BY f.level"
    )
    with read_session(ctx.engine) as session:
        by_level = {lvl: 0 for lvl in LEVELS}
        by_level.update(dict(driver_rows(session.connection(), sql, params)))
    return FlagPage(tuple(flags), sum(by_level.values()), by_level)


@dataclass(frozen=True)
class DecidedPage:
    """One page of the decided flags (closed with a decision in force), newest decision first,
    each with that decision."""

    flags: tuple[FlagView, ...]
    decisions: dict[int, DecisionView]
    total: int


def decided_flag_page(
    ctx: Context, *, page: int = 0, page_size: int = 50, site_id: str | None = None
) -> DecidedPage:
    """One page of the flags closed by a decision still in force (of one site's patients for
    staff limited to a site): what the review meeting decided, to amend or reopen."""
    where = "f.status = 'closed' AND d.status = 'in_force'"
    params: list[Any] = []
    if site_id is not None:
        where += " AND p.site_id = ?"
        params.append(site_id)
    joins = (
        "FROM review_decision d JOIN flag f ON f.id = d.flag_id "
        f"JOIN patient p ON p.id = f.patient_id WHERE {where}"
    )
    ids_sql = (
        f"SELECT f.id {joins} ORDER BY d.decided_at DESC, d.id DESC "
        f"LIMIT {int(page_size)} OFFSET {int(page) * int(page_size)}"
    )
    with read_session(ctx.engine) as session:
        conn = session.connection()
        ids = [r[0] for r in driver_rows(conn, ids_sql, params)]
        [(total,)] = list(driver_rows(conn, f"SELECT count(*) {joins}", params))
    by_id = {f.id: f for f in flags_with_ids(ctx, ids)}
    in_force = {
        flag_id: next(d for d in reversed(found) if d.status == "in_force")
        for flag_id, found in decisions_for(ctx, ids).items()
        if any(d.status == "in_force" for d in found)
    }
    flags = tuple(by_id[i] for i in ids if i in by_id and i in in_force)
    return DecidedPage(flags, in_force, total)


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
    """One flag as the review queue shows it; NotFound when there is none with that ID."""
    views = flags_with_ids(ctx, [flag_id])
    if not views:
        raise NotFound(f"no flag with id {flag_id}")
    return views[0]


@dataclass(frozen=True)
class UrgentFlag:
    """A newly raised open urgent flag, as announced to the clinicians signed in."""

    id: int
    patient_id: str
    knee: str
    kind: str


@dataclass(frozen=True)
class NewUrgentFlags:
    """What ``new_urgent_flags`` found: the newest urgent flags not yet announced (newest
    first), whether there were more than it returned, and the newest flag ID of any kind."""

    flags: tuple[UrgentFlag, ...]
    more: bool
    newest_id: int


def new_urgent_flags(
    ctx: Context,
    after_id: int | None,
    *,
    announced: Collection[int] = (),
    site_id: str | None = None,
    limit: int = 3,
) -> NewUrgentFlags:
    """Open urgent flags with an ID above ``after_id``, except the ``announced`` ones, newest
    first, at most ``limit``; of one site's patients when given. A re-raised flag is a new row,
    so it counts as new. ``after_id`` None: only the newest ID, where a listener starts.

    Polled every few seconds by every signed-in clinician, so both reads stay on the primary
    key: the newest ID, then the range above ``after_id``. On PostgreSQL an ID is drawn before
    its transaction commits, so a long writer can commit a flag below one already seen: the
    caller keeps ``after_id`` a little behind the newest ID and passes what it has announced."""
    with read_session(ctx.engine) as session:
        conn = session.connection()
        newest = next(iter(driver_rows(conn, "SELECT max(id) FROM flag")))[0] or 0
        if after_id is None or newest <= after_id:
            return NewUrgentFlags((), False, newest)
        skip = sorted(i for i in announced if i > after_id)
        sql = (
            "SELECT f.id, f.patient_id, f.knee, f.kind FROM flag f "
            "JOIN patient p ON p.id = f.patient_id "
            "WHERE f.id > ? AND f.level = 'urgent' AND f.status = 'open'"
            + (f" AND f.id NOT IN ({marks(len(skip))})" if skip else "")
            + (" AND p.site_id = ?" if site_id is not None else "")
            + f" ORDER BY f.id DESC LIMIT {int(limit) + 1}"
        )
        params: list[Any] = [after_id, *skip] + ([site_id] if site_id is not None else [])
        rows = list(driver_rows(conn, sql, params))
    flags = tuple(UrgentFlag(*row) for row in rows[:limit])
    return NewUrgentFlags(flags, len(rows) > limit, newest)
