"""A helper process for whole-cohort evaluation: ``python -m followup.services.flag_worker``
reads (database URL, rules, as-of date, patient ID range) pickled on standard input and writes
the findings of that range pickled on standard output. Started with ``-m`` so it never re-runs
the caller's main script (as multiprocessing's spawn would)."""

from __future__ import annotations

import gc
import pickle
import sys


def main() -> int:
    from followup.services.flags import evaluate_range
    from followup.store.engine import make_engine

    url, rules, as_of, patients = pickle.load(sys.stdin.buffer)
    gc.disable()  # a million short-lived records: the cyclic GC would only rescan them
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = evaluate_range(conn, rules, as_of, patients)
    finally:
        engine.dispose()
    pickle.dump(found, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
