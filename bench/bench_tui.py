"""Staff UI timings on a real database, driven through Textual's Pilot (headless):

- worklist: from pressing Enter on the password to the worklist table filled; once as if
  signing in took no time ("nothing prepared"), once with the call list prepared while the
  user typed (the app computes it as the sign-in screen opens);
- search: each keystroke in the find-patient box until its answer is on screen;
- open patient: from Enter on a search hit (or on a worklist row) to the patient screen filled;
- review queue (with --clinician): stored flags listed, and the whole-cohort re-evaluation.

    python tools/generate_cohort.py --patients 100000 --out bench/out/cohort100k
    followup --db bench/out/cohort100k.db import patients bench/out/cohort100k/patients.csv
    ... (treatments, assessments, contacts)
    python bench/bench_tui.py bench/out/cohort100k.db

Targets (staff UI issue): worklist < 2 s after sign-in, < 100 ms per search keystroke, < 200 ms
to open a patient. The benchmark signs in as --user; with --create-user it first creates that
coordinator account (and a clinician "<user>-md") in the database if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path

from followup.ui.staff.heap import tune_garbage_collector
from textual import events

from followup.services.context import Context, open_context
from followup.services.staff import add_user, user_exists
from followup.settings import Settings
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.find import FindPatientDialog
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.review_queue import ReviewQueueScreen
from followup.ui.staff.worklist import WorklistScreen

SIZE = (160, 50)
QUERIES = ("P00012", "p0456", "maria", "garc", "zzzz")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="SQLite database file")
    parser.add_argument("--user", default="bench", help="coordinator to sign in as")
    parser.add_argument("--password", default="bench-password")
    parser.add_argument("--create-user", action="store_true", help="create the accounts")
    parser.add_argument(
        "--today", type=date.fromisoformat, help="freeze the clock at noon UTC of this day"
    )
    parser.add_argument("--patients", type=int, default=10, help="patients to open")
    parser.add_argument("--clinician", action="store_true", help="also time the review queue")
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"{args.db} does not exist")
    return args


def context(args: argparse.Namespace) -> Context:
    settings = Settings(database_url=f"sqlite:///{args.db.resolve()}")
    if args.today is not None:
        frozen = datetime.combine(args.today, day_time(12), tzinfo=UTC)
        settings = Settings(database_url=settings.database_url, clock=lambda: frozen)
    return open_context(settings)


async def until(condition: Callable[[], bool], timeout: float = 120.0) -> float:
    """Seconds until ``condition`` holds: polled every millisecond at first, then every 20 ms
    (polling keeps taking the GIL from the worker being timed)."""
    started = time.perf_counter()
    while not condition():
        waited = time.perf_counter() - started
        if waited > timeout:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001 if waited < 0.3 else 0.02)
    return time.perf_counter() - started


def key(app: FollowupApp, name: str) -> None:
    """Send one key the way a terminal does (Pilot's press also waits for idle, which would be
    counted in the figures)."""
    character = name if len(name) == 1 else ("\r" if name == "enter" else None)
    assert app._driver is not None
    app._driver.send_message(events.Key(name, character))


def describe(label: str, values: list[float], target_ms: float) -> str:
    ms = sorted(v * 1000 for v in values)
    verdict = "ok" if ms[-1] < target_ms else "OVER"
    return (
        f"{label:<28} n={len(ms):<3} median {statistics.median(ms):7.1f} ms   "
        f"max {ms[-1]:7.1f} ms   target < {target_ms:.0f} ms: {verdict}"
    )


async def worklist_after_sign_in(app: FollowupApp, pilot, args, label: str) -> WorklistScreen:  # type: ignore[no-untyped-def]
    key(app, "enter")
    started = time.perf_counter()
    await until(lambda: isinstance(app.screen, WorklistScreen))
    screen = app.screen
    assert isinstance(screen, WorklistScreen)
    shown = await until(lambda: screen.items is not None and bool(screen.shown))
    total = time.perf_counter() - started
    print(
        f"{label:<28} {total * 1000:7.0f} ms "
        f"({len(screen.items or [])} calls; shown after the sign-in check: "
        f"{shown * 1000:.0f} ms)   target < 2000 ms: {'ok' if total < 2 else 'OVER'}"
    )
    return screen


class NothingPrepared(FollowupApp):
    """The app as if the call list were not computed during sign-in (an instant sign-in)."""

    CSS_PATH = str(Path(sys.modules[FollowupApp.__module__].__file__).parent / "staff.tcss")  # type: ignore[arg-type]

    def prefetch_calls(self) -> None:
        pass


async def bench(args: argparse.Namespace, ctx: Context) -> None:
    cold = NothingPrepared(ctx)
    async with cold.run_test(size=SIZE) as pilot:
        await pilot.press(*args.user, "enter", *args.password)
        await worklist_after_sign_in(cold, pilot, args, "worklist, nothing prepared")
    app = FollowupApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*args.user, "enter", *args.password)
        # A person types for longer than the list takes: wait until it is prepared.
        preparing = [w for w in app.workers if w.group == "prefetch-calls"]
        await until(lambda: all(w.is_finished for w in preparing))
        screen = await worklist_after_sign_in(app, pilot, args, "worklist, list prepared")
        patients = [i.patient_id for i in (screen.items or [])][
            :: max(1, len(screen.items or []) // args.patients)
        ][: args.patients]

        strokes: list[float] = []
        by_query: dict[str, list[float]] = {}
        opened: list[float] = []
        for query in QUERIES:
            await pilot.press("ctrl+f")
            dialog = app.screen
            assert isinstance(dialog, FindPatientDialog)
            for n in range(1, len(query) + 1):
                typed = query[:n]
                key(app, query[n - 1])
                took = await until(lambda d=dialog, typed=typed: d.shown_query == typed)
                strokes.append(took)
                by_query.setdefault(query, []).append(took)
            await pilot.press("escape")
        print(describe("search, per keystroke", strokes, 100))
        for query, times in by_query.items():
            print(f"    {query!r:10} " + " ".join(f"{t * 1000:.0f}" for t in times) + " ms")

        for patient_id in patients:
            await pilot.press("ctrl+f", *patient_id)
            dialog = app.screen
            assert isinstance(dialog, FindPatientDialog)
            await until(lambda dialog=dialog, p=patient_id: dialog.shown_query == p)
            key(app, "enter")
            started = time.perf_counter()
            await until(lambda: isinstance(app.screen, PatientScreen))
            patient = app.screen
            assert isinstance(patient, PatientScreen)
            await until(lambda patient=patient: patient.detail is not None)
            opened.append(time.perf_counter() - started)
            await pilot.press("escape")
            await pilot.pause()
        print(describe("open patient from search", opened, 200))
        print(
            "    "
            + " ".join(f"{t * 1000:.0f}" for t in opened)
            + " ms (the first builds the screen)"
        )

        from_list: list[float] = []
        table = screen.query_one("#worklist-table")
        for row in range(args.patients):
            table.move_cursor(row=row * 7)  # type: ignore[attr-defined]
            await pilot.pause()
            key(app, "enter")
            started = time.perf_counter()
            await until(
                lambda: isinstance(app.screen, PatientScreen) and app.screen.detail is not None
            )
            from_list.append(time.perf_counter() - started)
            await pilot.press("escape")
            await pilot.pause()
        print(describe("open patient from worklist", from_list, 200))
        print("    " + " ".join(f"{t * 1000:.0f}" for t in from_list) + " ms")

    if args.clinician:
        app = FollowupApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*f"{args.user}-md", "enter", *args.password)
            key(app, "enter")
            started = time.perf_counter()
            await until(lambda: isinstance(app.screen, ReviewQueueScreen))
            review = app.screen
            assert isinstance(review, ReviewQueueScreen)
            listed = await until(lambda: review.flags is not None, timeout=600)
            evaluated = await until(lambda: review.evaluated, timeout=600)
            print(
                f"{'review queue':<28} stored flags listed {listed * 1000:.0f} ms, "
                f"re-evaluated and listed {(time.perf_counter() - started):.1f} s "
                f"({len(review.flags or [])} open flags; evaluation done {evaluated:.1f} s "
                "after the first list)"
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ctx = context(args)
    if args.create_user:
        for name, role in ((args.user, "coordinator"), (f"{args.user}-md", "clinician")):
            if not user_exists(ctx, name):
                add_user(ctx, name, args.password, role, "bench")
    print(f"database {args.db} · today {ctx.today().isoformat()}")
    tune_garbage_collector()  # as followup.ui.staff.app.run does
    asyncio.run(bench(args, ctx))
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
