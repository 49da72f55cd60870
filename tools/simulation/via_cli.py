"""The same patients through the real command line: their files in the product's CSV formats
(README, "CSV formats"), ``followup import`` into a new SQLite database, and ``followup flags
--as-of DAY --json`` on a series of days, each compared with the rules run in this process on
the same patients (every open flag's episode, kind and raised-on day).

This proves the simulation measures what the product would show a clinic: the files import
cleanly, the database's episodes are the ones built here, and the stored, incrementally
refreshed flags agree with ``evaluate_episode``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from followup.domain.flags import evaluate_episode
from followup.domain.instrument import ITEM_KEYS
from followup.domain.rules import RuleSet

from .history import History

FlagKey = tuple[str, str, str]  # treatment id, kind, raised on (ISO)


def followup_command() -> list[str]:
    """The installed ``followup`` beside this Python, or ``python -m followup``."""
    exe = Path(sys.executable).with_name("followup")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "followup"]


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def write_csvs(histories: Sequence[History], folder: Path) -> list[tuple[str, Path]]:
    """patients.csv, treatments.csv and assessments.csv for ``histories``: (kind, path) in
    the order they are imported."""
    patients = folder / "patients.csv"
    _write(
        patients,
        ("patient_id", "name", "birth_date", "smoker"),
        ((h.patient_id, f"Simulated {h.patient_id}", "1958-06-15", "no") for h in histories),
    )
    treatments = folder / "treatments.csv"
    _write(
        treatments,
        (
            "treatment_id",
            "patient_id",
            "knee",
            "treated_on",
            "product",
            "kl_grade",
            "booster_of",
            "banked_doses",
        ),
        (
            (t.id, t.patient_id, t.knee, t.treated_on.isoformat(), t.product, t.kl_grade)
            + (t.booster_of, t.banked_doses)
            for h in histories
            for t in h.treatments
        ),
    )
    assessments = folder / "assessments.csv"
    knee = {h.patient_id: h.treatments[0].knee for h in histories}
    _write(
        assessments,
        ("patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "global"),
        (
            (h.patient_id, knee[h.patient_id], r.on.isoformat(), "phone", *r.answers)
            + (r.patient_global,)
            for h in histories
            for r in h.readings
        ),
    )
    return [("patients", patients), ("treatments", treatments), ("assessments", assessments)]


def check_days(histories: Sequence[History], step: int) -> list[date]:
    """Every ``step`` days from the first treatment to the last horizon, and that horizon."""
    first = min(h.treated_on for h in histories)
    last = max(h.end for h in histories)
    days = [first + timedelta(days=i) for i in range(0, (last - first).days, step)]
    return [*days, last]


def expected_flags(histories: Sequence[History], day: date, rules: RuleSet) -> set[FlagKey]:
    """The open flags the rules give in this process on ``day``."""
    found = set()
    for h in histories:
        for ep in h.episodes(rules):
            for f in evaluate_episode(ep, day, rules):
                found.add((ep.treatment.id, f.kind, f.raised_on.isoformat()))
    return found


class CommandLine:
    """Runs ``followup`` on one database, with the simulation's rule file when it has one."""

    def __init__(self, db: Path, rules_file: Path | None) -> None:
        self.db = db
        self.env = {k: v for k, v in os.environ.items() if k != "FOLLOWUP_DATABASE_URL"}
        if rules_file is not None:
            self.env["FOLLOWUP_RULES"] = str(rules_file)

    def run(self, *args: str) -> str:
        """Standard output of the command; SystemExit with its message when it fails."""
        cmd = [*followup_command(), "--db", str(self.db), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"followup {' '.join(args)} failed:\n{done.stderr}{done.stdout}")
        return done.stdout

    def open_flags(self, day: date) -> set[FlagKey]:
        """The open flags ``followup flags --as-of DAY --json`` lists."""
        listed = json.loads(self.run("flags", "--as-of", day.isoformat(), "--json"))
        return {(f["treatment_id"], f["kind"], f["raised_on"]) for f in listed}


def compare_via_cli(
    histories: Sequence[History],
    rules: RuleSet,
    rules_file: Path | None,
    step: int,
    say=print,
) -> int:
    """Import ``histories`` with the command line and compare its flags with this process's on
    days ``step`` apart; prints each disagreement and returns how many days disagreed."""
    with tempfile.TemporaryDirectory(prefix="followup-sim-") as tmp:
        folder = Path(tmp)
        cli = CommandLine(folder / "simulated.db", rules_file)
        cli.run("init")  # only init (or demo) creates a database
        for kind, path in write_csvs(histories, folder):
            say(f"  {cli.run('import', kind, str(path)).strip()}")
        days = check_days(histories, step)
        bad, flags_seen = 0, 0
        for day in days:
            got, want = cli.open_flags(day), expected_flags(histories, day, rules)
            flags_seen += len(want)
            if got != want:
                bad += 1
                say(f"  {day}: command line only {sorted(got - want)}")
                say(f"  {day}: this process only {sorted(want - got)}")
        say(
            f"  {len(days)} days compared ({days[0]} to {days[-1]}, every {step} days), "
            f"{flags_seen} open flags in all: "
            + ("all agree" if not bad else f"{bad} day(s) disagree")
        )
        return bad
