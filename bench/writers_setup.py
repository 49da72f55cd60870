"""Setting up a clinic for ``bench/concurrent_writers.py``: the synthetic cohort imported through
the services and evaluated, a throwaway PostgreSQL database, the extra assessments file the
import scenario loads, and what each writer may work on (knees, flags, patients with codes).

Nothing here prints patient data: only counts and type names leave this module.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context, open_context
from followup.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# The cohort's anchor date, 15:00 UTC: the clinic's "now" when the benchmark starts.
START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
KINDS = ("patients", "treatments", "assessments", "contacts")


def ticking_clock(start: datetime = START) -> Callable[[], datetime]:
    """A clock that starts at ``start`` when made and then runs with real time (the same day
    throughout a run, but no two calls, contacts or decisions at the very same instant)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def open_ctx(url: str) -> Context:
    """A context on ``url`` as the tests make one (``tests/conftest.py``'s ``make_context``)."""
    return open_context(Settings(database_url=url, clock=ticking_clock()), create=True)


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A new ``followup_bench_<hex>`` database on the server of ``admin_url``; its URL. It is
    dropped (WITH (FORCE): writers that died may still hold connections) however the run ends."""
    import psycopg

    admin = admin_url.replace("+psycopg", "")
    name = f"followup_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"  dropped database {name}", flush=True)


def generate_cohort(patients: int, out: Path) -> None:
    """Write the four cohort CSVs with ``tools/generate_cohort.py`` (anchor 2026-11-21)."""
    script = ROOT / "tools" / "generate_cohort.py"
    subprocess.run(
        [sys.executable, str(script), "--patients", str(patients), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_clinic(ctx: Context, cohort: Path) -> None:
    """Import the cohort through the services, in the order a clinic would, and evaluate it."""
    from followup.services.evaluate_flags import evaluate_cohort
    from followup.services.importing import import_file

    for kind in KINDS:
        started = time.perf_counter()
        result = import_file(ctx, kind, cohort / f"{kind}.csv", "bench")
        print(f"  import {kind}: {result.count:,} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    evaluate_cohort(ctx)
    print(f"  evaluate_cohort: {time.perf_counter() - started:.1f} s", flush=True)


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Clinic:
    """What the writers work on: every patient, and every treated knee (patient, knee)."""

    patients: list[str]
    knees: list[tuple[str, str]]


def read_clinic(cohort: Path, today: date) -> Clinic:
    """The patients and their knees treated on or before ``today`` (a self-report needs one)."""
    patients = [r["patient_id"] for r in _read(cohort / "patients.csv")]
    knees = sorted(
        {
            (r["patient_id"], r["knee"])
            for r in _read(cohort / "treatments.csv")
            if date.fromisoformat(r["treated_on"]) <= today
        }
    )
    return Clinic(patients, knees)


def write_import_file(cohort: Path, rows: int, path: Path, seed: int = 7) -> int:
    """A backlog of ``rows`` paper forms for the clinic's treated knees, round robin, each on a
    day before the anchor that the knee has no paper form on yet (the import refuses a form
    already stored, and a form before the patient's birth; none of these is either)."""
    anchor = START.date()
    taken = {
        (r["patient_id"], r["knee"], r["assessed_on"])
        for r in _read(cohort / "assessments.csv")
        if r["source"] == "paper"
    }
    knees = read_clinic(cohort, anchor).knees
    rng = random.Random(seed)
    columns = ["patient_id", "knee", "assessed_on", "source", *ITEM_KEYS]
    back = dict.fromkeys(knees, 0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        for n in range(rows):
            knee = knees[n % len(knees)]
            while True:
                back[knee] += 1
                day = (anchor - timedelta(days=back[knee])).isoformat()
                if (*knee, day) not in taken:
                    break
            out.writerow([*knee, day, "paper", *(rng.randint(0, 4) for _ in ITEM_KEYS)])
    return rows


def open_flags_by_patient(ctx: Context) -> dict[str, list[int]]:
    """The open flags' IDs, by patient (a decider gets all of a patient's flags)."""
    from followup.services.review_queue import open_flag_summaries

    flags: dict[str, list[int]] = {}
    for flag_id, _level, _kind, patient_id, _knee, _summary in open_flag_summaries(ctx):
        flags.setdefault(patient_id, []).append(flag_id)
    return flags


def deal_flags(flags: dict[str, list[int]], parts: int, seed: int) -> list[dict[str, list[int]]]:
    """The open flags dealt into ``parts`` disjoint shares, a patient's flags in one share."""
    patients = sorted(flags)
    random.Random(seed).shuffle(patients)
    shares: list[dict[str, list[int]]] = [{} for _ in range(parts)]
    for i, patient_id in enumerate(patients):
        shares[i % parts][patient_id] = flags[patient_id]
    return shares


def issue_codes(ctx: Context, patients: list[str]) -> None:
    """A self-report code for each patient a guesser will try wrong codes on."""
    from followup.services.patient_codes import issue_code

    for patient_id in patients:
        issue_code(ctx, patient_id, "bench")
