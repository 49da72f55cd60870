"""Whole-cohort evaluation is incremental: it re-runs only the episodes whose patient changed or
whose stable range does not hold the new day, and it must store exactly what a full run
stores. Each check compares the open flags with a full run on a copy of the same database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context
from followup.services.decide import decide
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.services.review_queue import open_flags
from followup.store.backup import sqlite_backup
from tests.conftest import make_context


def stored(ctx: Context) -> list[tuple]:
    """The open flags' content (ids differ between databases) and every episode's current call
    (the worklist reads its pages from them)."""
    with ctx.engine.connect() as conn:
        calls = conn.execute(
            text(
                "SELECT treatment_id, knee, call_timepoint, call_due_on, call_window_start, "
                "call_window_end, call_reason FROM episode_evaluation ORDER BY treatment_id"
            )
        ).all()
    return [tuple(c) for c in calls] + sorted(
        (
            f.treatment_id,
            f.kind,
            f.level,
            f.raised_on,
            f.booster_check_by,
            f.summary,
            json.dumps(f.evidence, sort_keys=True),
        )  # fmt: skip
        for f in open_flags(ctx)
    )


def full_run(ctx: Context, as_of: date, tmp_path: Path, **settings: object) -> list[tuple]:
    """What a full evaluation stores on a copy of ``ctx``'s database as it is now."""
    copy = tmp_path / f"full-{as_of.isoformat()}.db"
    # The backup API, not a file copy: recent writes may still be in the write-ahead log.
    sqlite_backup(ctx.engine, copy)
    other = make_context(f"sqlite:///{copy}", **settings)
    try:
        evaluate_cohort(other, as_of, full=True)
        return stored(other)
    finally:
        other.close()
        copy.unlink()


def episode_count(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM treatment")).scalar_one()


def test_moving_day_by_day_matches_a_full_run(demo_ctx: Context, tmp_path: Path) -> None:
    today = demo_ctx.today()
    everyone = episode_count(demo_ctx)
    for step, offset in enumerate((0, 1, 7, 45, -300, 400, 0)):
        as_of = today + timedelta(days=offset)
        result = evaluate_cohort(demo_ctx, as_of)
        if step == 0:  # the demo was evaluated today: nothing to redo
            assert result.episodes == 0
        if step == 1:  # tomorrow: at most the few whose result changes (ranges look a week on)
            assert result.episodes < everyone / 4, result
        if step == 3:  # 45 days on, beyond the week the ranges looked ahead: some re-run
            assert 0 < result.episodes, result
        assert stored(demo_ctx) == full_run(demo_ctx, as_of, tmp_path), offset


def test_a_patients_change_is_picked_up(demo_ctx: Context, tmp_path: Path) -> None:
    today = demo_ctx.today()
    flag = next(f for f in open_flags(demo_ctx) if f.kind == "wearing_off")
    decide(demo_ctx, flag.id, "continue_monitoring", "Recheck in 6 weeks", "doctor")
    with demo_ctx.engine.connect() as conn:
        pid, knee = conn.execute(
            text("SELECT patient_id, knee FROM treatment ORDER BY id LIMIT 1 OFFSET 30")
        ).one()
    # Saved a week ago (as a coordinator would with the phone entry's date), so the knee's own
    # re-evaluation as of today cannot already hold the result for ten days later.
    entry = AssessmentEntry(pid, knee, today - timedelta(days=7), "phone",
                            {k: 4 for k in ITEM_KEYS}, adverse_event="swollen and hot")  # fmt: skip
    record_assessment(demo_ctx, entry, "demo")
    later = today + timedelta(days=10)
    result = evaluate_cohort(demo_ctx, later)
    assert result.episodes < episode_count(demo_ctx)
    assert stored(demo_ctx) == full_run(demo_ctx, later, tmp_path)
    assert any(f.patient_id == pid and f.kind == "safety" for f in open_flags(demo_ctx))


def test_a_treatment_never_evaluated_is_picked_up(demo_ctx: Context, tmp_path: Path) -> None:
    """A treatment with no stored result (written outside the services, as a hand repair
    would): the next incremental run evaluates its patient although the audit trail is
    silent."""
    with demo_ctx.engine.begin() as conn:
        pid = conn.execute(text("SELECT id FROM patient ORDER BY id LIMIT 1 OFFSET 7")).scalar()
        conn.execute(
            text(
                "INSERT INTO treatment (id, patient_id, knee, treated_on, product, route, "
                "entered_in_error, created_at, created_by) VALUES ('TNEW', :p, 'right', "
                "'2026-06-01', 'prp', 'intra_articular', false, '2026-06-01 00:00:00', 't')"
            ),
            {"p": pid},
        )
    result = evaluate_cohort(demo_ctx, demo_ctx.today())
    assert 0 < result.episodes < episode_count(demo_ctx)
    assert stored(demo_ctx) == full_run(demo_ctx, demo_ctx.today(), tmp_path)
    assert "TNEW" in {row[0] for row in stored(demo_ctx) if len(row) == 7}


def test_a_change_in_the_audit_trail_re_runs_that_patient(
    demo_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every range still holds (same day), so only the audit trail can say the patient changed.
    The save's own re-evaluation of the knee is switched off to leave the cohort run to it."""
    monkeypatch.setattr(
        "followup.services.record_assessment.reevaluate_knee", lambda *args, **kwargs: []
    )
    today = demo_ctx.today()
    with demo_ctx.engine.connect() as conn:
        pid, knee = conn.execute(
            text("SELECT patient_id, knee FROM treatment ORDER BY id LIMIT 1 OFFSET 30")
        ).one()
    assert not any(f.patient_id == pid and f.kind == "safety" for f in open_flags(demo_ctx))
    entry = AssessmentEntry(pid, knee, today, "phone", {k: 2 for k in ITEM_KEYS},
                            adverse_event="swollen and hot")  # fmt: skip
    record_assessment(demo_ctx, entry, "demo")
    result = evaluate_cohort(demo_ctx, today)
    assert 0 < result.episodes < episode_count(demo_ctx)
    assert any(f.patient_id == pid and f.kind == "safety" for f in open_flags(demo_ctx))
    assert stored(demo_ctx) == full_run(demo_ctx, today, tmp_path)


def import_safety_events(
    ctx: Context, knees: Sequence[tuple[str, str]], on: date, csv_file: Path
) -> None:
    """Import, from a CSV file, one worst-case paper form with an adverse event per knee."""
    from followup.services.importing import import_file

    header = "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS) + ",adverse_event"
    answers = ",".join("4" for _ in ITEM_KEYS)
    lines = [
        f"{pid},{knee},{on.isoformat()},paper,{answers},hot swollen knee" for pid, knee in knees
    ]
    csv_file.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    import_file(ctx, "assessments", csv_file, "coordinator")


def test_an_import_re_runs_the_patients_it_names(demo_ctx: Context, tmp_path: Path) -> None:
    today = demo_ctx.today()
    with demo_ctx.engine.connect() as conn:
        knees = conn.execute(
            text("SELECT patient_id, knee FROM treatment ORDER BY id LIMIT 3 OFFSET 40")
        ).all()
    import_safety_events(demo_ctx, knees, today - timedelta(days=2), tmp_path / "week.csv")
    result = evaluate_cohort(demo_ctx, today)
    assert 0 < result.episodes < episode_count(demo_ctx) / 4
    safety = {f.patient_id for f in open_flags(demo_ctx) if f.kind == "safety"}
    assert {pid for pid, _knee in knees} <= safety
    assert stored(demo_ctx) == full_run(demo_ctx, today, tmp_path)


def test_other_rules_re_run_everyone(demo_ctx: Context, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('version = "clinic-1"\n[wearing_off]\nmin_run_days = 7\n', encoding="utf-8")
    url = f"sqlite:///{demo_ctx.engine.url.database}"
    clinic = make_context(url, rules_path=rules)
    try:
        result = evaluate_cohort(clinic)
        assert result.episodes == episode_count(clinic)
        assert stored(clinic) == full_run(clinic, clinic.today(), tmp_path, rules_path=rules)
        assert {f.rule_set_version for f in open_flags(clinic)} == {"clinic-1"}
    finally:
        clinic.close()


@pytest.mark.postgres
def test_incremental_runs_on_postgresql(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same stored ranges and incremental choice on PostgreSQL (its dates come back as dates,
    not text)."""
    from followup.services import evaluate_flags as flag_service
    from followup.services.demo import load_demo

    pg = make_context(pg_url)
    try:
        load_demo(pg, "test")  # evaluates the whole cohort
        again = evaluate_cohort(pg)
        assert again.episodes == 0
        for days in (1, 30):
            later = pg.today() + timedelta(days=days)
            step = evaluate_cohort(pg, later)
            if days == 1:
                assert step.episodes < episode_count(pg) / 4
            else:  # beyond the week the stored ranges looked ahead
                assert 0 < step.episodes
            # A full run finds nothing to change: the incremental one stored the same flags.
            full = evaluate_cohort(pg, later, full=True)
            assert full.episodes == episode_count(pg)
            assert (full.raised, full.updated, full.cleared) == (0, 0, 0)
        # In batches of a few patients each, every batch written in its own transaction.
        monkeypatch.setattr(flag_service, "BATCH_PATIENTS", 40)
        batched = evaluate_cohort(pg, later, full=True)
        assert batched.episodes == episode_count(pg)
        assert (batched.raised, batched.updated, batched.cleared) == (0, 0, 0)
    finally:
        pg.close()


@pytest.mark.parametrize("full", [True, False])
def test_an_evaluation_written_meanwhile_is_taken_into_account(
    demo_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    """Each batch is compared with the stored flags and ranges inside the transaction that
    writes it. When another evaluation writes its result between this one's snapshot and its
    write, this one finds it all done already (it does not raise the same flags twice)."""
    from followup.services import evaluate_flags as flag_service

    later = demo_ctx.today() + timedelta(days=60)
    url = str(demo_ctx.engine.url)
    write = flag_service._write_batch
    other_ran = []

    def another_evaluation_writes_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not other_ran:
            other_ran.append(True)
            other = make_context(url)
            try:
                evaluate_cohort(other, later)
            finally:
                other.close()
        return write(*args, **kwargs)

    monkeypatch.setattr(flag_service, "_write_batch", another_evaluation_writes_first)
    monkeypatch.setattr(flag_service, "BATCH_PATIENTS", 40)
    result = evaluate_cohort(demo_ctx, later, full=full)
    assert other_ran
    assert result.raised == result.updated == result.cleared == 0  # the other wrote it all
    monkeypatch.undo()
    assert stored(demo_ctx) == full_run(demo_ctx, later, tmp_path)


def test_an_import_landing_during_an_evaluation_has_it_evaluated_again(
    demo_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import too large to name its patients lands after the first batch is written: the
    batches still to write may be stale, so the evaluation starts again on a new snapshot; the
    second time it lands again, and everyone is evaluated inside the writing transaction.
    Either way the stored flags are what a full run gives on the data as it ends up."""
    from followup.services import evaluate_flags as flag_service
    from followup.services import importing

    monkeypatch.setattr(importing, "NOTED_PATIENTS_MAX", 0)  # every import is "too large"
    today = demo_ctx.today()
    with demo_ctx.engine.connect() as conn:
        knees = conn.execute(
            text("SELECT patient_id, knee FROM treatment ORDER BY id DESC LIMIT 2")
        ).all()
    write = flag_service._write_batch
    imports: list[int] = []
    snapshots: list[bool] = []
    real_evaluate = flag_service._evaluate

    def evaluate(*args, **kwargs):  # type: ignore[no-untyped-def]
        snapshots.append(True)
        return real_evaluate(*args, **kwargs)

    def an_import_lands(*args, **kwargs):  # type: ignore[no-untyped-def]
        written = write(*args, **kwargs)
        if len(imports) < 2:  # after the first batch of each of the two snapshot attempts
            which = len(imports)
            import_safety_events(demo_ctx, knees[which : which + 1], today,
                                 tmp_path / f"import-{which}.csv")  # fmt: skip
            imports.append(1)
        return written

    monkeypatch.setattr(flag_service, "_evaluate", evaluate)
    monkeypatch.setattr(flag_service, "_write_batch", an_import_lands)
    monkeypatch.setattr(flag_service, "BATCH_PATIENTS", 40)
    result = evaluate_cohort(demo_ctx, today, full=True)
    monkeypatch.undo()
    assert len(imports) == 2 and len(snapshots) == 2  # two snapshots, then inside the write
    assert result.episodes == episode_count(demo_ctx)
    safety = {f.patient_id for f in open_flags(demo_ctx) if f.kind == "safety"}
    assert {pid for pid, _knee in knees} <= safety
    assert stored(demo_ctx) == full_run(demo_ctx, today, tmp_path)
    again = evaluate_cohort(demo_ctx, today)  # the record written last says what is done
    assert again.episodes == 0


def test_worker_processes_store_what_one_process_stores(
    demo_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large run is evaluated in worker processes, batch by batch: full and incremental, it
    stores exactly what one process does."""
    from followup.services import evaluate_flags as flag_service

    later = demo_ctx.today() + timedelta(days=45)
    alone = full_run(demo_ctx, later, tmp_path)
    monkeypatch.setattr(flag_service, "BATCH_PATIENTS", 40)
    monkeypatch.setattr(flag_service, "PARALLEL_MIN_PATIENTS", 1)
    monkeypatch.setattr(flag_service.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(flag_service, "INCREMENTAL_MAX_SHARE", 1.0)  # never a full run instead
    started: list[int] = []
    real_pool = flag_service.ProcessPoolExecutor

    def counting_pool(workers: int, **kwargs: object) -> object:
        started.append(workers)
        return real_pool(workers, **kwargs)

    monkeypatch.setattr(flag_service, "ProcessPoolExecutor", counting_pool)
    assert full_run(demo_ctx, later, tmp_path) == alone
    assert started == [2]
    step = evaluate_cohort(demo_ctx, later)  # incremental: the patients whose days changed
    assert 0 < step.episodes < episode_count(demo_ctx) and started == [2, 2]
    assert stored(demo_ctx) == alone
