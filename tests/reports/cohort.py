"""A small cohort for the review packet's tests, imported through the CSV formats (DESIGN.md
section 7), and a clock the tests move: a packet covers what changed since the previous one.

Three patients, four flags, one knee with two of them: P1's left knee responded, wore off and
reported an adverse event (safety + wearing_off); P2's right knee missed its 3-month follow-up
(overdue, a watch flag); P3's left knee was assessed before its treatment but never after it
(lost_to_follow_up). Every knee has a pre-treatment assessment: without one the knee would also
raise ``no_baseline`` (rule set 2026.2), a watch flag these tests do not ask for.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context, open_context
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.importing import import_file
from followup.settings import Settings
from tests.conftest import FROZEN_NOW

AS_OF = date(2026, 11, 21)
SCRIPT_NAME = "<script>alert(1)</script> O'Brien | Jr"
FORMULA_NAME = '=HYPERLINK("http://attacker.example","click")'
ADVERSE_EVENT = "<img src=x onerror=alert(1)> swelling {{ 7*7 }} | warm"

PATIENTS = [
    {"patient_id": "P1", "name": SCRIPT_NAME, "birth_date": "1956-03-02"},
    {"patient_id": "P2", "name": FORMULA_NAME, "birth_date": "1949-11-30"},
    {"patient_id": "P3", "name": "Carla Díaz", "birth_date": "1962-07-14"},
]
TREATMENTS = [
    {"treatment_id": "T1", "patient_id": "P1", "knee": "left", "treated_on": "2025-06-01",
     "product": "adsc_cultured", "kl_grade": "2", "banked_doses": "2"},
    {"treatment_id": "T2", "patient_id": "P2", "knee": "right", "treated_on": "2026-08-01",
     "product": "prp", "kl_grade": "3", "banked_doses": ""},
    {"treatment_id": "T3", "patient_id": "P3", "knee": "left", "treated_on": "2026-08-01",
     "product": "bmac", "kl_grade": "", "banked_doses": ""},
]  # fmt: skip
# (patient, knee, date, every item's answer 0-4, adverse event)
ASSESSMENTS = [
    ("P1", "left", "2025-05-20", 3, ""),
    ("P1", "left", "2025-06-15", 3, ADVERSE_EVENT),
    ("P1", "left", "2025-07-15", 1, ""),
    ("P1", "left", "2025-09-01", 1, ""),
    ("P1", "left", "2025-12-01", 1, ""),
    ("P1", "left", "2026-03-01", 3, ""),
    ("P1", "left", "2026-06-01", 3, ""),
    ("P2", "right", "2026-07-25", 2, ""),
    ("P2", "right", "2026-08-15", 2, ""),
    ("P2", "right", "2026-09-12", 2, ""),
    ("P3", "left", "2026-07-28", 2, ""),  # the baseline; nothing after the treatment
]
SECTIONS = [  # review order: urgent, then action; oldest first within a level
    ("urgent", "safety", "P1"),
    ("action", "wearing_off", "P1"),
    ("action", "lost_to_follow_up", "P3"),
]
WATCH = [("watch", "overdue", "P2")]


class Clock:
    """The time a test context sees; ``advance`` moves it on."""

    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def clocked_context(url: str, clock: Clock, **settings: object) -> Context:
    """A context whose clock the test moves."""
    return open_context(Settings(database_url=url, clock=clock, **settings), create=True)  # type: ignore[arg-type]


def write_csv(path: Path, fields: list[str], rows: Iterable[dict[str, object]]) -> Path:
    """Rows as a CSV file with a header, as the importer reads them."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_cohort(
    ctx: Context,
    folder: Path,
    patients: list[dict[str, object]],
    treatments: list[dict[str, object]],
    assessments: list[tuple[str, str, str, int, str]],
) -> None:
    """Import patients, treatments and assessments (each item answered alike) from CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "patients": write_csv(folder / "patients.csv", list(patients[0]), patients),
        "treatments": write_csv(folder / "treatments.csv", list(treatments[0]), treatments),
        "assessments": write_csv(
            folder / "assessments.csv",
            ["patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "adverse_event"],
            (
                {
                    "patient_id": p,
                    "knee": k,
                    "assessed_on": d,
                    "source": "phone",
                    "adverse_event": ae,
                }
                | dict.fromkeys(ITEM_KEYS, v)
                for p, k, d, v, ae in assessments
            ),
        ),
    }
    for kind, path in files.items():
        import_file(ctx, kind, path, "test")


def load_cohort(ctx: Context, folder: Path) -> Context:
    """The three patients above, their flags raised as of AS_OF at the clock's time."""
    import_cohort(ctx, folder, PATIENTS, TREATMENTS, ASSESSMENTS)  # type: ignore[arg-type]
    evaluate_cohort(ctx, AS_OF)
    return ctx


def load_many(ctx: Context, folder: Path, first: int, count: int) -> None:
    """``count`` patients like P2 (overdue: a watch flag) and ``count`` like P3 (lost to
    follow-up: an action flag; a baseline, nothing after the treatment), numbered from
    ``first``."""
    patients, treatments, assessments = [], [], []
    for n in range(first, first + count):
        for kind, knee in (("W", "right"), ("A", "left")):
            pid = f"{kind}{n:05d}"
            patients.append(
                {"patient_id": pid, "name": f"Patient {pid}", "birth_date": "1950-01-01"}
            )
            treatments.append({"treatment_id": f"T{pid}", "patient_id": pid, "knee": knee,
                               "treated_on": "2026-08-01", "product": "prp"})  # fmt: skip
            days = ("2026-07-25", "2026-08-15", "2026-09-12") if kind == "W" else ("2026-07-28",)
            assessments += [(pid, knee, d, 2, "") for d in days]
    import_cohort(ctx, folder, patients, treatments, assessments)
