"""End-to-end: only ``init`` and ``demo`` create a database; every other command (the apps
too) refuses a path that does not exist, naming it. Backups never overwrite by accident. A
flag number is accepted as ``flags`` prints it, and the audit shows what was decided."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run

HINT = "create it with 'followup init' (or 'followup demo' for the demo clinic)"


@pytest.mark.parametrize(
    "command",
    [["due"], ["flags"], ["audit"], ["export", "patients"], ["tui"], ["selfreport"],
     ["serve", "--port", "8765"], ["patient", "code", "P1"], ["site", "list"]],
)  # fmt: skip
def test_a_mistyped_database_path_is_refused_and_nothing_is_created(
    tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "clinc.db"
    done = run(*command, db=str(typo))
    assert done.returncode == 1
    assert done.stderr.strip() == f"followup: no database at {typo}; {HINT}"
    assert list(tmp_path.iterdir()) == []


def test_a_relative_sqlite_url_is_named_in_full(tmp_path: Path) -> None:
    done = run("due", db="sqlite:///relative.db", cwd=tmp_path)
    assert done.returncode == 1
    assert f"no database at {tmp_path / 'relative.db'};" in done.stderr
    assert run("init", db="sqlite:///relative.db", cwd=tmp_path).returncode == 0
    assert (tmp_path / "relative.db").exists()
    assert run("due", db=str(tmp_path / "relative.db")).returncode == 0


def test_backup_refuses_a_directory_and_an_existing_file_unless_forced(tmp_path: Path) -> None:
    db = str(tmp_path / "clinic.db")
    assert run("init", db=db).returncode == 0
    done = run("backup", str(tmp_path), db=db)
    assert done.returncode == 1 and f"{tmp_path} is a directory; give a file name" in done.stderr
    existing = tmp_path / "copy.db"
    existing.write_text("keep me")
    done = run("backup", str(existing), db=db)
    assert done.returncode == 1 and "already exists; give --force to overwrite it" in done.stderr
    assert existing.read_text() == "keep me"
    done = run("backup", "--force", str(existing), db=db)
    assert done.returncode == 0 and existing.read_bytes().startswith(b"SQLite format 3")
    done = run("backup", str(tmp_path / "no-such-dir" / "x.db"), db=db)
    assert done.returncode == 1 and "no-such-dir is not a directory" in done.stderr


def test_decide_takes_the_flag_number_as_printed_and_audit_shows_the_decision(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "demo.db")
    assert run("demo", db=db).returncode == 0
    first, second = json.loads(run("flags", "--json", db=db).stdout)[:2]
    printed = run("flags", db=db).stdout
    assert f"#{first['id']:<5d}" in printed
    done = run(
        "--user",
        "doctor",
        "decide",
        f"#{first['id']}",
        "--decision",
        "refer",
        "--note",
        "seen by ortho",
        db=db,
        stdin="doctor\n",
    )
    assert done.returncode == 0, done.stderr
    done = run(
        "--user",
        "doctor",
        "decide",
        str(second["id"]),
        "--decision",
        "dismissed",
        "--note",
        "known",
        db=db,
        stdin="doctor\n",
    )
    assert done.returncode == 0, done.stderr
    done = run(
        "--user",
        "doctor",
        "decide",
        "#x9",
        "--decision",
        "refer",
        "--note",
        "x",
        db=db,
        stdin="doctor\n",
    )
    assert done.returncode == 2 and "'#x9' is not a flag number like #9 or 9" in done.stderr
    done = run("decide", str(second["id"]), "--decision", "refer", "--note", "x", db=db)
    assert done.returncode == 2 and "give your user name with --user NAME" in done.stderr
    done = run("--user", "demo", "decide", "#1", "--decision", "refer", "--note", "x", db=db,
               stdin="demo\n")  # fmt: skip
    assert done.returncode != 0 and "clinician" in done.stderr, done.stderr
    audit = run("audit", db=db).stdout
    assert f"flag {first['id']}  decision: refer; note: seen by ortho" in audit
    assert f"flag {second['id']}  decision: dismissed; note: known" in audit
    # The demo has staff accounts but no admin: the way to make one is named.
    done = run("site", "add", "north", db=db)
    assert done.returncode == 2
    assert "there is no admin yet: create one with followup init --admin NAME" in done.stderr


def test_a_command_that_waits_for_another_writer_says_so_then_goes_ahead(tmp_path: Path) -> None:
    import sqlite3
    import subprocess

    from tests.cli.test_cli import FOLLOWUP, PATIENTS, write

    db = str(tmp_path / "clinic.db")
    assert run("init", db=db).returncode == 0
    patients = write(tmp_path, "patients.csv", PATIENTS)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, as a bulk import's write phase is
    command = subprocess.Popen(
        [FOLLOWUP, "--db", db, "import", "patients", patients],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        said = command.stderr.readline()  # type: ignore[union-attr]
    finally:
        holder.execute("COMMIT")  # the other writer is done: the import goes ahead
        holder.close()
    out, rest = command.communicate(timeout=60)
    assert said.startswith(
        "followup: waiting for the database: another save or an import is writing"
    ), said + rest
    assert command.returncode == 0, rest
    assert out == "imported 1 patients from patients.csv\n"
    again = run(
        "import", "patients", write(tmp_path, "more.csv", PATIENTS.replace("P1", "P2")), db=db
    )
    assert again.returncode == 0 and again.stderr == ""


def test_a_folder_or_a_file_that_is_no_database_is_named(tmp_path: Path) -> None:
    """Once ``database error (OperationalError): unable to open database file`` and ``database
    error (DatabaseError): file is not a database``, naming neither."""
    folder = tmp_path / "clinic"
    folder.mkdir()
    for command in (["due"], ["init"]):
        done = run(*command, db=str(folder))
        assert done.returncode == 1
        assert done.stderr == f"followup: {folder} is a folder, not a database file\n"
    other = tmp_path / "notes.db"
    other.write_bytes(b"not a database, but a clinic's notes")
    for command in (["due"], ["init"], ["demo"]):
        done = run(*command, db=str(other))
        assert done.returncode == 1
        assert done.stderr == f"followup: {other} is not a database file (not SQLite)\n"
    assert other.read_bytes() == b"not a database, but a clinic's notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic", "notes.db"]
    assert list(folder.iterdir()) == []


def test_a_database_error_names_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file says ``attempt to write a readonly database``: which one is named."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from followup.cli import main, routine

    def read_only(_args: object) -> None:
        raise OperationalError(
            "INSERT ...", {}, sqlite3.OperationalError("attempt to write a readonly database")
        )

    monkeypatch.setattr(routine, "context", read_only)
    db = tmp_path / "clinic.db"
    assert main(["--db", str(db), "due"]) == 1
    assert capsys.readouterr().err == (
        "followup: database error (OperationalError): attempt to write a readonly database "
        f"(database {db})\n"
    )
