"""End-to-end: ``followup outcomes`` as a clinic calls it, on the demo: the table, JSON, the HTML
report (0600), a selection with a grouping, and bad input refused with exit 2 and a message."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from .test_cli import run


@pytest.fixture
def db(demo_db: str, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_db, copy)
    return str(copy)


def test_table_in_the_terminal(db: str) -> None:
    result = run("outcomes", "--by", "kl_grade", db=db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Outcomes by Kellgren-Lawrence grade — as of ")
    for heading in ("== KL 1:", "== KL 4:", "== All knees:"):
        assert heading in out
    assert "responders by  6 months:" in out and "log-rank test between the groups" in out
    assert "still holding at 24 months" in out and "Wilson" in out


def test_json(db: str) -> None:
    result = run("outcomes", "--json", "--as-of", "2026-06-30", "--by", "route", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-06-30" and data["by"] == "route"
    assert data["overall"]["counted"] > 0
    assert {g["key"] for g in data["groups"]} <= {"intra_articular", "iv"}


def test_html_report_is_written_private(db: str, tmp_path: Path) -> None:
    path = tmp_path / "outcomes.html"
    result = run("outcomes", "--by", "smoker", "--out", str(path), db=db)
    assert result.returncode == 0, result.stderr
    assert f"written to {path}" in result.stdout
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    html = path.read_text(encoding="utf-8")
    assert "<svg" in html and "Non-smoker" in html


def test_the_clinic_question(db: str) -> None:
    # "For KL 2-3 knees treated with cultured adipose cells, how long does relief last, and is
    # it shorter for smokers?"
    result = run(
        "outcomes", "--product", "adsc_cultured", "--kl-grade", "2-3", "--by", "smoker", "--json",
        db=db,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["only"] == {"kl_grade": ["2", "3"], "product": ["adsc_cultured"]}
    assert [g["label"] for g in data["groups"]] == ["Non-smoker", "Smoker"]
    assert data["log_rank"]["df"] == 1 and 0 <= data["log_rank"]["p_value"] <= 1
    assert "fewer than 10 confirmed wear-offs" in data["log_rank_note"]
    for g in data["groups"]:
        assert g["durability"]["responders"] > 0
        assert len(g["durability"]["survival_at"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "colour"), "invalid choice"),
        (("--kl-grade", "5"), "--kl-grade '5'"),
        (("--kl-grade", "3-2"), "--kl-grade '3-2'"),
        (("--product", "snake_oil"), "choose from adsc_cultured"),
        (("--as-of", "2026-02-30"), "is not a date"),
    ],
)
def test_bad_input_is_refused(db: str, args: tuple[str, ...], message: str) -> None:
    result = run("outcomes", *args, db=db)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unwritable_file_is_reported(db: str, tmp_path: Path) -> None:
    result = run("outcomes", "--out", str(tmp_path / "missing" / "o.html"), db=db)
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_site_is_refused_naming_the_sites(demo_db: str) -> None:
    # A mistyped site reported no episodes, as if the site had treated none.
    result = run("outcomes", "--site", "main,mian", db=demo_db)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "followup: --site: no site 'mian'; the sites are: main, north\n"
    known = run("outcomes", "--site", "north", "--json", db=demo_db)
    assert known.returncode == 0, known.stderr
    assert json.loads(known.stdout)["overall"]["counted"] > 0
