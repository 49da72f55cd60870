"""Import benchmark: followup's validated assessment import against the floor of raw sqlite3
executemany of the same rows into the same schema, in the same run (machines here are noisy, so
the ratio is the figure that matters).

    python bench/bench_import.py [--rows 200000] [--patients 20000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import open_context
from followup.services.importing import import_file
from followup.settings import Settings


def write_inputs(folder: Path, patients: int, rows: int, seed: int = 7) -> tuple[Path, Path]:
    rng = random.Random(seed)
    p_path, a_path = folder / "patients.csv", folder / "assessments.csv"
    with open(p_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient_id", "name", "birth_date", "timezone"])
        for i in range(patients):
            w.writerow([f"B{i:06d}", f"Bench Patient {i}", "1958-04-01", "America/Chicago"])
    start = date(2020, 1, 1)
    with open(a_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "pain_nrs", "global"]
        )
        for i in range(rows):
            w.writerow(
                [
                    f"B{i % patients:06d}",
                    "left" if (i // patients) % 2 else "right",
                    (start + timedelta(days=(i // patients) * 30 + i % 7)).isoformat(),
                    "phone",
                    *(rng.randint(0, 4) for _ in ITEM_KEYS),
                    rng.randint(0, 10),
                    rng.randint(0, 100),
                ]
            )
    return p_path, a_path


def floor_seconds(db: Path) -> float:
    """Raw sqlite3: read back the imported rows, empty the table, executemany them again."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys=ON")
    rows = con.execute("SELECT * FROM assessment").fetchall()
    con.execute("DELETE FROM assessment")
    con.commit()
    marks = ",".join("?" * len(rows[0]))
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.executemany(f"INSERT INTO assessment VALUES ({marks})", rows)
    con.commit()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p_path, a_path = write_inputs(folder, args.patients, args.rows)
        for attempt in range(args.repeat):
            db = folder / f"bench{attempt}.db"
            ctx = open_context(Settings(database_url=f"sqlite:///{db}"), create=True)
            import_file(ctx, "patients", p_path, "bench")
            started = time.perf_counter()
            result = import_file(ctx, "assessments", a_path, "bench")
            ours = time.perf_counter() - started
            ctx.close()
            floor = floor_seconds(db)
            results.append((ours, floor))
            print(
                f"run {attempt + 1}: followup import {result.count} rows in {ours:.2f} s "
                f"({result.count / ours:,.0f} rows/s); raw sqlite3 executemany {floor:.2f} s; "
                f"ratio {ours / floor:.2f}x",
                flush=True,
            )
    best_ours = min(r[0] for r in results)
    best_floor = min(r[1] for r in results)
    print(
        f"best: {args.rows / best_ours:,.0f} rows/s, {best_ours / best_floor:.2f}x the raw floor "
        "(target: >= 50,000 rows/s and within 4x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
