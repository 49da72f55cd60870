"""Every day and number typed on the command line is plain (issue 16): a day is YYYY-MM-DD in
ASCII digits (``date.fromisoformat`` also takes ``20261121`` and week dates), a number is ASCII
digits (``int`` also takes "１２" and "1_2"), and the refusal names the option or field."""

from __future__ import annotations

import sqlite3

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
