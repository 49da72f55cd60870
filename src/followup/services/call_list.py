"""The coordinator's call list: each knee's current call (``domain.flags.current_call``), as the
flag evaluation stores it, read from SQL one page at a time, with the patient's name, phone, own
local time (patients live in other time zones) and last contact.

Views are horizons: ``overdue``; ``today`` (overdue and windows open today); ``week``, ``14`` and
``30`` (everything whose window opens within that many days). On a page, one row is one call to
make: both knees of a patient due in the same view are one row naming both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.store.bulk import driver_rows
from followup.store.engine import is_sqlite, read_session
from followup.store.episodes import DateCache, as_datetime

CALL_HOURS = (9, 20)  # a decent hour to phone, in the patient's own time
# View -> (label, days ahead; None: overdue only).
VIEWS: dict[str, tuple[str, int | None]] = {
    "today": ("Today (open and overdue)", 0),
    "week": ("This week", 7),
    "14": ("Next 14 days", 14),
    "30": ("Next 30 days", 30),
    "overdue": ("Overdue", None),
}
DEFAULT_VIEW = "week"
STATUS_ORDER = ("overdue", "due", "upcoming")


def local_time(now: datetime, zone: str | None) -> datetime | None:
    """``now`` on the patient's own clock (None without a known time zone)."""
    if not zone:
        return None
    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def decent_hour(local: datetime | None) -> bool:
    """Whether it is a decent hour to phone (unknown counts as decent: nothing to warn of)."""
    return local is None or CALL_HOURS[0] <= local.hour < CALL_HOURS[1]


class DueItem(NamedTuple):
    """One knee's call, with its patient's details."""

    patient_id: str
    name: str
    phone: str | None
    timezone: str | None
    knee: str
    treatment_id: str
    timepoint: str
    due_on: date
    window_start: date
    window_end: date
    status: str
    patient_local_time: datetime | None
    last_contact_at: datetime | None = None
    last_contact_outcome: str | None = None
    reason: str | None = None

    @property
    def decent_hour(self) -> bool:
        """Whether it is a decent hour to phone the patient now."""
        return decent_hour(self.patient_local_time)

    def as_json(self) -> dict[str, Any]:
        """The fields DESIGN.md names for ``due --json``, and the patient's details."""
        local = self.patient_local_time
        return {
            "patient_id": self.patient_id,
            "name": self.name,
            "phone": self.phone,
            "knee": self.knee,
            "treatment_id": self.treatment_id,
            "timepoint": self.timepoint,
            "due_on": self.due_on.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "patient_local_time": local.isoformat(timespec="minutes") if local else None,
            "timezone": self.timezone,
            "last_contact_at": self.last_contact_at.isoformat() if self.last_contact_at else None,
            "last_contact_outcome": self.last_contact_outcome,
        }


@dataclass(frozen=True)
class PatientCall:
    """One call to make: a patient and the calls of their knees in the view (one or two)."""

    knees: tuple[DueItem, ...]

    @property
    def first(self) -> DueItem:
        """The most urgent knee's call (the row is ordered by it)."""
        return self.knees[0]

    @property
    def patient_id(self) -> str:
        """The patient this call is to."""
        return self.first.patient_id

    @property
    def status(self) -> str:
        """The most pressing status of the knees due: overdue, due or upcoming."""
        return self.first.status

    def with_time(self, now: datetime) -> PatientCall:
        """The same call with the patient's local time at ``now`` (the clock keeps going)."""
        here = local_time(now, self.first.timezone)
        return PatientCall(tuple(k._replace(patient_local_time=here) for k in self.knees))


@dataclass(frozen=True)
class CallPage:
    """One page of a view, how many patients the view holds, and how many each view holds
    (``counts``; empty when the page was read without them)."""

    view: str
    today: date
    calls: tuple[PatientCall, ...]
    total: int
    counts: dict[str, int]


_STATUS_SQL = (
    "CASE WHEN e.call_window_end < ? THEN 0 WHEN e.call_window_start <= ? THEN 1 ELSE 2 END"
)
_SELECT = (
    "SELECT e.patient_id, p.name, p.phone, p.timezone, e.knee, e.treatment_id, "
    "e.call_timepoint, e.call_due_on, e.call_window_start, e.call_window_end, "
    f"{_STATUS_SQL} AS status, e.call_reason, c.contacted_at, c.outcome "
    "FROM episode_evaluation e JOIN patient p ON p.id = e.patient_id "
    "LEFT JOIN contact c ON c.id = (SELECT l.id FROM contact l WHERE l.patient_id = p.id "
    "ORDER BY l.contacted_at DESC, l.id DESC LIMIT 1) "
)


# A list's calls are read in one pass over the stored calls rather than through the index on
# the window's start (the unary + tells SQLite not to use it): a view holds a large share of the
# cohort's calls (the due list, the week, 30 days), and an index walk with a row look-up for
# each is about twice as slow as the scan at 100,000 patients. PostgreSQL's planner chooses by
# its statistics (and has no unary + for dates).
def _window_start(engine: Engine) -> str:
    return "+e.call_window_start" if is_sqlite(engine) else "e.call_window_start"


def _where(view: str, today: date, site_id: str | None, start: str) -> tuple[str, list[Any]]:
    """The condition selecting a view's calls (``e`` the stored results, ``p`` the patient)."""
    days = VIEWS[view][1]
    conditions, params = ["e.call_timepoint IS NOT NULL"], []
    if days is None:
        conditions.append("e.call_window_end < ?")
        params.append(today)
    else:
        conditions.append(f"{start} <= ?")
        params.append(today + timedelta(days=days))
    if site_id is not None:
        conditions.append("p.site_id = ?")
        params.append(site_id)
    return " AND ".join(conditions), params


def _items(rows: Any, now: datetime) -> list[DueItem]:
    dates = DateCache()
    zones: dict[str | None, datetime | None] = {}
    items = []
    for r in rows:
        zone = r[3]
        if zone not in zones:
            zones[zone] = local_time(now, zone)
        items.append(
            DueItem(
                r[0],
                r[1],
                r[2],
                zone,
                r[4],
                r[5],
                r[6],
                dates[r[7]],
                dates[r[8]],
                dates[r[9]],
                STATUS_ORDER[r[10]],
                zones[zone],
                as_datetime(r[12]) if r[12] else None,
                r[13],
                r[11],
            )  # fmt: skip
        )
    return items


def due_list(
    ctx: Context,
    as_of: date | None = None,
    days: int = 7,
    site_id: str | None = None,
    *,
    evaluate: bool = True,
) -> list[DueItem]:
    """Every knee's call whose window opens within ``days`` days of ``as_of`` (overdue and open
    ones included): overdue first, then by due day. The cohort's evaluation is brought up to
    ``as_of`` first (incremental: only what changed), unless ``evaluate`` is False."""
    as_of = as_of or ctx.today()
    if evaluate:
        evaluate_cohort(ctx, as_of)
    where = f"e.call_timepoint IS NOT NULL AND {_window_start(ctx.engine)} <= ?" + (
        " AND p.site_id = ?" if site_id is not None else ""
    )
    params: list[Any] = [as_of, as_of, as_of + timedelta(days=days)]
    if site_id is not None:
        params.append(site_id)
    sql = f"{_SELECT} WHERE {where} ORDER BY status, e.call_due_on, e.patient_id, e.knee"
    with read_session(ctx.engine) as session:
        return _items(driver_rows(session.connection(), sql, params), ctx.now())


def view_list(
    ctx: Context,
    view: str,
    as_of: date | None = None,
    *,
    site_id: str | None = None,
    evaluate: bool = True,
) -> list[DueItem]:
    """Every knee's call of a view (``VIEWS``), in ``due_list``'s order, not paged: for the
    command line and the printed call sheet, which cover a day's or a few weeks' calls and go
    to a file or a printer. Not for a screen's list: screens read a page (``call_page``). The
    evaluation is brought up to ``as_of`` first unless ``evaluate`` is False."""
    if view not in VIEWS:
        raise ValueError(f"unknown call list view {view!r}")
    as_of = as_of or ctx.today()
    if evaluate:
        evaluate_cohort(ctx, as_of)
    where, params = _where(view, as_of, site_id, _window_start(ctx.engine))
    sql = f"{_SELECT} WHERE {where} ORDER BY status, e.call_due_on, e.patient_id, e.knee"
    with read_session(ctx.engine) as session:
        rows = driver_rows(session.connection(), sql, [as_of, as_of, *params])
        return _items(rows, ctx.now())


def grouped(items: list[DueItem]) -> list[PatientCall]:
    """Calls grouped by patient, in the order of each patient's most urgent call."""
    by_patient: dict[str, list[DueItem]] = {}
    for item in items:
        by_patient.setdefault(item.patient_id, []).append(item)
    return [PatientCall(tuple(knees)) for knees in by_patient.values()]


def call_page(
    ctx: Context,
    view: str = DEFAULT_VIEW,
    *,
    page: int = 0,
    page_size: int = 50,
    site_id: str | None = None,
    today: date | None = None,
    with_counts: bool = True,
) -> CallPage:
    """One page of a view's calls (one row per patient), read from the stored calls as they
    are: the caller brings the evaluation up to date first (``evaluate_cohort``). The page
    knows its view's total; how many each view holds (``view_counts``) comes with it unless
    ``with_counts`` is False (a screen shows the page first and reads the counts next)."""
    today = today or ctx.today()
    if view not in VIEWS:
        raise ValueError(f"unknown call list view {view!r}")
    start = _window_start(ctx.engine)
    where, params = _where(view, today, site_id, start)
    with read_session(ctx.engine) as session:
        conn = session.connection()
        grouped_sql = (
            "SELECT e.patient_id, min(" + _STATUS_SQL + ") AS status, min(e.call_due_on) AS due "
            f"FROM episode_evaluation e {_site_join(site_id)}WHERE {where} GROUP BY e.patient_id"
        )
        rows = list(
            driver_rows(
                conn,
                f"SELECT patient_id, count(*) OVER () FROM ({grouped_sql}) g "
                "ORDER BY status, due, patient_id LIMIT ? OFFSET ?",
                [today, today, *params, page_size, page * page_size],
            )
        )
        chosen = [r[0] for r in rows]
        if rows:
            total = int(rows[0][1])
        else:  # past the end (or nothing to call): the view's size alone
            count_sql = f"SELECT count(*) FROM ({grouped_sql}) g"
            total = int(next(iter(driver_rows(conn, count_sql, [today, today, *params])))[0])
        calls: list[PatientCall] = []
        if chosen:
            marks = ", ".join("?" * len(chosen))
            sql = (
                f"{_SELECT} WHERE {where} AND e.patient_id IN ({marks}) "
                "ORDER BY status, e.call_due_on, e.knee"
            )
            items = _items(driver_rows(conn, sql, [today, today, *params, *chosen]), ctx.now())
            by_patient = {c.patient_id: c for c in grouped(items)}
            calls = [by_patient[pid] for pid in chosen if pid in by_patient]
        counts = _counts(conn, today, site_id, start) if with_counts else {}
    return CallPage(view, today, tuple(calls), total, counts)


def view_counts(
    ctx: Context, site_id: str | None = None, today: date | None = None
) -> dict[str, int]:
    """How many patients each view (``VIEWS``) holds, from the stored calls."""
    today = today or ctx.today()
    with read_session(ctx.engine) as session:
        return _counts(session.connection(), today, site_id, _window_start(ctx.engine))


def _site_join(site_id: str | None) -> str:
    """The join a site's list needs (the patient's site); none for the whole clinic's list,
    which reads the stored calls alone."""
    return "JOIN patient p ON p.id = e.patient_id " if site_id is not None else ""


def _counts(conn: Any, today: date, site_id: str | None, start: str) -> dict[str, int]:
    """How many patients each view holds, in one pass over the stored calls."""
    columns, params = [], []
    for view in VIEWS:
        where, view_params = _where(view, today, None, start)
        columns.append(f"count(DISTINCT CASE WHEN {where} THEN e.patient_id END)")
        params.extend(view_params)
    sql = (
        f"SELECT {', '.join(columns)} FROM episode_evaluation e {_site_join(site_id)}"
        "WHERE e.call_timepoint IS NOT NULL"
    )
    if site_id is not None:
        sql += " AND p.site_id = ?"
        params.append(site_id)
    row = next(iter(driver_rows(conn, sql, params)))
    return dict(zip(VIEWS, (int(n) for n in row), strict=True))
