"""Patient, treatment and site IDs follow one rule (``fields.CLINIC_ID``), stated once: the
CHECK constraints come from it, and migration 0010 adds them to a database that already holds
IDs breaking it without failing and without touching those rows."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from followup.store.engine import make_engine
from followup.store.fields import CLINIC_ID
from followup.store.schema import _config, current_revision, head_revision, init_schema
from tests.conftest import make_context

PATIENT = (
    "INSERT INTO patient (id, name, search_name, birth_date, created_at, created_by) "
    "VALUES (:id, 'A', 'a', '1950-01-01', '2026-01-01 00:00:00', 'test')"
)
BAD_IDS = ["P[/b]1", "P 1", "P\x1b[2J", "", "P" * 33, "Ω1"]
GOOD_IDS = ["P0001", "a-b_c.d", "X" * 32]


@pytest.mark.parametrize("value", BAD_IDS)
def test_the_rule_refuses_an_id_without_repeating_it(value: str) -> None:
    with pytest.raises(ValueError) as refused:
        CLINIC_ID.check(value)
    assert str(refused.value) == CLINIC_ID.rule
    assert "P[" not in str(refused.value)


def test_the_database_refuses_what_the_rule_refuses(any_url: str) -> None:
    ctx = make_context(any_url)
    for value in GOOD_IDS:
        with ctx.engine.begin() as conn:
            conn.execute(text(PATIENT), {"id": value})
    for value in BAD_IDS:
        if "\x00" in value:
            continue
        with pytest.raises(IntegrityError, match="ck_patient_id"), ctx.engine.begin() as conn:
            conn.execute(text(PATIENT), {"id": value})
    ctx.close()


def test_the_migration_keeps_ids_that_break_the_rule(any_url: str, capfd) -> None:
    engine = make_engine(any_url, create=True)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0009")
    with engine.begin() as conn:
        for value in ("P[/b]1", "P 2", "P0003"):
            conn.execute(text(PATIENT), {"id": value})
        conn.execute(
            text(
                "INSERT INTO treatment (id, patient_id, knee, treated_on, product, route, "
                "created_at, created_by) VALUES ('T[red]', 'P 2', 'left', '2026-01-01', 'prp', "
                "'intra_articular', '2026-01-01 00:00:00', 'test')"
            )
        )
    assert init_schema(engine, any_url)[0] == "upgraded"
    assert current_revision(engine) == head_revision()
    said = capfd.readouterr().err
    assert "2 patient ID(s) do not follow the ID rule" in said
    assert "1 treatment ID(s)" in said
    with engine.begin() as conn:
        kept = set(conn.scalars(text("SELECT id FROM patient")))
        assert kept == {"P[/b]1", "P 2", "P0003"}
        conn.execute(text("UPDATE patient SET name = 'B' WHERE id = 'P0003'"))
    with pytest.raises(IntegrityError, match="ck_patient_id"), engine.begin() as conn:
        conn.execute(text(PATIENT), {"id": "P[new]"})
    engine.dispose()


@pytest.mark.parametrize("text", ["1_0", "١٢", "1e3", "nan", "inf", "", "+", "0x1", "1 0"])
def test_numbers_are_ascii_digits_only(text: str) -> None:
    from followup.store.fields import decimal_number, whole_number

    with pytest.raises(ValueError):
        whole_number(text)
    with pytest.raises(ValueError):
        decimal_number(text)
    assert whole_number("-12") == -12 and decimal_number("27.5") == 27.5


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\x9b", "\x0b"])
def test_no_text_holds_a_control_character(char: str) -> None:
    from followup.store.fields import Lines, SingleLine

    for check in (SingleLine(), Lines()):
        with pytest.raises(ValueError, match="control character|one line"):
            check.check(f"note{char}x")
    assert Lines().check("two\r\nlines\tand a tab") == "two\r\nlines\tand a tab"
