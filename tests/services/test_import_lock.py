"""A bulk import checks its file without the write lock, so saves from the screens go on while it
does; it then writes under the lock, checking again only when something its checks read has
changed meanwhile (and refusing the file, naming line and column, when that change makes it
wrong)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from followup.domain.instrument import ITEM_KEYS
from followup.errors import InvalidInput
from followup.services import importing
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.store.engine import sqlite_path
from tests.services.test_import_export import assessment_csv, count, write

from .test_import_export import loaded  # noqa: F401 - the fixture

DAY = "2026-02-20"


def _saved_meanwhile(ctx: Context, patient_id: str, knee: str) -> None:
    """A coordinator saves by phone, while the import is being checked, the very form the file
    holds for that day (the same answers: a duplicate)."""
    entry = AssessmentEntry(patient_id, knee, date.fromisoformat(DAY), "phone",
                            dict.fromkeys(ITEM_KEYS, 2))  # fmt: skip  # as the file has it
    record_assessment(ctx, entry, "nina")


def _checking_with(monkeypatch: pytest.MonkeyPatch, during, kind: str = "assessments") -> list[int]:  # type: ignore[no-untyped-def]
    """Run ``during`` at the end of the first check of a file of ``kind``; the checks are
    counted."""
    real = importing.CHECKERS[(kind, "csv")]
    calls: list[int] = []

    def checker(run, path):  # type: ignore[no-untyped-def]
        calls.append(1)
        checked = real(run, path)
        if len(calls) == 1:
            during()  # after the snapshot's checks, before the write
        return checked

    monkeypatch.setitem(importing.CHECKERS, (kind, "csv"), checker)
    return calls


def test_a_save_is_not_kept_waiting_while_the_file_is_checked(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = sqlite_path(str(loaded.engine.url))
    if db is None:
        pytest.skip("the write lock is SQLite's (PostgreSQL writers lock rows)")

    def another_writer() -> None:
        # Would fail at once with "database is locked" if the import held the write lock.
        with sqlite3.connect(db, timeout=0.05) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE patient SET phone = '+1-555-0100' WHERE id = 'P2'")

    calls = _checking_with(monkeypatch, another_writer)
    csv = assessment_csv([{"assessed_on": DAY}])
    import_file(loaded, "assessments", write(tmp_path, "a.csv", csv), "test")
    assert len(calls) == 1  # no audit event for the raw write: nothing to check again
    assert count(loaded, "assessment") == 1


def test_a_change_to_another_patient_needs_no_second_check(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _checking_with(monkeypatch, lambda: _saved_meanwhile(loaded, "P2", "right"))
    csv = assessment_csv([{"assessed_on": DAY}])  # P1's left knee
    import_file(loaded, "assessments", write(tmp_path, "a.csv", csv), "test")
    assert len(calls) == 1 and count(loaded, "assessment") == 2


def test_a_duplicate_saved_meanwhile_is_caught_by_the_second_check(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _checking_with(monkeypatch, lambda: _saved_meanwhile(loaded, "P1", "left"))
    csv = assessment_csv([{"assessed_on": "2026-02-19"}, {"assessed_on": DAY}])
    with pytest.raises(InvalidInput) as refused:
        import_file(loaded, "assessments", write(tmp_path, "a.csv", csv), "test")
    assert len(calls) == 2  # checked again under the lock
    assert "a.csv, line 3" in str(refused.value)
    assert count(loaded, "assessment") == 1  # the coordinator's form only: nothing imported


def test_another_form_of_a_patient_of_the_file_is_rechecked_alone(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A form saved meanwhile for P1 on another day: only P1's rows are looked at again (no
    second pass over the whole file under the lock), and both forms are kept."""
    rechecked: list[set[str]] = []
    real = importing.RECHECKS["assessments"]

    def recheck(conn, batch, patients):  # type: ignore[no-untyped-def]
        rechecked.append(set(patients))
        return real(conn, batch, patients)

    monkeypatch.setitem(importing.RECHECKS, "assessments", recheck)
    calls = _checking_with(monkeypatch, lambda: _saved_meanwhile(loaded, "P1", "left"))
    csv = assessment_csv([{"assessed_on": "2026-02-19"}, {"assessed_on": "2026-02-21"}])
    import_file(loaded, "assessments", write(tmp_path, "a.csv", csv), "test")
    assert rechecked == [{"P1"}] and len(calls) == 1
    assert count(loaded, "assessment") == 3


def test_a_birth_date_moved_after_a_form_meanwhile_is_caught(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from followup.services.patients import edit_patient

    def corrected() -> None:
        edit_patient(loaded, "P1", {"birth_date": date(2010, 6, 1)}, "nina", "typo")

    calls = _checking_with(monkeypatch, corrected)
    csv = assessment_csv([{"assessed_on": "2026-02-21"}, {"assessed_on": "2010-05-01"}])
    with pytest.raises(InvalidInput) as refused:
        import_file(loaded, "assessments", write(tmp_path, "a.csv", csv), "test")
    assert len(calls) == 2  # the recheck found it: the whole file was checked again
    assert "a.csv, line 3, column assessed_on: is before the patient's birth date" in str(
        refused.value
    )
    assert count(loaded, "assessment") == 0


def _contacts(*times: str) -> str:
    return "patient_id,contacted_at,outcome\n" + "".join(f"P1,{t},reached\n" for t in times)


def test_a_contact_logged_meanwhile_is_rechecked_alone_or_refused_when_the_same(
    loaded: Context,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import datetime

    from followup.services.log_call import log_contact

    at = "2026-02-20T09:30:00+09:00"

    def logged() -> None:
        log_contact(loaded, "P1", "reached", "nina", at=datetime.fromisoformat(at))

    calls = _checking_with(monkeypatch, logged, "contacts")
    path = write(tmp_path, "c.csv", _contacts("2026-02-19T09:30:00+09:00", at))
    with pytest.raises(InvalidInput) as refused:
        import_file(loaded, "contacts", path, "test")
    assert len(calls) == 2
    assert "c.csv, line 3, column contacted_at: the same contact is already in the database" in (
        str(refused.value)
    )
    assert count(loaded, "contact") == 1

    def another_logged() -> None:
        log_contact(loaded, "P1", "reached", "nina", at=datetime.fromisoformat(later))

    later = "2026-02-22T09:30:00+09:00"
    calls = _checking_with(monkeypatch, another_logged, "contacts")
    import_file(
        loaded,
        "contacts",
        write(tmp_path, "c2.csv", _contacts("2026-02-18T09:30:00+09:00")),
        "test",
    )
    assert len(calls) == 1  # P1 changed, but its rows pass again: no second pass
    assert count(loaded, "contact") == 3
