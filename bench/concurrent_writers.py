"""Clinic users saving at once: how long each save waits under N concurrent writers (issue 16).

    python bench/concurrent_writers.py                      # both databases, 16 writers, 30 s
    python bench/concurrent_writers.py --db sqlite --seconds 10 --patients 500 --import-rows 20000

For each database a clinic of ``--patients`` synthetic patients is made with
``tools/generate_cohort.py``, imported through the services and evaluated (SQLite in
``--out``; PostgreSQL in a throwaway ``followup_bench_<hex>`` database on the ``--pg-admin``
server, dropped at the end whatever happens). Then two scenarios run:

A. ``--writers`` processes (spawned: each a fresh interpreter with its own engine) start together
   at a barrier and repeat their action, back to back, until ``--seconds`` have passed. Roles are
   dealt round robin from ``--roles``: ``phone`` (a coordinator saves a phone assessment),
   ``kiosk`` (a patient's self-report), ``call`` (a call logged), ``code`` (a self-report code
   issued), ``decide`` (a review decision on an open flag: each decider has its own patients'
   flags, half of those open after setup in each scenario, and stops when they run out) and,
   only when asked for, ``guess`` (a wrong code typed at the kiosk, on patients given codes at
   setup: five lock a code, later ones are refused unchecked). Patients are drawn at random from
   the whole clinic, so two writers on one patient happen as often as chance makes them.
B. ``--writers - 1`` such writers and one process that imports ``--import-rows`` paper
   assessments (written at setup, all valid) with ``import_file``, starting 3 s after the
   barrier; the writers go on until the import has finished too. The importer times its own
   write transaction from outside ``src/`` (its ``write_session`` is wrapped): the wait for the
   write lock, how long the transaction lasted (on SQLite nobody else writes meanwhile), whether
   the rows were checked again under it, and from the audit chain's append to the commit (on
   PostgreSQL every writer queues there). The ``in-import`` row counts every user action that
   overlapped that transaction.

Only the service call is timed (``time.perf_counter``). The tables give count, p50, p99 and max
per action in ms (of those that succeeded), errors by exception type, actions over 1 s, and the
verdicts of issue 16: p99 of issuing a code and of a decision under 1 s; no action over 1 s.
A ``FollowupError`` on ``decide`` is a flag no longer open (a save on that knee closed it first):
an expected refusal. Patient data is never printed. This is a benchmark, not a test: it exits 0
unless a database could not be set up. Closed loop with no think time (``--think-ms`` adds some)
on a 2-core machine is far more load than 16 people make; the load average is printed because
the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import random
import shutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path

from writers_report import ROLES, print_summary, summarise
from writers_setup import (
    ROOT,
    build_clinic,
    deal_flags,
    generate_cohort,
    issue_codes,
    open_ctx,
    open_flags_by_patient,
    pg_database,
    read_clinic,
    write_import_file,
)

from followup.domain.instrument import ITEM_KEYS
from followup.services.decide import decide
from followup.services.importing import import_file
from followup.services.log_call import log_contact
from followup.services.patient_codes import CodeRefused, issue_code, verify_code
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.security import dummy_hash
from followup.services.self_report import submit_self_report

DEFAULT_ROLES = ("phone", "kiosk", "call", "code", "decide")
GUESS_PATIENTS = 40  # patients with a code, per guesser
WRONG_CODE = "ZZZZ-ZZZ2"
IMPORT_DELAY_S = 3.0
BARRIER_TIMEOUT_S = 300.0
OVERRUN_S = 900.0  # how long writers go on past --seconds waiting for the import to finish


def _answers(rng: random.Random) -> dict[str, int]:
    return {key: rng.randint(0, 3) for key in ITEM_KEYS}


def _actions(spec: dict, ctx):  # type: ignore[no-untyped-def]
    """The role's actions, one call (no arguments) at a time; a decider's run out."""

    def wrong_guess(patient_id: str) -> None:
        try:
            verify_code(ctx, patient_id, WRONG_CODE)
        except CodeRefused:
            return  # the expected outcome
        raise AssertionError("a wrong code was accepted")

    rng, role = random.Random(spec["seed"]), spec["role"]
    knees, patients = spec["knees"], spec["patients"]
    if role == "decide":
        for flag_id in spec["flags"]:
            yield partial(decide, ctx, flag_id, "continue_monitoring", "bench note",
                          f"reviewer{spec['index']}")  # fmt: skip
        return
    while True:
        if role == "phone":
            patient_id, knee = rng.choice(knees)
            entry = AssessmentEntry(patient_id, knee, ctx.today(), "phone", _answers(rng))
            yield partial(record_assessment, ctx, entry, "coordinator")
        elif role == "kiosk":
            patient_id, knee = rng.choice(knees)
            yield partial(submit_self_report, ctx, patient_id, knee, _answers(rng))
        elif role == "call":
            yield partial(log_contact, ctx, rng.choice(patients), "reached", "coordinator",
                          note="bench call")  # fmt: skip
        elif role == "code":
            yield partial(issue_code, ctx, rng.choice(patients), "coordinator")
        else:
            yield partial(wrong_guess, rng.choice(spec["guess_patients"]))


def _wrap_import(marks: dict[str, float]) -> None:
    """Time the importer's write transaction and the audit append (this process only)."""
    import followup.services.audit as audit
    import followup.services.importing as importing

    write_session, changed_since = importing.write_session, importing._changed_since
    append_events = audit.append_events
    recheck = importing.RECHECKS["assessments"]

    @contextmanager
    def timed_write_session(engine):  # type: ignore[no-untyped-def]
        marks["enter"] = time.perf_counter()
        with write_session(engine) as session:
            session.connection()  # BEGIN (IMMEDIATE on SQLite: waits for the write lock)
            marks["begun"] = time.perf_counter()
            yield session
        marks["committed"] = time.perf_counter()

    def timed_changed_since(*args):  # type: ignore[no-untyped-def]
        changed = changed_since(*args)
        # What was checked again under the lock: the whole file, some patients' rows, nothing.
        marks["rechecked"] = "whole file" if changed is None else f"{len(changed)} patients"
        return changed

    def timed_recheck(conn, batch, patients):  # type: ignore[no-untyped-def]
        passed = recheck(conn, batch, patients)
        if not passed:
            marks["rechecked"] = f"{len(patients)} patients, then the whole file"
        return passed

    def timed_append(*args):  # type: ignore[no-untyped-def]
        marks["append"] = time.perf_counter()
        return append_events(*args)

    importing.write_session, importing._changed_since = timed_write_session, timed_changed_since
    importing.RECHECKS["assessments"] = timed_recheck
    audit.append_events = timed_append


def worker(spec: dict, barrier, results, import_done) -> None:  # type: ignore[no-untyped-def]
    """One writer process: set up, meet the others at the barrier, act until the deadline (and,
    with an import running, until it is done), then send back every timing."""
    out: dict = {"index": spec["index"], "role": spec["role"], "samples": [], "note": ""}
    ctx = None
    try:
        ctx = open_ctx(spec["url"])
        _ = ctx.instrument, ctx.rules  # read once, before the clock starts
        if spec["role"] == "import":
            _run_import(spec, ctx, barrier, out, import_done)
        else:
            _run_writer(spec, ctx, barrier, out, import_done)
    except Exception as exc:  # noqa: BLE001 - reported by the parent, never a crash
        where = traceback.extract_tb(exc.__traceback__)[-1]
        out["fatal"] = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
        barrier.abort()
    finally:
        if ctx is not None:
            ctx.close()
        results.put(out)


def _run_writer(spec: dict, ctx, barrier, out: dict, import_done) -> None:  # type: ignore[no-untyped-def]
    if spec["role"] == "guess":
        dummy_hash()  # computed once per process, before the clock starts
    actions = _actions(spec, ctx)
    think = spec["think_ms"] / 1000
    rng = random.Random(spec["seed"] + 1)
    barrier.wait(timeout=BARRIER_TIMEOUT_S)
    deadline = time.perf_counter() + spec["seconds"]
    while True:
        now = time.perf_counter()
        waiting = import_done is not None and not import_done.is_set()
        if now >= deadline + OVERRUN_S or (now >= deadline and not waiting):
            break
        call = next(actions, None)
        if call is None:
            out["note"] = "ran out of open flags"
            break
        started = time.perf_counter()
        try:
            call()
            error = ""
        except Exception as exc:  # noqa: BLE001 - counted by type
            error = type(exc).__name__
        out["samples"].append((started, (time.perf_counter() - started) * 1000, error))
        if think:
            time.sleep(rng.uniform(0, 2 * think))


def _run_import(spec: dict, ctx, barrier, out: dict, import_done) -> None:  # type: ignore[no-untyped-def]
    marks: dict = {}
    _wrap_import(marks)
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT_S)
        time.sleep(IMPORT_DELAY_S)
        marks["start"] = time.perf_counter()
        try:
            marks["rows"] = import_file(ctx, "assessments", Path(spec["path"]), "bench").count
            error = "" if marks["rows"] == spec["rows"] else "WrongRowCount"
        except Exception as exc:  # noqa: BLE001 - counted by type
            error = type(exc).__name__
        marks["end"] = time.perf_counter()
        out["samples"].append((marks["start"], (marks["end"] - marks["start"]) * 1000, error))
        out["import"] = marks
    finally:
        import_done.set()


def run_scenario(url: str, name: str, args, clinic, guess_patients, flags, import_path):  # type: ignore[no-untyped-def]
    """Start the writers (and the importer), collect what they send back, summarise it."""
    spawn = mp.get_context("spawn")
    users = args.writers - (1 if import_path else 0)
    roles = [args.roles[i % len(args.roles)] for i in range(users)]
    slices = [[f for ids in share.values() for f in ids]
              for share in deal_flags(flags, max(1, roles.count("decide")), args.seed)]  # fmt: skip
    guessers = roles.count("guess")
    others = sorted(set(clinic.patients) - set(guess_patients))
    specs = []
    for i, role in enumerate(roles):
        specs.append({
            "url": url, "index": i, "role": role, "seed": args.seed * 1000 + i,
            "seconds": args.seconds, "think_ms": args.think_ms, "knees": clinic.knees,
            "patients": others,
            "flags": slices[roles[:i].count("decide")] if role == "decide" else [],
            "guess_patients": guess_patients[roles[:i].count("guess") :: max(1, guessers)],
        })  # fmt: skip
    if import_path:
        specs.append(
            {
                "url": url,
                "index": users,
                "role": "import",
                "path": str(import_path),
                "rows": args.import_rows,
            }
        )
    barrier = spawn.Barrier(len(specs) + 1)
    results = spawn.Queue()
    import_done = spawn.Event() if import_path else None
    procs = [spawn.Process(target=worker, args=(s, barrier, results, import_done), daemon=True)
             for s in specs]  # fmt: skip
    for proc in procs:
        proc.start()
    got: dict[int, dict] = {}
    load, finished = os.getloadavg()[0], False
    try:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - a worker failed to start: collect what there is
            print("  the writers did not all start (the barrier broke)", flush=True)
        t0 = time.perf_counter()
        while len(got) < len(procs):
            try:
                out = results.get(timeout=1)
                got[out["index"]] = out
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
        finished = True
    finally:  # interrupted: stop the writers at once; else give them a moment to exit
        for proc in procs:
            proc.join(timeout=10 if finished else 0)
            if proc.is_alive():
                proc.terminate()
    dead = [f"{s['role']}#{s['index']} (exit code {p.exitcode})"
            for s, p in zip(specs, procs, strict=True) if s["index"] not in got]  # fmt: skip
    summary = summarise(name, list(got.values()), dead, t0)
    summary["load_average"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    return summary


@contextmanager
def sqlite_database(folder: Path):  # type: ignore[no-untyped-def]
    """A new SQLite file in ``folder`` (an old one is removed first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (folder / f"bench.db{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{folder / 'bench.db'}"


def run_database(db: str, args, cohort: Path, import_path: Path | None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Set up one database and run both scenarios on it."""
    print(f"\n== {db}: setting up a clinic of {args.patients:,} patients", flush=True)
    place = sqlite_database(args.out / "sqlite") if db == "sqlite" else pg_database(args.pg_admin)
    summaries = []
    with place as url:
        ctx = open_ctx(url)
        build_clinic(ctx, cohort)
        clinic = read_clinic(cohort, ctx.today())
        guessers = sum(1 for i in range(args.writers) if args.roles[i % len(args.roles)] == "guess")
        guess_patients = random.Random(args.seed).sample(
            clinic.patients, min(len(clinic.patients) // 4, GUESS_PATIENTS * guessers)
        )
        issue_codes(ctx, guess_patients)
        scenarios = [(f"A: {args.writers} writers", None)]
        if import_path:
            scenarios.append((f"B: {args.writers - 1} writers + import", import_path))
        # Each scenario decides its own share of the flags open after setup.
        shares = deal_flags(open_flags_by_patient(ctx), len(scenarios), args.seed)
        ctx.engine.dispose()
        for (name, path), flags in zip(scenarios, shares, strict=True):
            print(f"\n  {name}: {sum(map(len, flags.values())):,} open flags to decide", flush=True)
            summary = run_scenario(url, name, args, clinic, guess_patients, flags, path)
            print_summary(db, summary)
            summaries.append({"db": db, **summary})
        ctx.close()
    return summaries


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--writers", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--patients", type=int, default=2000, help="size of the clinic")
    p.add_argument("--import-rows", type=int, default=150_000, help="0: no import scenario")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "writers")
    p.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    p.add_argument(
        "--roles",
        default=",".join(DEFAULT_ROLES),
        help=f"comma-separated, dealt round robin (of: {', '.join(ROLES)}; default %(default)s)",
    )
    p.add_argument("--think-ms", type=float, default=0.0, help="mean pause between actions")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, help="also write the raw summary here")
    args = p.parse_args(argv)
    args.roles = args.roles.split(",")
    if unknown := set(args.roles) - set(ROLES):
        p.error(f"unknown roles: {', '.join(sorted(unknown))} (known: {', '.join(ROLES)})")
    if args.writers < 2 or args.patients < 20:
        p.error("need at least 2 writers and 20 patients")
    return args


def main(argv: list[str] | None = None) -> int:
    """Set up, run the scenarios on each database asked for, print the tables."""
    args = parse_args(argv)
    # A kill (SIGTERM) unwinds like Ctrl-C, so the writers are stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    args.out = args.out.resolve()
    cohort = args.out / "cohort"
    shutil.rmtree(cohort, ignore_errors=True)
    generate_cohort(args.patients, cohort)
    import_path = None
    if args.import_rows:
        import_path = args.out / "import_assessments.csv"
        write_import_file(cohort, args.import_rows, import_path)
    summaries: list[dict] = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        try:
            summaries += run_database(db, args, cohort, import_path)
        except Exception as exc:  # noqa: BLE001 - the other database still runs
            print(f"\n{db}: could not run ({type(exc).__name__}); where:", flush=True)
            traceback.print_tb(exc.__traceback__)  # frames only: no message, no values
            summaries.append({"db": db, "failed": type(exc).__name__})
    with open(args.json, "w") if args.json else nullcontext() as fh:
        if fh:
            json.dump({"args": {k: str(v) for k, v in vars(args).items()},
                       "results": summaries}, fh, indent=2)  # fmt: skip
    return 1 if any("failed" in s for s in summaries) else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit("interrupted") from None
