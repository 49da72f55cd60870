"""The coordinator's call list: timepoints due within N days and overdue ones, for the latest
episode of every knee, with the patient's local time (patients live in other time zones)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followup.domain.schedule import TimepointStatus, due_calls
from followup.services.context import Context
from followup.services.episodes import DateCache, as_datetime
from followup.store.bulk import chunks, driver_rows, gc_paused, marks
from followup.store.engine import read_session

CALL_HOURS = (9, 20)  # a decent hour to phone, in the patient's own time
VALID = "entered_in_error = false AND total_score IS NOT NULL"


def _latest_treatments_sql(conn: Any, site_id: str | None) -> str:
    """Each knee's latest treatment up to the as-of date (``?``), of one site's patients when
    ``site_id`` is given (a second ``?``): its current episode. SQLite returns the other columns
    of the row holding the max(); PostgreSQL says so with DISTINCT ON."""
    where = "treated_on <= ?"
    if site_id is not None:
        where += " AND patient_id IN (SELECT id FROM patient WHERE site_id = ?)"
    if conn.dialect.name == "postgresql":
        return (
            "SELECT DISTINCT ON (patient_id, knee) id, patient_id, knee, treated_on "
            f"FROM treatment WHERE {where} ORDER BY patient_id, knee, treated_on DESC"
        )
    return (
        f"SELECT id, patient_id, knee, max(treated_on) FROM treatment WHERE {where} "
        "GROUP BY patient_id, knee"
    )


def _dates_by_knee_sql(conn: Any) -> str:
    """The dates of each knee's valid assessments as one text per knee: the database walks the
    partial index ix_assessment_valid_dates and Python handles one row per knee, not one per
    assessment."""
    if conn.dialect.name == "postgresql":
        days = "string_agg(assessed_on::text, ',' ORDER BY assessed_on)"
    else:
        days = "group_concat(assessed_on)"
    return (
        f"SELECT patient_id, knee, {days} FROM assessment WHERE {VALID} GROUP BY patient_id, knee"
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
    with gc_paused(), read_session(ctx.engine) as session:
        conn = session.connection()
        params = (as_of,) if site_id is None else (as_of, site_id)
        sql = _latest_treatments_sql(conn, site_id)
        latest = {(r[1], r[2]): r for r in driver_rows(conn, sql, params)}
        items: list[DueItem] = []
        for pid, knee, days_text in driver_rows(conn, _dates_by_knee_sql(conn)):
            row = latest.pop((pid, knee), None)
            if row is None:
                continue  # assessments of a knee not (yet) treated
            done = list(map(dates.__getitem__, days_text.split(",")))
            done.sort()  # SQL does not promise the order inside an aggregate
            if done[-1] > as_of:
                del done[bisect_right(done, as_of) :]
            for call in due_calls(dates[row[3]], done, as_of, days, rules):
                items.append(_item(pid, knee, row[0], call))
        for (pid, knee), row in latest.items():  # treated knees with no valid assessment yet
            for call in due_calls(dates[row[3]], (), as_of, days, rules):
                items.append(_item(pid, knee, row[0], call))
        if details:
            items = _with_details(conn, ctx.now(), items)
    items.sort(key=lambda i: (i.status != "overdue", i.due_on, i.patient_id, i.knee))
    return items


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
        name, phone, zone = patients.get(item.patient_id, ("", None, None))
        last_at, last_outcome = contacts.get(item.patient_id, (None, None))
        detailed.append(
            item._replace(
                name=name,
                phone=phone,
                timezone=zone,
                patient_local_time=local_times.get(zone) if zone else None,
                last_contact_at=last_at,
                last_contact_outcome=last_outcome,
            )
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
        # The latest contact of each patient. SQLite returns the other columns of the row that
        # holds the max(); PostgreSQL says the same with DISTINCT ON.
        where = f"WHERE patient_id IN ({marks(len(chunk))})"
        if conn.dialect.name == "postgresql":
            sql = (
                "SELECT DISTINCT ON (patient_id) patient_id, contacted_at, outcome FROM contact "
                f"{where} ORDER BY patient_id, contacted_at DESC"
            )
        else:
            sql = (
                "SELECT patient_id, max(contacted_at), outcome FROM contact "
                f"{where} GROUP BY patient_id"
            )
        for pid, at, outcome in driver_rows(conn, sql, chunk):
            found[pid] = (as_datetime(at), outcome)
    return found
