"""Every day and number typed on the command line is plain (issue 16): a day is YYYY-MM-DD in
ASCII digits (``date.fromisoformat`` also takes ``20261121`` and week dates), a number is ASCII
digits (``int`` also takes "１２" and "1_2"), and the refusal names the option or field."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the module: every command here is refused before it writes."""
    path = str(tmp_path_factory.mktemp("typed") / "clinic.db")
    created = run("init", db=path)
    assert created.returncode == 0, created.stderr
    return path


DAY_OPTIONS = [
    (("due", "--as-of", "20261121"), "--as-of '20261121' is not a date like 2026-11-21"),
    (("flags", "--as-of", "2026-W47-6"), "--as-of '2026-W47-6' is not a date like 2026-11-21"),
    (("outcomes", "--as-of", "２０２６-11-21"), "is not a date like 2026-11-21"),
    (("review", "--as-of", "20261121"), "--as-of '20261121' is not a date like 2026-11-21"),
    (
        ("decide", "1", "--decision", "booster_scheduled", "--until", "20261224", "--note", "x"),
        "--until '20261224' is not a date like 2026-11-21",
    ),
    (
        ("treatment", "add", "P1", "--knee", "left", "--date", "20261121", "--product", "prp"),
        "--date '20261121' is not a date like 2026-11-21",
    ),
]
NUMBER_OPTIONS = [
    (("due", "--days", "１２"), "argument --days: is not a whole number (digits 0-9)"),
    (("due", "--days", "1_2"), "argument --days: is not a whole number (digits 0-9)"),
    (("due", "--days", "99999999999"), "--days must be 0 or more, at most 3650"),
    (("review", "--max-flags", "6_0"), "argument --max-flags: is not a whole number"),
    (
        ("review", "--max-flags", "99999999999999999999999"),
        "--max-flags must be 0 or more, at most 100000",
    ),
    (("serve", "--port", "８０００"), "argument --port: is not a whole number (digits 0-9)"),
]


@pytest.mark.parametrize(("args", "message"), DAY_OPTIONS + NUMBER_OPTIONS)
def test_a_day_or_number_not_plainly_written_is_a_usage_error(
    db: str, args: tuple[str, ...], message: str
) -> None:
    done = run(*args, db=db)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM treatment").fetchone()
    assert rows == (0,)


@pytest.mark.parametrize("born", ["19560302", "1956-W09-5", "１９５６-03-02"])
def test_a_birth_date_not_plainly_written_is_refused_without_repeating_it(
    db: str, born: str
) -> None:
    done = run("patient", "add", "P1", "--name", "Ada Example", "--birth-date", born, db=db)
    assert done.returncode == 1
    assert "birth date: is not a date like 1956-03-02" in done.stderr
    assert born not in done.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM patient").fetchone() == (0,)


@pytest.mark.parametrize("value", ["１０", "1_0", "٣"])
def test_a_setting_is_a_whole_number_in_ascii_digits(db: str, value: str) -> None:
    done = run("due", db=db, env={"FOLLOWUP_IDLE_LOCK_MINUTES": value})
    assert done.returncode == 1
    assert "FOLLOWUP_IDLE_LOCK_MINUTES must be a whole number" in done.stderr


# A year typed wrong (9999 for 2026, 0001): once ``internal error (OverflowError)``, as the
# rules counted days past the calendar's end.
FAR_DAYS = [
    (("due", "--as-of", "9999-12-31"), "--as-of 9999-12-31"),
    (("flags", "--as-of", "9999-12-31"), "--as-of 9999-12-31"),
    (("review", "--as-of", "9999-12-25"), "--as-of 9999-12-25"),
    (("outcomes", "--as-of", "0001-01-01"), "--as-of 0001-01-01"),
    (
        ("decide", "1", "--decision", "booster_scheduled", "--until", "9999-12-31", "--note", "x"),
        "--until 9999-12-31",
    ),
]


@pytest.mark.parametrize(("args", "named"), FAR_DAYS)
def test_a_day_outside_the_years_followup_keeps_is_a_usage_error(
    demo_db: str, args: tuple[str, ...], named: str
) -> None:
    done = run("--user", "doctor", *args, db=demo_db, stdin="doctor\n")
    assert done.returncode == 2, done.stderr
    assert f"{named} is outside the years 1900-2999" in done.stderr
    assert "internal error" not in done.stderr


def test_a_booster_day_years_ahead_is_refused(demo_db: str) -> None:
    """A year typed wrong would hold the flag closed for years; at most a year is taken."""
    done = run(
        "--user", "doctor", "decide", "1", "--decision", "booster_scheduled",
        "--until", "2990-01-01", "--note", "booked", db=demo_db, stdin="doctor\n",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "the booster day 2990-01-01 is more than a year after today" in done.stderr
    assert "flag 1:" not in done.stdout


def test_a_flag_number_too_large_to_be_one_is_a_usage_error(demo_db: str) -> None:
    """Once ``internal error (OverflowError)``: SQLite holds no integer that large."""
    huge = "9" * 30
    done = run(
        "--user", "doctor", "decide", f"#{huge}", "--decision", "refer", "--note", "x",
        db=demo_db, stdin="doctor\n",
    )  # fmt: skip
    assert done.returncode == 2
    assert f"'#{huge}' is not a flag number like #9 or 9" in done.stderr


def test_a_very_long_value_is_named_by_its_start_and_length(db: str) -> None:
    done = run("due", "--as-of", "x" * 100_000, db=db)
    assert done.returncode == 2
    assert "--as-of 'xxxxxxxxxxxxxxxxxxxx'... (100000 characters) is not a date" in done.stderr
    assert len(done.stderr) < 200


EMPTY_VALUES = [
    (("--db", "", "due"), "argument --db: is empty"),
    (("due", "--format", "html", "--out", ""), "argument --out: is empty"),
    (("review", "--out", ""), "argument --out: is empty"),
    (("outcomes", "--out", ""), "argument --out: is empty"),
    (("export", "patients", "--out", ""), "argument --out: is empty"),
    (("export", "assessments", "--format", "redcap", "--out", ""), "argument --out: is empty"),
    (("import", "patients", ""), "argument FILE.csv: is empty"),
    (("backup", ""), "argument FILE: is empty"),
    (("outcomes", "--product", ""), "--product '': choose from"),
    (("outcomes", "--site", ""), "--site: give one or more IDs"),
    (("outcomes", "--kl-grade", ""), "--kl-grade '': give grades 1-4"),
]


@pytest.mark.parametrize(("args", "message"), EMPTY_VALUES)
def test_an_empty_value_is_a_usage_error_not_a_default(
    db: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """An empty ``--out`` once wrote nothing and said ``cannot write .: Device or resource
    busy`` (or printed to the screen instead), an empty ``--db`` opened the default database,
    an empty filter analysed every episode: a variable left unset in a script."""
    done = run(*args, cwd=tmp_path) if args[0] == "--db" else run(*args, db=db, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM review_packet").fetchone() == (0,)
