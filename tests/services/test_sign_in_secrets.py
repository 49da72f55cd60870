"""Sign-ins reveal nothing: every refused patient or staff sign-in has the same words and
verifies exactly one hash (a dummy one when there is nothing real to check). Secrets are
argon2id at OWASP's parameters; old scrypt hashes still verify, and a staff password is
rehashed at its next successful sign-in."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from followup.services import patient_codes, security
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.patient_codes import CodeRefused, issue_code, revoke_codes, verify_code
from followup.services.staff import MAX_FAILURES, SignInRefused, add_user, sign_in
from followup.services.staff_accounts import disable_user
from followup.store.engine import read_session, write_session
from followup.store.models import PatientCode, StaffUser
from tests.conftest import FROZEN_NOW, make_context

PASSWORD = "correct-horse"
WRONG = "AAAA-AAAA"


def old_scrypt_hash(secret: str) -> str:
    """A hash as followup stored them before argon2id (scrypt, N = 2^14)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$16384$8$1${b64(salt).decode()}${b64(digest).decode()}"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """Every hash the services verify, as the stored hash passed (None: the dummy one)."""
    seen: list[str | None] = []
    real = security.verify_secret

    def counted(secret: str, stored: str | None) -> bool:
        seen.append(stored)
        return real(secret, stored)

    monkeypatch.setattr(security, "verify_secret", counted)
    yield seen


@pytest.fixture
def clinic(ctx: Context, tmp_path: Path) -> Context:
    """Three patients (no codes yet) and the staff member nina."""
    path = tmp_path / "patients.csv"
    path.write_text(
        "patient_id,name,birth_date\nP1,Ann Example,1950-01-01\n"
        "P2,Bob Example,1948-02-02\nP3,Cid Example,1952-03-03\n",
        encoding="utf-8",
    )
    import_file(ctx, "patients", path, "test")
    add_user(ctx, "nina", PASSWORD, "coordinator", "boss")
    add_user(ctx, "olga", PASSWORD, "coordinator", "boss")
    return ctx


def _refusal(call: object) -> str:
    with pytest.raises((CodeRefused, SignInRefused)) as refused:
        call()  # type: ignore[operator]
    return str(refused.value)


def test_every_refused_patient_sign_in_has_the_same_words_and_one_verification(
    clinic: Context, verifications: list[str | None]
) -> None:
    issue_code(clinic, "P1", "test")  # P1: a wrong code, then locked
    issue_code(clinic, "P2", "test")
    revoke_codes(clinic, "P2", "test")  # P2: no active code; P3 never had one
    expired = make_context(clinic.settings.database_url, now=FROZEN_NOW + timedelta(days=400))
    issue_code(clinic, "P3", "test")

    cases = {
        "unknown ID": lambda: verify_code(clinic, "P999", WRONG),
        "wrong code": lambda: verify_code(clinic, "P1", WRONG),
        "no active code": lambda: verify_code(clinic, "P2", WRONG),
        "expired": lambda: verify_code(expired, "P3", WRONG),
    }
    messages = {}
    for case, call in cases.items():
        verifications.clear()
        messages[case] = _refusal(call)
        assert len(verifications) == 1, case
        assert (verifications[0] is None) == (case != "wrong code"), case
    for _ in range(clinic.settings.code_max_failures - 1):
        _refusal(lambda: verify_code(clinic, "P1", WRONG))
    verifications.clear()
    messages["locked"] = _refusal(lambda: verify_code(clinic, "P1", WRONG))
    assert verifications == [None]  # the locked code itself was not checked
    expired.close()

    assert set(messages.values()) == {patient_codes.REFUSED}
    assert "attempt" not in patient_codes.REFUSED and "locked" not in patient_codes.REFUSED


@pytest.mark.parametrize("typed", ["P1\x1f", "\x1cP1", "P1\x85", "P1\x00", "[b]P1", "P1 x"])
def test_an_id_the_id_rule_refuses_is_no_patients_even_with_the_right_code(
    clinic: Context, verifications: list[str | None], typed: str
) -> None:
    """str.strip() takes U+001C-U+001F and U+0085 for spaces: "P1" with one of them at an end
    once signed in as P1. Refused alike, one (dummy) verification, nothing counted."""
    code = issue_code(clinic, "P1", "test").code
    assert _refusal(lambda: verify_code(clinic, typed, code)) == patient_codes.REFUSED
    assert verifications == [None]
    with read_session(clinic.engine) as session:
        assert session.exec(select(PatientCode.failed_attempts)).one() == 0
    assert verify_code(clinic, " P1 ", code) == "P1"  # spaces at the ends still come off


def test_every_refused_staff_sign_in_has_the_same_words_and_one_verification(
    clinic: Context, verifications: list[str | None]
) -> None:
    disable_user(clinic, "olga", "boss")
    for _ in range(MAX_FAILURES):
        _refusal(lambda: sign_in(clinic, "nina", "wrong-password"))
    add_user(clinic, "pia", PASSWORD, "coordinator", "boss")
    cases = {
        "unknown user": lambda: sign_in(clinic, "nobody", PASSWORD),
        "disabled": lambda: sign_in(clinic, "olga", PASSWORD),
        "locked": lambda: sign_in(clinic, "nina", PASSWORD),
        "wrong password": lambda: sign_in(clinic, "pia", "wrong-password"),
    }
    messages = {}
    for case, call in cases.items():
        verifications.clear()
        messages[case] = _refusal(call)
        assert len(verifications) == 1, case
        assert (verifications[0] is None) == (case != "wrong password"), case
    assert len(set(messages.values())) == 1
    assert sign_in(clinic, "pia", PASSWORD).username == "pia"


def test_the_dummy_verification_runs_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = security._verify_argon2
    monkeypatch.setattr(security, "_verify_argon2", lambda s, h: checked.append(h) or real(s, h))
    assert security.verify_secret("anything", None) is False
    assert checked == [security.dummy_hash()] and checked[0].startswith("$argon2id$")


def test_new_hashes_are_argon2id_at_owasp_parameters() -> None:
    stored = security.hash_secret(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert security.verify_secret(PASSWORD, stored)
    assert not security.verify_secret("wrong", stored)
    assert not security.needs_rehash(stored)
    assert security.needs_rehash(old_scrypt_hash(PASSWORD))
    assert not security.verify_secret(PASSWORD, "nonsense$")


def test_hashes_at_older_parameters_are_due_for_a_rehash(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = security.hash_secret(PASSWORD)
    monkeypatch.setattr(security, "TIME_COST", 3)
    assert security.needs_rehash(stored)
    assert security.verify_secret(PASSWORD, stored)  # the stored parameters still verify it


def _stored_password(ctx: Context, username: str) -> str:
    with read_session(ctx.engine) as session:
        query = select(StaffUser.password_hash).where(StaffUser.username == username)
        return session.exec(query).one()


def test_an_old_scrypt_password_signs_in_and_is_replaced(clinic: Context) -> None:
    with write_session(clinic.engine) as session:
        session.execute(
            update(StaffUser)
            .where(StaffUser.username == "nina")  # type: ignore[arg-type]
            .values(password_hash=old_scrypt_hash(PASSWORD))
        )
    with pytest.raises(SignInRefused):
        sign_in(clinic, "nina", "wrong-password")
    assert _stored_password(clinic, "nina").startswith("scrypt$")  # only a right one rehashes

    assert sign_in(clinic, "nina", PASSWORD).username == "nina"
    stored = _stored_password(clinic, "nina")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert sign_in(clinic, "nina", PASSWORD).username == "nina"
    assert _stored_password(clinic, "nina") == stored  # current already: left as it is
    [event] = [e for e in list_events(clinic.engine) if e.action == "rehash_password"]
    assert (event.user, event.old, event.new) == ("nina", {"scheme": "scrypt"},
                                                   {"scheme": "argon2id"})  # fmt: skip
    assert PASSWORD not in str(event.as_json())


def test_an_old_scrypt_patient_code_still_signs_in(clinic: Context) -> None:
    code = issue_code(clinic, "P1", "test").code
    assert verify_code(clinic, "P1", code) == "P1"
    with read_session(clinic.engine) as session:
        assert session.exec(select(PatientCode.code_hash)).one().startswith("$argon2id$")
    with write_session(clinic.engine) as session:
        session.execute(update(PatientCode).values(code_hash=old_scrypt_hash(code)))
    assert verify_code(clinic, "P1", code.lower().replace("-", "")) == "P1"
