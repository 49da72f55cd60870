"""Write a synthetic benchmark cohort (patients, treatments, assessments, contacts CSVs).

Example::

    python tools/generate_cohort.py --patients 100000 --out bench/out/cohort100k

Same archetype mix as the demo data; every person is invented. The archetype of each patient is
written to ``manifest.csv`` next to the four data files (bench/out/ is git-ignored).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

try:
    from tools.synthetic import DEFAULT_ANCHOR, generate_cohort, write_csvs
except ImportError:  # run as a script: tools/ is on sys.path
    from synthetic import DEFAULT_ANCHOR, generate_cohort, write_csvs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000, help="number of patients")
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        default=DEFAULT_ANCHOR,
        help="anchor date YYYY-MM-DD; nothing is dated after it (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Generate the cohort and print the row counts and the time taken."""
    args = parse_args(argv)
    started = time.perf_counter()
    counts = write_csvs(generate_cohort(args.patients, args.anchor, args.seed), args.out)
    elapsed = time.perf_counter() - started
    for name, count in counts.items():
        print(f"{name:16s} {count:>10,d} rows")
    print(f"written to {args.out} in {elapsed:.1f} s (anchor {args.anchor}, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
