"""The coordinator's call list: timepoints due within N days and overdue ones, for the latest
episode of every knee, with the patient's local time (patients live in other time zones)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followup.domain.schedule import TimepointStatus
from followup.services.context import Context
from followup.store.bulk import chunks, driver_rows, marks
from followup.store.engine import read_session
from followup.store.episodes import DateCache, as_datetime, knee_calls

CALL_HOURS = (9, 20)  # a decent hour to phone, in the patient's own time


def _calls_sql(conn: Any, site_id: str | None) -> str:
    """Each knee's latest treatment up to the as-of date (``?``), of one site's patients when
    ``site_id`` is given (a second ``?``): its current episode; with the dates of the knee's
    valid assessments since that treatment as one text (every window opens after the treatment:
    the rules refuse a schedule where one would not). The database walks the partial index
    ix_assessment_valid_dates, and Python handles one row per knee, not one per assessment.
    SQLite returns the other columns of the row holding the max(); PostgreSQL says so with
    DISTINCT ON."""
    where = "treated_on <= ?"
    if site_id is not None:
        where += " AND patient_id IN (SELECT id FROM patient WHERE site_id = ?)"
    if conn.dialect.name == "postgresql":
        latest = (
            "SELECT DISTINCT ON (patient_id, knee) id, patient_id, knee, treated_on "
            f"FROM treatment WHERE {where} ORDER BY patient_id, knee, treated_on DESC"
        )
        days = "string_agg(a.assessed_on::text, ',' ORDER BY a.assessed_on)"
    else:
        latest = (
            "SELECT id, patient_id, knee, max(treated_on) AS treated_on FROM treatment "
            f"WHERE {where} GROUP BY patient_id, knee"
        )
        days = "group_concat(a.assessed_on)"
    return (
        f"SELECT l.patient_id, l.knee, l.id, l.treated_on, (SELECT {days} FROM assessment a "
        "WHERE a.patient_id = l.patient_id AND a.knee = l.knee AND a.entered_in_error = false "
        "AND a.total_score IS NOT NULL AND a.assessed_on >= l.treated_on) "
        f"FROM ({latest}) l"
    )


class DueItem(NamedTuple):
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

    @property
    def decent_hour(self) -> bool:
        if self.patient_local_time is None:
            return True
        return CALL_HOURS[0] <= self.patient_local_time.hour < CALL_HOURS[1]

    def as_json(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "name": self.name,
            "knee": self.knee,
            "treatment_id": self.treatment_id,
            "timepoint": self.timepoint,
            "due_on": self.due_on.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "status": self.status,
            "patient_local_time": self.patient_local_time.isoformat(timespec="minutes")
            if self.patient_local_time
            else None,
            "timezone": self.timezone,
            "last_contact_at": self.last_contact_at.isoformat() if self.last_contact_at else None,
            "last_contact_outcome": self.last_contact_outcome,
        }


def local_time(now: datetime, zone: str | None) -> datetime | None:
    if not zone:
        return None
    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def due_list(
    ctx: Context,
    as_of: date | None = None,
    days: int = 7,
    site_id: str | None = None,
    *,
    details: bool = True,
) -> list[DueItem]:
    """Calls to make: overdue first, then by due date; only one site's patients when
    ``site_id`` is given (staff limited to a site). Reads only the latest treatment of each knee
    and the dates of valid assessments.

    ``details=False`` leaves each call's name, phone, time zone, local time and last contact
    empty, for a screen that shows one page at a time and fills them with ``with_details``:
    reading them for every patient due would be most of the time taken."""
    as_of = as_of or ctx.today()
    rules = ctx.rules
    dates = DateCache()
    with read_session(ctx.engine) as session:
        conn = session.connection()
        params = (as_of,) if site_id is None else (as_of, site_id)
        rows = driver_rows(conn, _calls_sql(conn, site_id), params)
        items = [_item(*call) for call in knee_calls(rows, as_of, days, rules, dates)]
        if details:
            items = _with_details(conn, ctx.now(), items)
    items.sort(key=lambda i: (i.status != "overdue", i.due_on, i.patient_id, i.knee))
    return items


# Audit entities and imports whose changes can change the call list (contacts do not: a page's
# last contacts are read when it is shown).
CALL_INPUTS = ("assessment", "treatment")
CALL_IMPORTS = ("patients", "treatments", "assessments")


def call_list_changed_since(ctx: Context, mark: int) -> bool:
    """Whether an assessment or treatment was written (or imported) after audit event ``mark``."""
    sql = (
        f"SELECT 1 FROM audit_event WHERE id > ? AND (entity IN ({marks(len(CALL_INPUTS))}) "
        f"OR (action = 'import' AND entity IN ({marks(len(CALL_IMPORTS))}))) LIMIT 1"
    )
    with read_session(ctx.engine) as session:
        conn = session.connection()
        return any(driver_rows(conn, sql, (mark, *CALL_INPUTS, *CALL_IMPORTS)))


def _item(patient_id: str, knee: str, treatment_id: str, call: TimepointStatus) -> DueItem:
    return DueItem(
        patient_id, "", None, None, knee, treatment_id, call.label, call.due_on,
        call.window_start, call.window_end, call.status, None,
    )  # fmt: skip


def with_details(ctx: Context, items: Sequence[DueItem]) -> list[DueItem]:
    """The calls with each patient's name, phone, time zone, local time and last contact."""
    with read_session(ctx.engine) as session:
        return _with_details(session.connection(), ctx.now(), items)


def _with_details(conn: Any, now: datetime, items: Sequence[DueItem]) -> list[DueItem]:
    wanted = sorted({i.patient_id for i in items})
    patients = _patients(conn, wanted)
    contacts = _last_contacts(conn, wanted)
    local_times = {zone: local_time(now, zone) for _n, _p, zone in patients.values() if zone}
    detailed = []
    for item in items:
        pid = item.patient_id
        name, phone, zone = patients.get(pid, ("", None, None))
        last_at, last_outcome = contacts.get(pid, (None, None))
        # knee .. status as computed; built whole (NamedTuple._replace costs several times more)
        detailed.append(
            DueItem(
                pid, name, phone, zone, *item[4:11], local_times.get(zone), last_at, last_outcome
            )  # fmt: skip
        )
    return detailed


# From this many patients on, one pass over the patient table beats looking each one up.
SCAN_PATIENTS_FROM = 5000


def _patients(conn: Any, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    found = {}
    if len(ids) >= SCAN_PATIENTS_FROM:
        wanted = set(ids)
        sql = "SELECT id, name, phone, timezone FROM patient"
        for pid, name, phone, zone in driver_rows(conn, sql):
            if pid in wanted:
                found[pid] = (name, phone, zone)
        return found
    for chunk in chunks(ids):
        sql = f"SELECT id, name, phone, timezone FROM patient WHERE id IN ({marks(len(chunk))})"
        for pid, name, phone, zone in driver_rows(conn, sql, chunk):
            found[pid] = (name, phone, zone)
    return found


def _last_contacts(conn: Any, ids: list[str]) -> dict[str, tuple[datetime, str]]:
    found: dict[str, tuple[datetime, str]] = {}
    for chunk in chunks(ids):
        # The latest contact of each patient (the later-entered one of two at the same time):
        # PostgreSQL says so with DISTINCT ON; SQLite seeks each patient's last entry in the
        # (patient_id, contacted_at) index rather than grouping all of their contacts.
        ids = marks(len(chunk))
        if conn.dialect.name == "postgresql":
            sql = (
                "SELECT DISTINCT ON (patient_id) patient_id, contacted_at, outcome FROM contact "
                f"WHERE patient_id IN ({ids}) ORDER BY patient_id, contacted_at DESC, id DESC"
            )
        else:
            sql = (
                "SELECT p.id, c.contacted_at, c.outcome FROM patient p JOIN contact c ON c.id = "
                "(SELECT l.id FROM contact l WHERE l.patient_id = p.id "
                f"ORDER BY l.contacted_at DESC, l.id DESC LIMIT 1) WHERE p.id IN ({ids})"
            )
        for pid, at, outcome in driver_rows(conn, sql, chunk):
            found[pid] = (as_datetime(at), outcome)
    return found
