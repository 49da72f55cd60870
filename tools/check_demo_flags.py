"""Check a generated demo cohort against the product's own flag rules.

    python tools/check_demo_flags.py                 # the demo as make_demo_data.py writes it
    python tools/check_demo_flags.py --seed 7 --patients 400 --days -7 0 7

The cohort is generated into a scratch folder, loaded with the demo loader (which shifts every
date to "today") into a scratch SQLite database whose clock stands on the anchor day plus each
``--days`` offset, and evaluated by the product (``services.evaluate_flags``). Every patient's
open flags and current calls are then compared with its archetype (``EXPECTED_FLAG``, and
``OTHER_KNEE_FLAGS``): the archetype's flag, and nothing else, must be open on the index
treatment, and the patient's other knees may show only what the archetype allows there.
Nothing here re-implements a rule. Exit status 1 when a patient does not tell its archetype's
story.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from followup.services.call_list import due_list
from followup.services.context import open_context
from followup.services.demo import load_demo
from followup.services.review_queue import open_flags
from followup.settings import Settings

try:
    from tools.make_demo_data import ANCHOR, APP_USER_SHARE, PATIENTS, SEED
    from tools.synthetic import (
        CONFIRM_CALL,
        EXPECTED_FLAG,
        OTHER_KNEE_FLAGS,
        generate_cohort,
        write_csvs,
    )
except ImportError:  # run as a script: tools/ is on sys.path
    from make_demo_data import ANCHOR, APP_USER_SHARE, PATIENTS, SEED
    from synthetic import CONFIRM_CALL, EXPECTED_FLAG, OTHER_KNEE_FLAGS, generate_cohort, write_csvs


def problems_on(folder: Path, manifest: list[dict[str, str]], offset: int) -> list[str]:
    """What does not match the archetypes when the demo is loaded ``offset`` days after its
    anchor day (the loader shifts every date by the offset, so on the anchor day it is 0)."""
    now = datetime.combine(ANCHOR + timedelta(days=offset), time(15), UTC)
    with tempfile.TemporaryDirectory() as db_dir:
        settings = Settings(database_url=f"sqlite:///{db_dir}/demo.db", clock=lambda: now)  # type: ignore[arg-type]
        ctx = open_context(settings, create=True)
        try:
            os.environ["FOLLOWUP_SAMPLE_DATA"] = str(folder)
            load_demo(ctx, "check")
            flags = open_flags(ctx)
            calls = due_list(ctx, days=30)
            week = {(c.patient_id, c.knee) for c in due_list(ctx, days=7) if c.status == "due"}
        finally:
            ctx.close()
    by_patient: dict[str, list[tuple[str, str]]] = {}
    for f in flags:
        by_patient.setdefault(f.patient_id, []).append((f.treatment_id, f.kind))
    confirm = {(c.patient_id, c.knee) for c in calls if c.timepoint == "confirm"}
    problems = []
    kinds = Counter(f.kind for f in flags)
    print(f"day {offset:+d}: {len(flags)} open flags: {dict(sorted(kinds.items()))}")
    if len(kinds) < 5:
        problems.append(f"day {offset:+d}: only {len(kinds)} kinds of flag open")
    for row in manifest:
        pid, arch, tid = row["patient_id"], row["archetype"], row["index_treatment_id"]
        expected, other = EXPECTED_FLAG[arch], OTHER_KNEE_FLAGS.get(arch, set())
        mine = by_patient.get(pid, [])
        on_index = {k for t, k in mine if t == tid}
        stray = sorted({(t, k) for t, k in mine if k not in ({expected} if t == tid else other)})
        key = (pid, row["index_knee"])
        where = f"day {offset:+d} {pid} {arch}"
        if expected == "due":
            if key not in week:
                problems.append(f"{where}: not on this week's call list")
        elif expected and expected not in on_index:
            problems.append(f"{where}: no {expected} (open: {sorted(on_index)})")
        if arch in CONFIRM_CALL and key not in confirm:
            problems.append(f"{where}: its current call is not a confirmation call")
        if stray:
            problems.append(f"{where}: also {stray}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Generate, load on each day asked for, compare; print what does not match."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--days", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    cohort = generate_cohort(args.patients, ANCHOR, args.seed, app_user_share=APP_USER_SHARE)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as out:
        folder = Path(out)
        write_csvs(cohort, folder, folder / "manifest.csv")
        (folder / "demo.toml").write_text(f"anchor_date = {ANCHOR.isoformat()}\n")
        with (folder / "manifest.csv").open(encoding="utf-8") as fh:
            manifest = list(csv.DictReader(fh))
        for offset in args.days:
            problems += problems_on(folder, manifest, offset)
    for p in problems:
        print(p)
    counts = Counter(r["archetype"] for r in manifest)
    print(f"{len(manifest)} patients, {len(counts)} archetypes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
