"""End-to-end: the installed ``followup`` command, as scripts and clinics call it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from followup.domain.instrument import ITEM_KEYS

FOLLOWUP = str(Path(sys.executable).with_name("followup"))


def run(
    *args: str,
    db: str | None = None,
    stdin: str = "",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "FOLLOWUP_DATABASE_URL"}
    full_env.update(env or {})
    cmd = [FOLLOWUP, *(["--db", db] if db else []), *args]
    return subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, env=full_env, timeout=120, cwd=cwd
    )


@pytest.fixture
def new_db(tmp_path: Path) -> str:
    """A path where no database is yet."""
    return str(tmp_path / "clinic.db")


@pytest.fixture
def db(new_db: str) -> str:
    """A database created by `followup init`, no staff account yet."""
    created = run("init", db=new_db)
    assert created.returncode == 0, created.stderr
    return new_db


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PATIENTS = "patient_id,name,birth_date,timezone\nP1,Ada Example,1956-03-02,Asia/Tokyo\n"


def assessments(rows: list[str]) -> str:
    header = "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS)
    return "\n".join([header, *rows]) + "\n"


def test_usage_errors_exit_2(db: str) -> None:
    assert run("frobnicate", db=db).returncode == 2
    assert run("import", "people", "x.csv", db=db).returncode == 2
    assert run("due", "--as-of", "2026-02-30", db=db).returncode == 2


def test_init_creates_database_and_first_admin(new_db: str) -> None:
    db = new_db
    result = run("init", "--admin", "chief", db=db, stdin="long-password\nlong-password\n")
    assert result.returncode == 0, result.stderr
    assert "admin 'chief' created" in result.stdout
    assert oct(os.stat(db).st_mode & 0o777) == "0o600"
    again = run("init", db=db)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_user_add_refuses_mismatch_and_weak_passwords(db: str) -> None:
    mismatch = run(
        "user", "add", "nina", "--role", "coordinator", db=db, stdin="abcdefgh\nabcdefgX\n"
    )
    assert mismatch.returncode == 1 and "do not match" in mismatch.stderr
    weak = run("user", "add", "nina", "--role", "coordinator", db=db, stdin="abc\nabc\n")
    assert weak.returncode == 1 and "at least 8" in weak.stderr
    ok = run("user", "add", "nina", "--role", "coordinator", db=db, stdin="abcdefgh\nabcdefgh\n")
    assert ok.returncode == 0, ok.stderr
    con = sqlite3.connect(db)
    (stored,) = con.execute("SELECT password_hash FROM staff_user WHERE username='nina'").fetchone()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and "abcdefgh" not in stored


def test_bad_import_names_file_line_and_column_and_writes_nothing(db: str, tmp_path: Path) -> None:
    assert (
        run("import", "patients", write(tmp_path, "patients.csv", PATIENTS), db=db).returncode == 0
    )
    bad = assessments(["P1,left,2026-01-05,phone," + ",".join(["2"] * 23 + ["9"])])
    result = run("import", "assessments", write(tmp_path, "a.csv", bad), db=db)
    assert result.returncode == 1
    assert "a.csv, line 2, column f17: '9' is not an answer 0-4" in result.stderr
    assert "Traceback" not in result.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM assessment").fetchone() == (0,)


def test_missing_file_is_a_clear_error(db: str) -> None:
    result = run("import", "patients", "/nonexistent/p.csv", db=db)
    assert result.returncode == 1 and "cannot open" in result.stderr


def test_patient_code_prints_code_on_last_line(db: str, tmp_path: Path) -> None:
    run("import", "patients", write(tmp_path, "patients.csv", PATIENTS), db=db)
    result = run("patient", "code", "P1", db=db)
    assert result.returncode == 0
    code = result.stdout.strip().splitlines()[-1]
    assert len(code) == 9 and code[4] == "-"
    stored = sqlite3.connect(db).execute("SELECT code_hash FROM patient_code").fetchone()[0]
    assert code not in stored
    assert run("patient", "code", "P404", db=db).returncode == 1


def test_audit_json_fields(db: str, tmp_path: Path) -> None:
    run("import", "patients", write(tmp_path, "patients.csv", PATIENTS), db=db)
    result = run("audit", "--json", db=db)
    [event] = json.loads(result.stdout)
    assert {"at", "user", "action", "entity", "entity_id", "old", "new", "reason"} <= set(event)
    assert event["user"].startswith("cli:") and event["action"] == "import"


def test_export_formats_and_out_file(db: str, tmp_path: Path) -> None:
    run("import", "patients", write(tmp_path, "patients.csv", PATIENTS), db=db)
    rows = assessments(["P1,left,2026-01-05,phone," + ",".join(["1"] * 24)])
    assert run("import", "assessments", write(tmp_path, "a.csv", rows), db=db).returncode == 0
    out = tmp_path / "out.json"
    result = run("export", "assessments", "--format", "json", "--out", str(out), db=db)
    assert result.returncode == 0 and "exported 1 assessments" in result.stdout
    [row] = json.loads(out.read_text())
    assert row["total_score"] == 25.0
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_backup_while_another_process_writes(db: str, tmp_path: Path) -> None:
    run("import", "patients", write(tmp_path, "patients.csv", PATIENTS), db=db)
    writer = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, time\n"
            f"c = sqlite3.connect({db!r}, timeout=30)\n"
            "for i in range(300):\n"
            "    c.execute(\"INSERT INTO site (id, name) VALUES (?, 'x')\", (f's{i}',)); c.commit()\n"
        )]
    )  # fmt: skip
    target = tmp_path / "copy.db"
    result = run("backup", str(target), db=db)
    writer.wait(timeout=60)
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM patient").fetchone() == (1,)


def test_database_url_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.db"
    assert run("init", env={"FOLLOWUP_DATABASE_URL": str(path)}).returncode == 0
    result = run("audit", env={"FOLLOWUP_DATABASE_URL": str(path)})
    assert result.returncode == 0 and "import" not in result.stdout


def test_unreachable_postgres_is_a_clear_error() -> None:
    result = run("audit", db="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "database error" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.postgres
def test_commands_work_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    assert run("init", db=pg_url).returncode == 0
    assert run("import", "patients", write(tmp_path, "p.csv", PATIENTS), db=pg_url).returncode == 0
    result = run("export", "patients", "--format", "json", db=pg_url)
    assert json.loads(result.stdout)[0]["patient_id"] == "P1"
    assert run("patient", "code", "P1", db=pg_url).returncode == 0
    backup = run("backup", str(tmp_path / "x.db"), db=pg_url)
    assert backup.returncode == 1 and "pg_dump" in backup.stderr


def test_flags_decide_and_export_flags(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    assert run("demo", db=db).returncode == 0  # the sample data shipped in the package
    flags = json.loads(run("flags", "--json", db=db).stdout)
    assert {"id", "patient_id", "knee", "treatment_id", "kind", "level", "raised_on", "evidence",
            "booster_check_by"} <= set(flags[0])  # fmt: skip
    evidence = flags[0]["evidence"]  # copied from the stored text: still a JSON object
    assert isinstance(evidence, dict) and evidence["rule_set"] and evidence["condition"]
    assert [f["level"] for f in flags] == sorted(
        (f["level"] for f in flags), key=["urgent", "action", "watch"].index
    )
    assert json.loads(run("flags", "--full", "--json", db=db).stdout) == flags
    decided = run(
        "--user",
        "doctor",
        "decide",
        str(flags[0]["id"]),
        "--decision",
        "refer",
        "--note",
        "ortho",
        db=db,
        stdin="doctor\n",
    )
    assert decided.returncode == 0, decided.stderr
    assert (
        run(
            "--user",
            "doctor",
            "decide",
            "999999",
            "--decision",
            "refer",
            "--note",
            "x",
            db=db,
            stdin="doctor\n",
        ).returncode
        == 1
    )
    assert (
        run(
            "--user",
            "doctor",
            "decide",
            str(flags[1]["id"]),
            "--decision",
            "maybe",
            "--note",
            "x",
            db=db,
            stdin="doctor\n",
        ).returncode
        == 2
    )
    exported = json.loads(run("export", "flags", "--format", "json", db=db).stdout)
    [row] = [r for r in exported if r["flag_id"] == flags[0]["id"]]
    assert (row["status"], row["decision"], row["decision_note"]) == ("closed", "refer", "ortho")
    due = json.loads(run("due", "--json", db=db).stdout)
    assert {"patient_id", "knee", "treatment_id", "timepoint", "due_on", "window_start",
            "window_end", "status", "patient_local_time"} <= set(due[0])  # fmt: skip
    review = tmp_path / "packet.html"
    assert run("review", "--out", str(review), db=db).returncode == 0
    assert "<svg" in review.read_text()


def test_an_interrupt_prints_one_line_and_no_library_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl+C while SQLAlchemy's pool is returning a connection makes it log an error with a
    traceback; with nothing set up, Python would print that on the terminal."""
    import logging

    from followup import cli
    from followup.services import evaluate_flags as flags

    def interrupted_while_a_connection_is_returned(*_args: object, **_kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            logging.getLogger("sqlalchemy.pool.impl.QueuePool").error(
                "Exception during reset or similar", exc_info=True
            )
            raise

    from tests.conftest import make_context

    make_context(f"sqlite:///{tmp_path / 'clinic.db'}").close()
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a plain `followup` run
    monkeypatch.setattr(flags, "evaluate_cohort", interrupted_while_a_connection_is_returned)
    code = cli.main(["--db", str(tmp_path / "clinic.db"), "flags"])
    captured = capsys.readouterr()
    assert code == 130
    assert captured.err == "followup: interrupted\n"
    assert captured.out == ""


IDENTIFYING = ("Nora", "Secret", "1970", "555", "nora@")


def test_a_file_without_its_header_row_is_refused_without_repeating_a_cell(
    db: str, tmp_path: Path
) -> None:
    """Once every cell of the first row was listed as an unknown column: a name, a birth date,
    a phone number and an e-mail address on the screen."""
    row = "P7,Nora Secret,1970-05-05,F,+1 555 0100,nora@example.com,Asia/Tokyo\n"
    done = run("import", "patients", write(tmp_path, "p.csv", row + row.replace("P7", "P8")), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1:] == [
        "p.csv, line 1: names no column; is the header row missing? The first line names the "
        "columns: patient_id, name, birth_date, sex, phone, email, timezone, language, site, "
        "smoker, diabetes, bmi, activity"
    ]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM patient").fetchone() == (0,)


def test_a_file_separated_by_semicolons_is_refused_saying_so(db: str, tmp_path: Path) -> None:
    """A spreadsheet's "CSV" in a locale that writes decimal commas separates with ';'."""
    text = "patient_id;name;birth_date\nP7;Nora Secret;1970-05-05\n"
    done = run("import", "patients", write(tmp_path, "p.csv", text), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1] == (
        "p.csv, line 1: separates its columns with ';', not commas; save it as comma-separated "
        "(UTF-8) with the columns: patient_id, name, birth_date, sex, phone, email, timezone, "
        "language, site, smoker, diabetes, bmi, activity"
    )
    assert not any(word in done.stderr for word in IDENTIFYING)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM patient").fetchone() == (0,)


def test_a_cell_in_the_wrong_column_is_refused_without_repeating_it(
    db: str, tmp_path: Path
) -> None:
    """A header whose names do not match its columns puts a birth date where a number goes and
    a phone number where a code goes: the refusal names line and column, not the cell. A short
    code or number is still repeated, so the typo is plain to see."""
    text = (
        "patient_id,name,bmi,sex,timezone,smoker,language,birth_date\n"
        "P7,Nora Secret,1970-05-05,+1 555 0100,Nora Secret,nora@example.com,Nora Secret,x\n"
        "P8,Ada Example,+15550100,Q,Mars/Olympus,maybe,en_GB,1956-03-02\n"
    )
    done = run("import", "patients", write(tmp_path, "p.csv", text), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1:] == [
        "p.csv, line 2, column bmi: is not a number like 27.5",
        "p.csv, line 2, column sex: is not one of: F, M, X",
        "p.csv, line 2, column timezone: is not an IANA time zone name like Asia/Tokyo",
        "p.csv, line 2, column smoker: must be yes or no",
        "p.csv, line 2, column language: is not an IETF language tag like en, ja, es or pt-BR",
        "p.csv, line 2, column birth_date: is not a real date like 1958-04-01 (YYYY-MM-DD)",
        "p.csv, line 3, column bmi: is outside 10-90",
        "p.csv, line 3, column sex: 'Q' is not one of: F, M, X",
        "p.csv, line 3, column timezone: 'Mars/Olympus' is not an IANA time zone name like "
        "Asia/Tokyo",
        "p.csv, line 3, column smoker: 'maybe' must be yes or no",
        "p.csv, line 3, column language: 'en_GB' is not an IETF language tag like en, ja, es or "
        "pt-BR",
    ]
    assert not any(cell in done.stderr for cell in IDENTIFYING)


def test_a_file_that_cannot_be_opened_is_named_as_given(db: str, tmp_path: Path) -> None:
    missing = tmp_path / "exports" / "patients.csv"
    done = run("import", "patients", str(missing), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1] == f"{missing}: cannot open: No such file or directory"
    done = run("import", "patients", str(tmp_path), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1] == f"{tmp_path}: cannot open: Is a directory"
