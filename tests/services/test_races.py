"""Simultaneous writers on one row, on SQLite and PostgreSQL: each writer is its own process
with its own engine (as separate kiosk or staff processes are) and all start at a barrier.
Wrong guesses count one each, a flag is decided once, two saves on one knee both land with one
open flag, and a whole-cohort evaluation waits for a save on one of its patients."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from followup.domain.instrument import ITEM_KEYS
from followup.services import staff as staff_service
from followup.services.context import Context
from followup.services.decide import AlreadyDecided, decide, decisions_for
from followup.services.importing import import_file
from followup.services.patient_codes import CodeRefused, issue_code, verify_code
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.review_queue import open_flags
from followup.services.staff import SignInRefused, add_user, sign_in
from followup.store.engine import read_session
from followup.store.models import Assessment, AuditEvent, PatientCode, StaffUser
from tests.conftest import make_context

WRONG = "AAAA-AAAA"
PASSWORD = "correct-horse"


def _run_one(
    url: str,
    work: Callable[[Context], Any],
    settings: dict[str, object],
    start: Any,
    results: Any,
    index: int,
) -> None:
    """One writer process: its own engine, released with the others, its result (or the
    exception it raised) sent back by index."""
    ctx = make_context(url, **settings)
    try:
        start.wait(timeout=60)
        result: Any = work(ctx)
    except Exception as exc:  # noqa: BLE001 - the test looks at what each one got
        result = exc
    finally:
        ctx.close()
    results.put((index, result))


def at_once(url: str, works: list[Callable[[Context], Any]], **settings: object) -> list[Any]:
    """Run each work in its own process (forked, so the works need not be importable) with its
    own engine, as separate kiosk or staff processes would, all released together at a barrier;
    returns each result or the exception it raised, in order."""
    mp = multiprocessing.get_context("fork")
    start = mp.Barrier(len(works))
    results = mp.Queue()
    processes = [
        mp.Process(target=_run_one, args=(url, work, settings, start, results, i))
        for i, work in enumerate(works)
    ]
    for process in processes:
        process.start()
    got = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0, f"writer process ended with {process.exitcode}"
    return [got[i] for i in range(len(works))]


@pytest.fixture
def small_clinic(any_ctx: Context, tmp_path: Path) -> Context:
    """P1 with a treated left knee and a baseline; P1 has a self-report code."""
    files = {
        "patients": "patient_id,name,birth_date\nP1,Ann Example,1950-01-01\n",
        "treatments": "treatment_id,patient_id,knee,treated_on,product\n"
        "T1,P1,left,2026-01-10,prp\n",
        "assessments": "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS) + "\n"
        "P1,left,2026-01-05,phone," + ",".join(["2"] * len(ITEM_KEYS)) + "\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(any_ctx, kind, path, "test")
    return any_ctx


def _url(ctx: Context) -> str:
    return ctx.settings.database_url


def _code_row(ctx: Context) -> PatientCode:
    with read_session(ctx.engine) as session:
        query = select(PatientCode).where(PatientCode.revoked_at == None)  # noqa: E711
        return session.exec(query).one()


def _events(ctx: Context, action: str) -> int:
    with read_session(ctx.engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _guess(ctx: Context) -> object:
    return verify_code(ctx, "P1", WRONG)


def test_ten_simultaneous_wrong_codes_count_ten(small_clinic: Context) -> None:
    issue_code(small_clinic, "P1", "test")
    results = at_once(_url(small_clinic), [_guess] * 10, code_max_failures=20)
    assert all(isinstance(r, CodeRefused) for r in results), results
    assert _code_row(small_clinic).failed_attempts == 10
    assert _events(small_clinic, "self_report_code_wrong") == 10


def test_a_burst_of_wrong_codes_locks_the_code_after_the_limit(small_clinic: Context) -> None:
    code = issue_code(small_clinic, "P1", "test").code
    results = at_once(_url(small_clinic), [_guess] * 10)  # the limit is 5
    assert all(isinstance(r, CodeRefused) for r in results), results
    assert _code_row(small_clinic).failed_attempts == 5
    assert _events(small_clinic, "self_report_code_wrong") == 5  # no more were checked
    with pytest.raises(CodeRefused):
        verify_code(small_clinic, "P1", code)  # locked: the right code no longer signs in


def _wrong_password(ctx: Context) -> object:
    return sign_in(ctx, "nina", "wrong-password")


def test_ten_simultaneous_wrong_passwords_count_ten(
    small_clinic: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(small_clinic, "nina", PASSWORD, "coordinator", "boss")
    monkeypatch.setattr(staff_service, "MAX_FAILURES", 20)
    results = at_once(_url(small_clinic), [_wrong_password] * 10)
    assert all(isinstance(r, SignInRefused) for r in results), results
    with read_session(small_clinic.engine) as session:
        nina = session.exec(select(StaffUser).where(StaffUser.username == "nina")).one()
    assert (nina.failed_attempts, nina.locked_until) == (10, None)
    assert _events(small_clinic, "sign_in_failed") == 10


def test_a_burst_of_wrong_passwords_locks_the_account(small_clinic: Context) -> None:
    add_user(small_clinic, "nina", PASSWORD, "coordinator", "boss")
    results = at_once(_url(small_clinic), [_wrong_password] * 10)
    assert all(isinstance(r, SignInRefused) for r in results), results
    assert _events(small_clinic, "sign_in_failed") == staff_service.MAX_FAILURES
    with pytest.raises(SignInRefused):
        sign_in(small_clinic, "nina", PASSWORD)  # locked


def _problem(ctx: Context) -> object:
    entry = AssessmentEntry(
        "P1", "left", ctx.today(), "phone", {k: 2 for k in ITEM_KEYS}, adverse_event="swelling"
    )
    return record_assessment(ctx, entry, "coordinator")


def test_two_saves_on_one_knee_at_once_both_land_with_one_open_flag(
    small_clinic: Context,
) -> None:
    results = at_once(_url(small_clinic), [_problem, _problem])
    assert not [r for r in results if isinstance(r, Exception)], results
    with read_session(small_clinic.engine) as session:
        saved = session.exec(select(Assessment).where(Assessment.adverse_event != None)).all()  # noqa: E711
    assert len(saved) == 2
    kinds = [f.kind for f in open_flags(small_clinic)]
    assert kinds.count("safety") == 1 and len(kinds) == len(set(kinds))


def test_two_reviewers_deciding_one_flag_at_once(small_clinic: Context) -> None:
    _problem(small_clinic)
    [flag] = [f for f in open_flags(small_clinic) if f.kind == "safety"]

    def reviewer(name: str, decision: str) -> Callable[[Context], object]:
        return lambda ctx: decide(ctx, flag.id, decision, f"{name} says so", name)

    results = at_once(_url(small_clinic), [reviewer("ada", "refer"), reviewer("bob", "dismissed")])
    refused = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(refused) == 1, results
    [recorded] = decisions_for(small_clinic, [flag.id])[flag.id]
    when = recorded.decided_at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert str(refused[0]).startswith(
        f"flag {flag.id} was already decided by {recorded.reviewer} at {when}"
    )
    assert recorded.status == "in_force"


def _save_held_open(url: str, saved: Any, release: Any) -> None:
    """A save's transaction on P1's left knee, its new flags stored, kept open until
    ``release`` is set (as a slow save would be)."""
    from followup.services.evaluate_flags import reevaluate_knee
    from followup.store.engine import write_session

    ctx = make_context(url)
    try:
        with write_session(ctx.engine) as session:
            reevaluate_knee(session, ctx, "P1", "left")
            session.flush()
            saved.set()
            release.wait(timeout=30)
    finally:
        ctx.close()


def test_a_cohort_evaluation_waits_for_a_save_on_one_of_its_patients(
    small_clinic: Context, tmp_path: Path
) -> None:
    """The whole-cohort evaluation read its snapshot before a save on P1 committed; writing
    its batch, it must not add P1's safety flag a second time (on PostgreSQL: a unique
    violation that failed the evaluation or the save)."""
    from followup.services.evaluate_flags import evaluate_cohort

    problem = tmp_path / "problem.csv"
    problem.write_text(
        "patient_id,knee,assessed_on,source,adverse_event," + ",".join(ITEM_KEYS) + "\n"
        "P1,left,2026-02-10,phone,swelling," + ",".join(["2"] * len(ITEM_KEYS)) + "\n",
        encoding="utf-8",
    )
    import_file(small_clinic, "assessments", problem, "test")  # no flag stored yet
    mp = multiprocessing.get_context("fork")
    saved, release = mp.Event(), mp.Event()
    save = mp.Process(target=_save_held_open, args=(_url(small_clinic), saved, release))
    save.start()
    try:
        assert saved.wait(timeout=30)
        threading.Timer(1.5, release.set).start()  # the save commits while the batch waits
        evaluate_cohort(small_clinic, full=True)
    finally:
        release.set()
        save.join(timeout=30)
    assert save.exitcode == 0
    kinds = [f.kind for f in open_flags(small_clinic)]
    assert kinds.count("safety") == 1, kinds
