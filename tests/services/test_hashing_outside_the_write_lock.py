"""Hashing a new code or password takes tens of milliseconds on purpose (argon2id); on SQLite,
with one writer at a time, it must happen before the write transaction begins, so a save, a
call or a patient's answers never wait for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from followup.services import patient_codes, staff, staff_accounts
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.patient_codes import issue_code
from followup.services.staff import add_user
from followup.services.staff_accounts import reset_password
from tests.conftest import another_writer_can_begin


def _hashing_checks_that_others_can_write(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, module: object
) -> list[bool]:
    real = module.hash_secret  # type: ignore[attr-defined]
    could_write: list[bool] = []

    def hash_secret(secret: str) -> str:
        could_write.append(another_writer_can_begin(ctx.settings.database_url))
        return real(secret)

    monkeypatch.setattr(module, "hash_secret", hash_secret)
    return could_write


@pytest.mark.parametrize(
    ("module", "action"),
    [
        (patient_codes, lambda ctx: issue_code(ctx, "P1", "nina")),
        (staff, lambda ctx: add_user(ctx, "otto", "correct-horse-9", "coordinator", "boss")),
        (staff_accounts, lambda ctx: reset_password(ctx, "nina", "another-horse-7", "boss")),
    ],
    ids=["issue_code", "add_user", "reset_password"],
)
def test_a_secret_is_hashed_before_the_write_transaction(
    ctx: Context,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    action: Callable[[Context], object],
) -> None:
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,name,birth_date\nP1,Ann Example,1950-01-01\n", encoding="utf-8")
    import_file(ctx, "patients", patients, "test")
    add_user(ctx, "nina", "correct-horse-1", "coordinator", "boss")
    could_write = _hashing_checks_that_others_can_write(ctx, monkeypatch, module)
    action(ctx)
    assert could_write == [True]
