"""What every kind of import shares: the run in progress (its transaction, problem log and
clock), the checked batch ready to insert, and checks of references and dates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from followup.store.bulk import chunks, columns_of, driver_rows, from_stored, marks
from followup.store.csv_files import ProblemLog, Row
from followup.store.models import Patient


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the kind, the file, how many rows, and notes (boosters linked)."""

    kind: str
    file: str
    count: int
    notes: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for the command line."""
        extra = "".join(f"; {n} {what}" for what, n in self.notes.items() if n)
        return f"imported {self.count} {self.kind} from {self.file}{extra}"


@dataclass(frozen=True)
class ImportRun:
    """One import in progress: its transaction, problem log, clock and who runs it."""

    conn: Connection
    log: ProblemLog
    today: date
    now: datetime
    actor: str
    shift: int
    instrument_version: str
    # ``--update``: rows of patients already in the database update them.
    update: bool = False


@dataclass
class Batch:
    """Rows checked and ready to insert, held column by column (``values[i]`` holds column
    ``columns[i]``: a large file is inserted from its columns without turning each row into
    a list of its own), sites to create, and (an update of patients) the new values of
    existing patients by ID."""

    columns: list[str]
    values: list[Sequence[Any]]
    sites: set[str]
    notes: dict[str, int] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dicts(cls, records: list[dict[str, Any]], sites: set[str] | None = None) -> Batch:
        """A batch from records given as dicts (one column per key of the first)."""
        columns = list(records[0]) if records else []
        values = columns_of((r.values() for r in records), len(columns))
        return cls(columns, values, sites or set())

    def __len__(self) -> int:
        return len(self.values[0]) if self.values else 0

    def column(self, name: str) -> Sequence[Any]:
        """The values of one column, row by row."""
        return self.values[self.columns.index(name)]

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows one by one, as tuples in ``columns`` order."""
        return zip(*self.values, strict=True)


def shift_date(value: Any, days: int) -> Any:
    """A date or date-time moved by ``days`` (the demo loader moves its dates to today)."""
    return value + timedelta(days=days) if days and value is not None else value


def not_future(log: ProblemLog, row: Row, column: str, value: date, today: date) -> None:
    """Report a date after today."""
    if value > today:
        log.add(row.line, column, f"{value.isoformat()} is in the future")


def existing_ids(conn: Connection, column: Any, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are already in ``column``."""
    ids = list(set(ids))
    found: set[str] = set()
    for chunk in chunks(ids):
        found.update(conn.scalars(select(column).where(column.in_(chunk))))
    return found


def patients_in_db(conn: Connection, ids: Iterable[str]) -> dict[str, date]:
    """Birth dates of the referenced patients that exist (read through the driver: a file may
    name a whole cohort)."""
    ids = sorted(set(ids))  # in the order of the index: each part is one range of it
    found: dict[str, date] = {}
    born = from_stored(conn, Patient.__table__, "birth_date")  # type: ignore[attr-defined]
    for chunk in chunks(ids):
        sql = f"SELECT id, birth_date FROM patient WHERE id IN ({marks(len(chunk))})"
        found.update((pid, born(day)) for pid, day in driver_rows(conn, sql, chunk))
    return found


def check_patient_ref(
    log: ProblemLog, row: Row, patients: dict[str, date], when: date | None, column: str
) -> None:
    """Report an unknown patient, or a date before the patient's birth."""
    pid = row.values.get("patient_id")
    if pid is None:
        return
    born = patients.get(pid)
    if born is None:
        log.add(row.line, "patient_id", f"{pid} is not a known patient")
    elif when is not None and when < born:
        log.add(row.line, column, "is before the patient's birth date")
