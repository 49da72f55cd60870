"""The paths clinic users wait on, timed on a large cohort next to a floor measured in the same run.

The floor is raw ``sqlite3`` reading every assessment the rules need, in order, with
``fetchall()`` on the same database file (``FLOOR_SQL``). Machines here are shared and their
speed drifts by a third from one minute to the next, so each whole-cohort figure is divided by
the mean of the floors read just before and just after it; the ratio is the figure that matters.

    python tools/generate_cohort.py --patients 100000 --out bench/out/cohort100k
    python bench/user_paths.py --cohort bench/out/cohort100k --db bench/out/cohort100k.db

With ``--cohort`` the four CSV files are imported into a new ``--db`` first (the import is one
of the figures); without it ``--db`` must exist and have been evaluated once. The paths and their
targets (issue 12):

- save one phone assessment and re-evaluate its knee: median <= 10 ms
- ``followup flags --full`` after the bulk import (a rules change): <= 6x the floor
- ``followup flags`` the next day: <= 0.5x; a week later (the weekly review): <= 1.5x
- ``followup due --json`` for the whole cohort: <= 1.5x
- weekly packet (``followup review``, HTML): <= 2x the floor and <= 10 MB
- staff UI through Textual's Pilot: worklist first page after sign-in <= 300 ms; review queue
  first page <= 300 ms; open a patient <= 100 ms; a search keystroke <= 50 ms
- bulk import of assessments: >= 50,000 rows/s
- ``pip install -e .`` into a fresh venv: about 20 s, nothing compiled (``--pip``)

Command-line figures are whole processes (``followup`` as a user runs it, interpreter start
included). Nothing here is a test: it prints figures and a verdict per target, and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from textual import events

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context, open_context
from followup.services.evaluation_day import evaluated_as_of
from followup.services.importing import import_file
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.staff import add_user, user_exists
from followup.settings import Settings
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.find import FindPatientDialog
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.review_queue import ReviewQueueScreen
from followup.ui.staff.worklist import WorklistScreen

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SQL = (
    "SELECT patient_id, knee, assessed_on, pain_score, stiffness_score, function_score, "
    "total_score, patient_global, adverse_event FROM assessment "
    "ORDER BY patient_id, knee, assessed_on"
)
KINDS = ("patients", "treatments", "assessments", "contacts")
SIZE = (160, 50)
QUERIES = ("P00012", "p0456", "garc", "zzzz")
PASSWORD = "bench-password-1"


@dataclass
class Figure:
    """One timed path: what it took, its floor (or None), and the target it is held to."""

    label: str
    value: float  # seconds, rows/s or ms, as ``unit`` says
    unit: str
    target: str
    ok: bool
    floor: float | None = None

    def line(self) -> str:
        """The figure as the summary prints it."""
        if self.unit == "s":
            shown = f"{self.value:7.2f} s"
        elif self.unit == "ms":
            shown = f"{self.value:7.1f} ms"
        else:
            shown = f"{self.value:9,.0f} {self.unit}"
        ratio = f" = {self.value / self.floor:5.2f}x floor {self.floor:.2f} s" if self.floor else ""
        verdict = "ok" if self.ok else "MISSED"
        return f"{self.label:<46} {shown}{ratio}   target {self.target}: {verdict}"


def floor_seconds(db: Path) -> float:
    """Raw sqlite3 reading the rules' assessment columns of the whole cohort in order."""
    with sqlite3.connect(db) as con:
        started = time.perf_counter()
        con.execute(FLOOR_SQL).fetchall()
        return time.perf_counter() - started


def cli(db: Path, *args: str) -> tuple[float, str]:
    """Run ``followup --db DB ARGS`` as a user would; seconds taken and standard output."""
    exe = Path(sys.executable).parent / "followup"
    started = time.perf_counter()
    done = subprocess.run(
        [str(exe), "--db", str(db), *args], capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"followup {' '.join(args)} failed:\n{done.stderr}")
    return took, done.stdout


class Bench:
    """Collects the figures; whole-cohort paths are measured between two floor readings."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.figures: list[Figure] = []

    def add(self, figure: Figure) -> None:
        """Keep a figure and print it as it comes."""
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def against_floor(self, label: str, ratio: float, run: Callable[[], float]) -> None:
        """Time ``run`` (it returns its own seconds) next to the floor; target: ratio x floor."""
        before = floor_seconds(self.db)
        took = run()
        floor = (before + floor_seconds(self.db)) / 2
        self.add(Figure(label, took, "s", f"<= {ratio}x floor", took <= ratio * floor, floor))


def import_cohort(bench: Bench, folder: Path, settings: Settings) -> None:
    """Import the four CSV files into a new database; the assessment rate is a figure."""
    if bench.db.exists():
        raise SystemExit(f"{bench.db} exists; remove it or leave out --cohort")
    ctx = open_context(settings, create=True)
    try:
        for kind in KINDS:
            path = folder / f"{kind}.csv"
            with open(path, newline="", encoding="utf-8") as fh:
                rows = sum(1 for _ in csv.reader(fh)) - 1
            started = time.perf_counter()
            import_file(ctx, kind, path, "bench")
            took = time.perf_counter() - started
            print(f"import {kind}: {rows:,} rows in {took:.1f} s", flush=True)
            if kind == "assessments":
                rate = rows / took
                bench.add(Figure("bulk import of assessments", rate, "rows/s", ">= 50,000",
                                 rate >= 50_000))  # fmt: skip
    finally:
        ctx.close()


def command_line_paths(bench: Bench, as_of: date, fresh_import: bool) -> None:
    """The whole-cohort commands, each a whole process as a user runs it."""
    next_day, week_later = str(as_of + timedelta(days=1)), str(as_of + timedelta(days=8))

    def run(*args: str) -> Callable[[], float]:
        return lambda: cli(bench.db, *args)[0]

    if fresh_import:
        bench.against_floor("flags --full after the bulk import", 6,
                            run("flags", "--full", "--as-of", str(as_of)))  # fmt: skip
    else:
        cli(bench.db, "flags", "--as-of", str(as_of))
    bench.against_floor("flags, the next day", 0.5, run("flags", "--as-of", next_day))
    bench.against_floor("flags, a week later (the weekly review)", 1.5,
                        run("flags", "--as-of", week_later))  # fmt: skip
    bench.against_floor("due --json, whole cohort", 1.5,
                        run("due", "--json", "--as-of", week_later))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "packet.html"
        # The packet records itself once written; a copy keeps the benchmark database as it was.
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(bench.db, copy)
        before = floor_seconds(bench.db)
        took, _ = cli(copy, "review", "--as-of", week_later, "--out", str(out))
        floor = (before + floor_seconds(bench.db)) / 2
        size_mb = out.stat().st_size / 1e6
        ok = took <= 2 * floor
        bench.add(Figure("weekly packet (HTML)", took, "s", "<= 2x floor", ok, floor))
        bench.add(Figure("weekly packet size", size_mb, "MB", "<= 10 MB", size_mb <= 10))


def save_paths(bench: Bench, ctx: Context, saves: int) -> None:
    """Save a phone assessment and re-evaluate its knee, as the entry screen's worker does."""
    with sqlite3.connect(bench.db) as con:
        knees = con.execute(
            "SELECT patient_id, knee FROM treatment GROUP BY patient_id, knee "
            "ORDER BY patient_id LIMIT ?",
            (saves * 40,),
        ).fetchall()[::40]
    answers = dict.fromkeys(ITEM_KEYS, 1)
    samples = []
    for patient_id, knee in knees:
        entry = AssessmentEntry(patient_id, knee, ctx.today(), "phone", answers)
        started = time.perf_counter()
        record_assessment(ctx, entry, "bench")
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95)]
    print(f"  {len(samples)} saves: median {median:.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(samples):.1f} ms")  # fmt: skip
    bench.add(Figure("save one assessment and re-evaluate its knee (median)", median, "ms",
                     "<= 10 ms", median <= 10))  # fmt: skip


async def until(condition: Callable[[], bool], timeout: float = 120.0) -> float:
    """Seconds until ``condition`` holds, polled every millisecond."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


def key(app: FollowupApp, name: str) -> None:
    """Send one key the way a terminal does (Pilot's press also waits for the app to be idle,
    which would be counted in the figures)."""
    character = name if len(name) == 1 else ("\r" if name == "enter" else None)
    assert app._driver is not None
    app._driver.send_message(events.Key(name, character))


async def sign_in(app: FollowupApp, pilot, user: str) -> float:  # type: ignore[no-untyped-def]
    """Type the name and password, press Enter; seconds until the first screen's page shows."""
    await pilot.pause()
    await pilot.press(*user, "enter", *PASSWORD)
    await pilot.pause()
    key(app, "enter")
    started = time.perf_counter()
    await until(lambda: isinstance(app.screen, WorklistScreen | ReviewQueueScreen))
    screen = app.screen
    await until(lambda: getattr(screen, "data", None) is not None)
    return time.perf_counter() - started


async def ui_paths(bench: Bench, ctx: Context, patients: list[str]) -> None:
    """Sign in, search, open patients (coordinator); sign in to the review queue (clinician)."""
    app = FollowupApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        shown = await sign_in(app, pilot, "bench")
        bench.add(Figure("worklist first page after sign-in", shown * 1000, "ms", "<= 300 ms",
                         shown <= 0.3))  # fmt: skip
        strokes: list[float] = []
        for query in QUERIES:
            await pilot.press("ctrl+f")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, FindPatientDialog)
            for n in range(1, len(query) + 1):
                key(app, query[n - 1])
                typed = query[:n]
                strokes.append(await until(lambda d=dialog, t=typed: d.shown_query == t))
            await pilot.press("escape")
            await pilot.pause()
        ms = sorted(t * 1000 for t in strokes)
        median, p90 = statistics.median(ms), ms[int(len(ms) * 0.9)]
        print(f"  {len(ms)} keystrokes: median {median:.1f} ms, p90 {p90:.1f} ms, "
              f"max {ms[-1]:.1f} ms")  # fmt: skip
        bench.add(Figure("search keystroke (median)", median, "ms", "<= 50 ms", median <= 50))
        opened: list[float] = []
        for patient_id in patients:
            await pilot.press("ctrl+f", *patient_id)
            dialog = app.screen
            assert isinstance(dialog, FindPatientDialog)
            await until(lambda d=dialog, p=patient_id: d.shown_query == p)
            await pilot.pause()
            key(app, "enter")
            started = time.perf_counter()
            await until(
                lambda: isinstance(app.screen, PatientScreen) and app.screen.detail is not None
            )
            opened.append(time.perf_counter() - started)
            await pilot.press("escape")
            await pilot.pause()
        median = statistics.median(opened[1:] or opened) * 1000
        print("  opened in " + " ".join(f"{t * 1000:.0f}" for t in opened)
              + " ms (the first also builds the screen)")  # fmt: skip
        bench.add(Figure("open a patient (median)", median, "ms", "<= 100 ms", median <= 100))
    app = FollowupApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        shown = await sign_in(app, pilot, "bench-md")
        bench.add(Figure("review queue first page after sign-in", shown * 1000, "ms",
                         "<= 300 ms", shown <= 0.3))  # fmt: skip


def pip_install(bench: Bench) -> None:
    """``pip install -e .`` into a new venv (dependencies from pip's cache, as on a second
    machine); nothing may be compiled."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "venv", f"{tmp}/venv"], check=True)
        started = time.perf_counter()
        done = subprocess.run(
            [f"{tmp}/venv/bin/pip", "install", "-q", "-e", str(ROOT)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        took = time.perf_counter() - started
    compiled = sorted(str(p) for p in (ROOT / "src").rglob("*.so"))
    if done.returncode != 0:
        raise SystemExit(f"pip install -e . failed:\n{done.stderr}")
    bench.add(Figure("pip install -e . (fresh venv)", took, "s", "about 20 s, nothing compiled",
                     took <= 30 and not compiled))  # fmt: skip


def _evaluated_as_of(settings: Settings) -> date | None:
    """The day the database's stored flags were last evaluated as of (None: never)."""
    ctx = open_context(settings)
    try:
        return evaluated_as_of(ctx)
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    """Run every path and print the figures with their floors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path, help="SQLite database file")
    parser.add_argument("--cohort", type=Path, help="import these CSVs into a new --db first")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--saves", type=int, default=50, help="assessments to save")
    parser.add_argument("--pip", action="store_true", help="also time pip install -e .")
    parser.add_argument(
        "--skip-cli", action="store_true", help="leave out the command-line paths (--db only)"
    )
    args = parser.parse_args(argv)
    db = args.db.resolve()
    settings = Settings(database_url=f"sqlite:///{db}")
    bench = Bench(db)
    if args.cohort:
        import_cohort(bench, args.cohort, settings)
    elif not db.exists():
        parser.error(f"{db} does not exist; give --cohort to import one")
    elif not args.skip_cli and (stored := _evaluated_as_of(settings)) and stored > args.as_of:
        # The command line refuses to evaluate a day before the stored one (it would clear the
        # flags raised since): a database a run already took a week on needs a later --as-of.
        parser.error(f"{db} was evaluated as of {stored}: give --as-of {stored} or later")
    floor_seconds(db)  # read once untimed: a file just written is read from disk the first time
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "followup"), "--version"], check=True,
                   capture_output=True)  # fmt: skip
    print(f"followup --version (interpreter start and imports): "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    print(f"floor: {FLOOR_SQL}\n  {floor_seconds(db):.2f} s", flush=True)
    if not args.skip_cli:
        command_line_paths(bench, args.as_of, fresh_import=args.cohort is not None)

    week_later = datetime.combine(args.as_of + timedelta(days=8), day_time(12), tzinfo=UTC)
    ctx = open_context(replace(settings, clock=lambda: week_later))
    try:
        for name, role in (("bench", "coordinator"), ("bench-md", "clinician")):
            if not user_exists(ctx, name):
                add_user(ctx, name, PASSWORD, role, "bench")
        save_paths(bench, ctx, args.saves)
        with sqlite3.connect(db) as con:
            ids = [r[0] for r in con.execute("SELECT id FROM patient ORDER BY id")]
        patients = ids[:: max(1, len(ids) // 10)][:10]
        asyncio.run(ui_paths(bench, ctx, patients))
    finally:
        ctx.close()
    if args.pip:
        pip_install(bench)

    print("\nSUMMARY")
    for figure in bench.figures:
        print("  " + figure.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
