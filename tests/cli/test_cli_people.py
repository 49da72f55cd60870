"""End-to-end: staff, sites and patients on the command line, as an admin and a coordinator
run them (signed in with ``--user``, the password on standard input)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import run, write

BOSS = "boss-password"
NINA = "nina-password"


@pytest.fixture
def clinic(tmp_path: Path) -> str:
    """A database with the first admin (boss), site north and a coordinator (nina) there."""
    db = str(tmp_path / "clinic.db")
    assert run("init", "--admin", "boss", db=db, stdin=f"{BOSS}\n{BOSS}\n").returncode == 0
    assert run("--user", "boss", "site", "add", "north", db=db, stdin=f"{BOSS}\n").returncode == 0
    added = run(
        "--user", "boss", "user", "add", "nina", "--role", "coordinator", "--site", "north",
        db=db, stdin=f"{BOSS}\n{NINA}\n{NINA}\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return db


def as_boss(db: str, *args: str, extra: str = "") -> tuple[int, str, str]:
    done = run("--user", "boss", *args, db=db, stdin=f"{BOSS}\n{extra}")
    return done.returncode, done.stdout, done.stderr


def as_nina(db: str, *args: str) -> tuple[int, str, str]:
    done = run("--user", "nina", *args, db=db, stdin=f"{NINA}\n")
    return done.returncode, done.stdout, done.stderr


def audit(db: str) -> list[dict]:
    return json.loads(run("audit", "--json", db=db).stdout)


def test_user_add_on_a_fresh_database_with_an_unknown_site(tmp_path: Path) -> None:
    """Once ``database error (IntegrityError): FOREIGN KEY constraint failed``."""
    db = str(tmp_path / "fresh.db")
    assert run("init", db=db).returncode == 0
    done = run(
        "user", "add", "nina", "--role", "coordinator", "--site", "north",
        db=db, stdin=f"{NINA}\n{NINA}\n",
    )  # fmt: skip
    assert done.returncode == 1
    assert "there is no site 'north'; an admin adds it with: followup site add north" in done.stderr
    assert "IntegrityError" not in done.stderr
    # With no staff account yet the operating-system account acts, and says so.
    assert "no staff account yet: acting as the operating-system account cli:" in done.stderr


def test_staff_administration(clinic: str) -> None:
    code, out, err = as_boss(clinic, "user", "disable", "boss")
    assert code == 1 and "'boss' is the last active admin" in err
    code, out, err = as_boss(clinic, "user", "set-role", "boss", "clinician")
    assert code == 1 and "last active admin" in err
    code, out, _ = as_boss(clinic, "user", "list", "--json")
    users = {u["username"]: u for u in json.loads(out)}
    assert users["nina"] == {"username": "nina", "role": "coordinator", "site": "north",
                             "active": True, "locked_until": None, "failed_attempts": 0}  # fmt: skip
    assert as_boss(clinic, "user", "disable", "nina")[0] == 0
    assert run("--user", "nina", "site", "list", db=clinic, stdin=f"{NINA}\n").returncode == 1
    assert as_boss(clinic, "user", "enable", "nina")[0] == 0
    code, out, err = as_boss(clinic, "user", "set-site", "nina", "south")
    assert code == 1 and "there is no site 'south'" in err
    assert as_boss(clinic, "user", "set-site", "nina", "--none")[0] == 0
    code, _, err = as_boss(clinic, "user", "set-site", "nina")
    assert code == 2 and "--none" in err
    assert as_boss(clinic, "user", "set-role", "nina", "clinician")[0] == 0
    code, out, _ = as_boss(
        clinic, "user", "reset-password", "nina", extra="new-password\nnew-password\n"
    )
    assert code == 0 and "new password set for 'nina'" in out
    assert run("--user", "nina", "site", "list", db=clinic, stdin="new-password\n").returncode == 0
    assert as_boss(clinic, "user", "unlock", "nina")[0] == 0
    code, out, err = as_boss(clinic, "site", "add", "north")
    assert code == 1 and "a site 'north' already exists" in err
    code, out, _ = as_boss(clinic, "site", "list", "--json")
    assert json.loads(out) == [{"id": "north", "name": "north"}]
    actions = [(e["user"], e["action"], e["entity"]) for e in audit(clinic)]
    for action in ("disable", "enable", "set_site", "set_role", "reset_password"):
        assert ("boss", action, "staff_user") in actions


def test_commands_for_a_person_need_a_signed_in_staff_member(clinic: str) -> None:
    done = run("patient", "add", "P1", "--name", "Ada", "--birth-date", "1956-03-02", db=clinic)
    assert done.returncode == 2 and "give your user name with --user NAME" in done.stderr
    done = run("--user", "nina", "user", "add", "omar", "--role", "admin", db=clinic,
               stdin=f"{NINA}\nx-password\nx-password\n")  # fmt: skip
    assert done.returncode == 1
    assert "adding a staff account needs the role admin; 'nina' is a coordinator" in done.stderr
    done = run("--user", "nina", "site", "list", db=clinic, stdin="wrong-password\n")
    assert done.returncode == 1 and "wrong user name or password" in done.stderr
    done = run("--user", "nina", "site", "list", db=clinic, stdin="\n")
    assert done.returncode == 1 and "enter your password" in done.stderr
    [nina] = [u for u in json.loads(as_boss(clinic, "user", "list", "--json")[1])
              if u["username"] == "nina"]  # fmt: skip
    assert nina["failed_attempts"] == 1  # the wrong one counted, the empty one not


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--timezone", "Mars/Olympus"], "time zone: 'Mars/Olympus' is not an IANA time zone"),
        (["--bmi", "200"], "BMI: must be 10-90, got 200"),
        (["--bmi", "heavy"], "BMI: 'heavy' is not a number"),
        (
            ["--site", "south"],
            "there is no site 'south'; an admin adds it with: followup site add south",
        ),
        (["--birth-date", "2030-01-01"], "birth date: is in the future"),
        (["--birth-date", "1956-02-30"], "birth date: is not a date like 1956-03-02"),
        (["--smoker", "maybe"], "smoker: 'maybe' must be yes or no"),
        (["--language", "en_GB"], "language: 'en_GB' is not an IETF language tag"),
    ],
)
def test_patient_add_refuses_bad_input(clinic: str, option: list[str], message: str) -> None:
    args = ["patient", "add", "P1", "--name", "Ada", "--birth-date", "1956-03-02", *option]
    code, _out, err = as_boss(clinic, *args)
    assert code == 1 and message in err
    assert sqlite3.connect(clinic).execute("SELECT count(*) FROM patient").fetchone() == (0,)


def test_patient_add_and_edit(clinic: str, tmp_path: Path) -> None:
    code, out, err = as_nina(
        clinic, "patient", "add", "P1", "--name", "Ada Example", "--birth-date", "1956-03-02",
        "--phone", "+44 20 7946 0000", "--timezone", "Europe/London", "--language", "en",
        "--smoker", "no", "--bmi", "27.5",
    )  # fmt: skip
    assert code == 0, err
    assert sqlite3.connect(clinic).execute("SELECT site_id FROM patient").fetchone() == ("north",)
    code, out, err = as_nina(clinic, "patient", "edit", "P1", "--smoker", "yes")
    assert code == 1 and "changing smoker needs a reason" in err and "--reason" in err
    code, out, err = as_nina(
        clinic, "patient", "edit", "P1", "--smoker", "yes", "--phone", "", "--reason", "told us"
    )
    assert code == 0 and "patient P1 updated: phone, smoker" in out
    [event] = [e for e in audit(clinic) if e["action"] == "update"]
    assert event["user"] == "nina" and event["reason"] == "told us"
    assert (event["old"], event["new"]) == (
        {"phone": "+44 20 7946 0000", "smoker": False}, {"phone": None, "smoker": True},
    )  # fmt: skip
    text = run("audit", db=clinic).stdout
    assert "update                 patient P1  changed: phone, smoker  reason: told us" in text
    code, _, err = as_nina(clinic, "patient", "edit", "P1")
    assert code == 1 and "nothing to change: give at least one field" in err
    code, out, _ = as_nina(clinic, "patient", "edit", "P1", "--language", "en")
    assert code == 0 and "nothing changed" in out
    code, _, err = as_nina(clinic, "patient", "edit", "P404", "--phone", "1")
    assert code == 1 and "no patient with ID P404" in err
    code, out, _ = as_nina(clinic, "patient", "code", "P1")
    assert code == 0 and len(out.strip().splitlines()[-1]) == 9


def test_import_update_on_the_command_line(clinic: str, tmp_path: Path) -> None:
    patients = "patient_id,name,birth_date,phone,site\nP1,Ada,1956-03-02,+1 555,north\n"
    assert run("import", "patients", write(tmp_path, "p.csv", patients), db=clinic).returncode == 0
    update = "patient_id,phone,language\nP1,,ja\n"
    done = run("import", "patients", "--update", write(tmp_path, "u.csv", update), db=clinic)
    assert done.returncode == 0 and "1 patients updated" in done.stdout
    [event] = [e for e in audit(clinic) if e["action"] == "update"]
    assert event["user"].startswith("cli:") and event["reason"] == "import u.csv"
    assert event["new"] == {"phone": None, "language": "ja"}
    done = run("import", "treatments", "--update", str(tmp_path / "u.csv"), db=clinic)
    assert done.returncode == 2 and "--update applies to patients only" in done.stderr
    done = run("--user", "nina", "import", "patients", "--update", str(tmp_path / "u.csv"),
               db=clinic, stdin=f"{NINA}\n")  # fmt: skip
    assert done.returncode == 0  # signed in: the import is attributed to nina
    assert audit(clinic)[-1]["user"] == "nina"


def test_an_empty_site_is_not_taken_for_every_site(clinic: str) -> None:
    """``user set-site nina ""`` (a variable left unset) once lifted nina's site limit."""
    code, _, err = as_boss(clinic, "user", "set-site", "nina", " ")
    assert code == 2 and "give a SITE, or --none" in err
    code, out, _ = as_boss(clinic, "user", "list", "--json")
    assert {u["username"]: u["site"] for u in json.loads(out)}["nina"] == "north"


def test_a_role_is_named_with_its_article(clinic: str) -> None:
    code, _, err = as_boss(clinic, "treatment", "add", "P1", "--knee", "left", "--date",
                           "2026-01-05", "--product", "prp")  # fmt: skip
    assert code == 1
    assert (
        "recording a treatment needs the role coordinator or clinician; 'boss' is an admin" in err
    )


def test_a_name_not_typed_in_utf8_is_named_as_such(clinic: str) -> None:
    """A terminal set to Latin-1 sends bytes that are not UTF-8; once pydantic's own words
    (``Input should be a valid string, unable to parse raw data as a unicode string``)."""
    name = "Jos\udce9 Example"  # the byte 0xE9 as Python hands it over
    code, _, err = as_boss(clinic, "patient", "add", "P1", "--name", name, "--birth-date",
                           "1956-03-02")  # fmt: skip
    assert code == 1
    assert "name: is not UTF-8 text (set the terminal to UTF-8)" in err
    assert sqlite3.connect(clinic).execute("SELECT count(*) FROM patient").fetchone() == (0,)
