"""Summing up what the writers of ``bench/concurrent_writers.py`` sent back: per action count,
p50, p99 and max in ms, errors by exception type, actions over 1 s, the import's figures, the
actions that overlapped its write transaction, and the verdict of issue 16. Only type names and
figures are printed, never a message (it could name a patient)."""

from __future__ import annotations

import math
import os
from collections import Counter

ROLES = ("phone", "kiosk", "call", "code", "decide", "guess")
VERDICT_ROLES = ("code", "decide")
TARGET_MS = 1000.0


def _pct(ms: list[float], q: float) -> float | None:
    return ms[max(0, math.ceil(q * len(ms)) - 1)] if ms else None


def _stats(samples: list[tuple]) -> dict:
    ok = sorted(ms for _s, ms, err in samples if not err)
    errors = Counter(err for _s, _ms, err in samples if err)
    return {"count": len(samples), "ok": len(ok), "errors": dict(errors),
            "p50": _pct(ok, 0.5), "p99": _pct(ok, 0.99), "max": max(ok) if ok else None,
            "over_1s": sum(1 for _s, ms, _e in samples if ms > 1000)}  # fmt: skip


def summarise(name: str, outs: list[dict], dead: list[str], t0: float) -> dict:
    """Per-action figures, the import's, and the actions that ran during its write."""
    by_role: dict[str, list[tuple]] = {}
    notes = [f"{o['role']}#{o['index']}: {o['note']}" for o in outs if o.get("note")]
    notes += [f"{o['role']}#{o['index']} failed: {o['fatal']}" for o in outs if o.get("fatal")]
    for o in outs:
        if o["role"] != "import":
            by_role.setdefault(o["role"], []).extend(o["samples"])
    everything = [s for samples in by_role.values() for s in samples]
    summary = {"scenario": name, "actions": {r: _stats(s) for r, s in by_role.items()},
               "all": _stats(everything), "dead": dead, "notes": notes}  # fmt: skip
    span = [s[0] + s[1] / 1000 for s in everything]
    summary["seconds"] = round(max(span) - t0, 1) if span else 0
    marks = next((o["import"] for o in outs if "import" in o), None)
    if marks:
        imp = next(o for o in outs if o["role"] == "import")
        error = imp["samples"][0][2] if imp["samples"] else "did not run"
        total = marks["end"] - marks["start"]
        summary["import"] = {
            "error": error, "rows": marks.get("rows"), "seconds": round(total, 2),
            "rows_per_s": round(marks["rows"] / total) if marks.get("rows") else None,
            "started_at_s": round(marks["start"] - t0, 1),
            "lock_wait_s": _gap(marks, "enter", "begun"),
            "write_transaction_s": _gap(marks, "begun", "committed"),
            "audit_append_to_commit_s": _gap(marks, "append", "committed"),
            "rechecked_under_lock": marks.get("rechecked"),
        }  # fmt: skip
        if "begun" in marks and "committed" in marks:
            begun, committed = marks["begun"], marks["committed"]
            during = [s for s in everything if s[0] < committed and s[0] + s[1] / 1000 > begun]
            summary["during_import_write"] = _stats(during)
    return summary


def _gap(marks: dict, a: str, b: str) -> float | None:
    return round(marks[b] - marks[a], 2) if a in marks and b in marks else None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_summary(db: str, s: dict) -> None:
    """The table of one database and scenario, and its verdict."""
    print(f"\n{db} / {s['scenario']} ({s['seconds']} s)")
    print(f"  {'action':<9}{'count':>7}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'>1 s':>6}  errors")  # fmt: skip
    rows = [*((r, s["actions"][r]) for r in ROLES if r in s["actions"]), ("all", s["all"])]
    if "during_import_write" in s:
        rows.append(("in-import", s["during_import_write"]))
    for role, st in rows:
        errors = ", ".join(f"{k}: {n}" for k, n in sorted(st["errors"].items())) or "-"
        rate = st["count"] / s["seconds"] if s["seconds"] else 0
        print(f"  {role:<9}{st['count']:>7}{rate:>8.1f}{_ms(st['p50']):>9}{_ms(st['p99']):>9}"
              f"{_ms(st['max']):>9}{st['over_1s']:>6}  {errors}")  # fmt: skip
    if "during_import_write" in s:
        print("  (in-import: every action that overlapped the import's write transaction)")
    if imp := s.get("import"):
        result = f"FAILED ({imp['error']})" if imp["error"] else f"{imp['rows']:,} rows"
        print(f"  import: {result} in {imp['seconds']} s ({imp['rows_per_s'] or 0:,} rows/s), "
              f"started {imp['started_at_s']} s in; waited {imp['lock_wait_s']} s for the write "
              f"lock, write transaction {imp['write_transaction_s']} s (re-checked under it: "
              f"{imp['rechecked_under_lock']}), audit append to commit "
              f"{imp['audit_append_to_commit_s']} s")  # fmt: skip
    for line in s["notes"]:
        print(f"  note: {line}")
    before, after = s.get("load_average", ("?", "?"))
    print(f"  load average (1 min) before/after: {before} / {after} on {os.cpu_count()} cores")
    for line in s["dead"]:
        print(f"  DIED without a report: {line}")
    print(f"  actions over 1 s: {s['all']['over_1s']} of {s['all']['count']}")
    p99 = {r: s["actions"].get(r, {}).get("p99") for r in VERDICT_ROLES}
    shown = ", ".join(f"{r} {_ms(v)} ms" for r, v in p99.items())
    ok = all(v is not None and v < 1000 for v in p99.values())
    print(f"  verdict: p99 of issuing a code and of a decision ({shown}): "
          f"{'under 1 s' if ok else 'NOT under 1 s (or not measured)'}; "
          f"no action over 1 s: {'yes' if s['all']['over_1s'] == 0 else 'NO'}")  # fmt: skip
