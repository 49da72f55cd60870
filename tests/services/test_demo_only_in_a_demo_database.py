"""`followup demo` goes only into a database of its own: a clinic's database (a real patient, a
staff account the demo did not make) is refused with nothing loaded, and the message says how to
make a demo database; an empty database takes the demo, and the demo database takes it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, func, select

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.demo import DEMO_MARK, load_demo
from followup.services.importing import import_file
from followup.services.staff import add_user
from followup.store.engine import read_session
from followup.store.models import Patient, StaffUser
from tests.cli.test_cli import run

HOW = "Load the demo into a database of its own, for example: followup --db demo.db demo"


def _counts(ctx: Context) -> tuple[int, int]:
    with read_session(ctx.engine) as session:
        patients = session.exec(select(func.count()).select_from(Patient)).one()
        staff = session.exec(select(func.count()).select_from(StaffUser)).one()
    return patients, staff


def test_a_clinic_database_with_one_real_patient_is_refused(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,name,birth_date\nR1,Ann Example,1950-01-01\n", encoding="utf-8")
    import_file(ctx, "patients", path, "cli:nurse")
    with pytest.raises(FollowupError) as refused:
        load_demo(ctx, "cli:nurse")
    message = str(refused.value)
    assert "is not a demo database: it holds 1 patient(s) not from the demo" in message
    assert HOW in message and "Nothing was loaded" in message
    assert "Ann" not in message and "R1" not in message
    assert _counts(ctx) == (1, 0)


def test_a_database_with_a_staff_account_not_from_the_demo_is_refused(ctx: Context) -> None:
    add_user(ctx, "chief", "long-password", "admin", "cli:root")
    with pytest.raises(FollowupError, match=r"holds 1 staff account\(s\) not from the demo"):
        load_demo(ctx, "cli:root")
    assert _counts(ctx) == (0, 1)


def test_an_account_named_like_a_demo_one_but_made_by_hand_counts_as_the_clinics(
    ctx: Context,
) -> None:
    add_user(ctx, "doctor", "long-password", "clinician", "cli:root")
    with pytest.raises(FollowupError, match="not a demo database"):
        load_demo(ctx, "cli:root")


def test_the_demo_database_takes_the_demo_again(demo_ctx: Context) -> None:
    # demo_ctx was an empty database when the demo was loaded into it (tests/conftest.py).
    before = _counts(demo_ctx)
    with read_session(demo_ctx.engine) as session:
        unmarked = session.exec(
            select(func.count())
            .select_from(Patient)
            .where(~col(Patient.created_by).startswith(DEMO_MARK))
        ).one()
    assert before[0] > 100 and unmarked == 0
    again = load_demo(demo_ctx, "cli:nurse")
    assert again.already_loaded and _counts(demo_ctx) == before


def test_the_command_refuses_a_clinic_database(tmp_path: Path) -> None:
    db = str(tmp_path / "clinic.db")
    made = run("init", "--admin", "chief", db=db, stdin="long-password\nlong-password\n")
    assert made.returncode == 0, made.stderr
    refused = run("demo", db=db)
    assert refused.returncode == 1
    assert f"{db} is not a demo database" in refused.stderr and HOW in refused.stderr
    assert "internal error" not in refused.stderr and "Traceback" not in refused.stderr
