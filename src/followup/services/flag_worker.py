"""A helper process for whole-cohort evaluation: ``python -m followup.services.flag_worker``
reads (database source, rules, as-of date, patient ID slices, claims directory) pickled on
standard input, evaluates the slices it claims (last first; the calling process goes first to
last, see ``cohort.SliceClaims``) and sends each slice's (index, flag rows, ranges) pickled on
standard output as soon as it is done, so the caller can write it while this goes on. Started
with ``-m`` so it never re-runs the caller's main script (as multiprocessing's spawn would). A
SQLite file is read with the sqlite3 module alone, so the helper imports only the rules and
starts at once."""

from __future__ import annotations

import gc
import os
import pickle
import sys


def main() -> int:
    from followup.services.cohort import SliceClaims, evaluate_claimed, send_results

    (kind, target), rules, as_of, slices, claims_dir = pickle.load(sys.stdin.buffer)
    order = range(len(slices) - 1, -1, -1)
    claims = SliceClaims(claims_dir)
    gc.disable()  # a million short-lived records: the cyclic GC would only rescan them
    if kind == "sqlite":
        import sqlite3

        con = sqlite3.connect(target, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA query_only = ON")
            con.execute("BEGIN")  # one snapshot for every query
            results = evaluate_claimed(con.execute, rules, as_of, slices, order, claims)
            send_results(results, sys.stdout.buffer)
        finally:
            con.close()
    else:
        from functools import partial

        from followup.store.bulk import driver_rows
        from followup.store.engine import make_engine

        engine = make_engine(target)
        try:
            with engine.connect() as conn:
                read = partial(driver_rows, conn)
                results = evaluate_claimed(read, rules, as_of, slices, order, claims)
                send_results(results, sys.stdout.buffer)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    code = main()
    # The answer is written: skip freeing a cohort-sized heap object by object, which the
    # caller would otherwise wait for before it gets the exit code.
    os._exit(code)
