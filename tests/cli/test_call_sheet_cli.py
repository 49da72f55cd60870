"""``followup due`` as a call sheet: ``--format html|csv|json``, ``--view``, ``--out`` and the
usage errors, end to end through the installed command."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from .test_cli import run


def _patients(items: list[dict[str, object]]) -> list[object]:
    """Patient IDs in order of each one's first (most urgent) knee."""
    return list(dict.fromkeys(i["patient_id"] for i in items))


def _without_clock(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """The knees without the patients' local time now (two runs can fall in two minutes)."""
    return [{k: v for k, v in item.items() if k != "patient_local_time"} for item in items]


def test_json_and_format_json_are_the_same_knees(demo_db: str) -> None:
    knees = json.loads(run("due", "--json", db=demo_db).stdout)
    again = json.loads(run("due", "--format", "json", db=demo_db).stdout)
    assert _without_clock(again) == _without_clock(knees)
    assert all(item["patient_local_time"] for item in again if item["timezone"])
    assert knees and {"patient_id", "knee", "timepoint", "status"} <= set(knees[0])


def test_csv_has_a_row_per_patient_with_both_knees(demo_db: str) -> None:
    knees = json.loads(run("due", "--view", "30", "--json", db=demo_db).stdout)
    result = run("due", "--view", "30", "--format", "csv", db=demo_db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["patient_id"] for r in rows] == _patients(knees)
    two = [r for r in rows if r["knees"] == "left and right"]
    assert two and all(r["left_follow_up"] and r["right_follow_up"] for r in two)


def test_html_to_a_private_file(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "calls.html"
    result = run("due", "--view", "today", "--format", "html", "--out", str(out), db=demo_db)
    assert result.returncode == 0, result.stderr
    assert f"written to {out}" in result.stdout and "call(s)" in result.stdout
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Call sheet · Today" in html
    assert "<script" not in html


def test_views_and_days(demo_db: str) -> None:
    overdue = json.loads(run("due", "--view", "overdue", "--json", db=demo_db).stdout)
    assert overdue and {i["status"] for i in overdue} == {"overdue"}
    week = json.loads(run("due", "--view", "week", "--json", db=demo_db).stdout)
    days = json.loads(run("due", "--days", "7", "--json", db=demo_db).stdout)

    def calls(items: list[dict]) -> list[dict]:  # the patients' clock moves between the runs
        return [{k: v for k, v in i.items() if "local" not in k} for i in items]

    assert calls(days) == calls(week)
    month = json.loads(run("due", "--view", "30", "--json", db=demo_db).stdout)
    assert len(overdue) < len(week) < len(month)
    text = run("due", "--view", "overdue", db=demo_db).stdout
    assert text.startswith(f"{len(overdue)} call(s) as of")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "3", "--view", "week", "--format", "csv", "--out", "{out}"), "not both"),
        (("--view", "month", "--format", "csv", "--out", "{out}"), "--view must be one of"),
        (("--json", "--format", "csv", "--out", "{out}"), "different formats"),
        (("--out", "{out}"), "--out needs a file format"),
        (("--format", "pdf", "--out", "{out}"), "invalid choice"),
        (("--days", "-1", "--format", "csv", "--out", "{out}"), "0 or more"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    demo_db: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "x.csv"
    result = run("due", *(a.format(out=out) for a in args), db=demo_db)
    assert result.returncode == 2 and message in result.stderr
    assert result.stdout == "" and not out.exists()


def test_a_file_that_cannot_be_written_is_an_error(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "calls.csv"
    result = run("due", "--format", "csv", "--out", str(out), db=demo_db)
    assert result.returncode == 1 and f"cannot write {out}" in result.stderr
    assert "Traceback" not in result.stderr
