"""Flag lifecycle on the demo clinic: stored flags follow the rules, decisions close flags until
newer evidence, saving an assessment re-evaluates at once, and the parallel whole-cohort path
gives exactly the serial answer."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.domain.instrument import ITEM_KEYS
from followup.errors import FollowupError, NotFound
from followup.services.call_list import VIEWS, call_page, due_list
from followup.services.context import Context
from followup.services.decide import amend, decide
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.record_assessment import (
    AssessmentEntry,
    mark_entered_in_error,
    record_assessment,
)
from followup.services.review_queue import LEVEL_ORDER, open_flag_summaries, open_flags
from tests.conftest import FROZEN_NOW, make_context

MANIFEST = Path(__file__).resolve().parents[2] / "tools" / "demo_manifest.csv"
# The demo loader's story decides these knees' flags (a booster scheduled, a decision reopened).
STORY_ARCHETYPES = {"booster_story", "reopen_story"}


def knee_without_open_flags(ctx: Context) -> tuple[str, str]:
    """A treated knee of a patient with no open flag at all (a clean slate for a new one)."""
    with ctx.engine.connect() as conn:
        pid, knee = conn.execute(
            text(
                "SELECT patient_id, knee FROM treatment t WHERE NOT EXISTS (SELECT 1 FROM flag f "
                "WHERE f.patient_id = t.patient_id AND f.status = 'open') ORDER BY id LIMIT 1"
            )
        ).one()
    return pid, knee


def demo_manifest() -> list[dict[str, str]]:
    """Each demo patient's archetype, expected flag and index knee (the generator's intent)."""
    with open(MANIFEST, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def assert_the_demo_tells_its_archetypes(ctx: Context) -> None:
    """Every demo patient's index knee has the flag its archetype promises and no other; the
    other knee only what the archetype allows there; a confirmation-due knee's current call is
    its confirmation call; at least five kinds of flag are open. The story knees (the demo
    loader decides their flags) need their wear-off flag, open or decided."""
    from tools.synthetic import OTHER_KNEE_FLAGS

    open_on: dict[str, set[tuple[str, str]]] = {}
    for flag in open_flags(ctx):
        open_on.setdefault(flag.patient_id, set()).add((flag.treatment_id, flag.kind))
    with ctx.engine.connect() as conn:
        ever = set(conn.execute(text("SELECT treatment_id, kind FROM flag")).all())
    calls = due_list(ctx, days=30)
    week = ctx.today() + timedelta(days=7)
    due = {(i.patient_id, i.knee) for i in calls if i.status == "due" and i.due_on <= week}
    confirm = {(i.patient_id, i.knee) for i in calls if i.timepoint == "confirm"}
    for row in demo_manifest():
        pid, tid, arch, kind = (
            row["patient_id"],
            row["index_treatment_id"],
            row["archetype"],
            row["expected_flag"],
        )
        key = (pid, row["index_knee"])
        mine = open_on.get(pid, set())
        if arch in STORY_ARCHETYPES:
            assert (tid, kind) in ever, f"{pid} ({arch}) should have had {kind}"
            continue
        if kind == "due":
            assert key in due, f"{key} should be on this week's call list"
        elif kind:
            assert (tid, kind) in mine, f"{pid} ({arch}) should have {kind}, has {mine}"
        if arch == "confirmation_due":
            assert key in confirm, f"{key}'s current call should be its confirmation call"
        allowed = OTHER_KNEE_FLAGS.get(arch, set())
        stray = {(t, k) for t, k in mine if k not in ({kind} if t == tid else allowed)}
        assert not stray, f"{pid} ({arch}) should have only {kind or 'no flag'}, has {stray}"
    kinds = {k for flags in open_on.values() for _, k in flags}
    assert len(kinds) >= 5, kinds


def test_demo_flags_match_the_archetypes_the_cohort_was_built_with(demo_ctx: Context) -> None:
    assert_the_demo_tells_its_archetypes(demo_ctx)
    archetypes = {row["archetype"] for row in demo_manifest()}
    assert {"confirmation_due", "no_baseline", *STORY_ARCHETYPES} <= archetypes


@pytest.mark.parametrize("days", [-7, 7])
def test_the_demo_tells_the_same_story_on_other_days(days: int, tmp_path: Path) -> None:
    """The loader shifts every date to "today", and month lengths then move follow-up windows
    by a day or two: the demo must still show every archetype (and five kinds of flag) when it
    is loaded a week before or after its anchor day."""
    from followup.services.demo import load_demo

    ctx = make_context(f"sqlite:///{tmp_path / 'demo.db'}", now=FROZEN_NOW + timedelta(days))
    try:
        load_demo(ctx, "test")
        assert_the_demo_tells_its_archetypes(ctx)
    finally:
        ctx.close()


def test_evaluation_is_idempotent(demo_ctx: Context) -> None:
    before = [(f.id, f.kind, f.evidence) for f in open_flags(demo_ctx)]
    result = evaluate_cohort(demo_ctx)
    assert (result.raised, result.updated, result.cleared) == (0, 0, 0)
    assert [(f.id, f.kind, f.evidence) for f in open_flags(demo_ctx)] == before


def test_a_decision_closes_the_flag_until_newer_evidence(demo_ctx: Context) -> None:
    flag = next(f for f in open_flags(demo_ctx) if f.kind == "wearing_off")
    decide(demo_ctx, flag.id, "continue_monitoring", "Recheck in 6 weeks", "doctor")
    evaluate_cohort(demo_ctx)
    assert flag.id not in {f.id for f in open_flags(demo_ctx)}
    assert not any(
        f.treatment_id == flag.treatment_id and f.kind == "wearing_off"
        for f in open_flags(demo_ctx)
    )
    # Amending (tests/services/test_decisions_and_treatments.py) keeps it closed.
    amend(demo_ctx, flag.id, "refer", "again", "doctor")
    assert flag.id not in {f.id for f in open_flags(demo_ctx)}
    # A later, still-worse assessment is newer evidence: the kind is raised again.
    later = demo_ctx.today() + timedelta(days=1)
    ctx2 = make_context(str(demo_ctx.engine.url), now=demo_ctx.now() + timedelta(days=1))
    record_assessment(
        ctx2,
        AssessmentEntry(flag.patient_id, flag.knee, later, "phone", {k: 4 for k in ITEM_KEYS}),
        "demo",
    )
    reraised = [
        f
        for f in open_flags(ctx2)
        if f.treatment_id == flag.treatment_id and f.kind == "wearing_off"
    ]
    assert reraised and reraised[0].id != flag.id
    ctx2.close()


def test_decision_needs_a_known_flag_a_valid_decision_and_a_note(demo_ctx: Context) -> None:
    flag = open_flags(demo_ctx)[0]
    with pytest.raises(NotFound):
        decide(demo_ctx, 999_999, "refer", "x", "doctor")
    with pytest.raises(FollowupError, match="decision must be"):
        decide(demo_ctx, flag.id, "ignore", "x", "doctor")
    with pytest.raises(FollowupError, match="note"):
        decide(demo_ctx, flag.id, "refer", "   ", "doctor")


def test_saving_an_adverse_event_raises_safety_at_once(demo_ctx: Context) -> None:
    pid, knee = knee_without_open_flags(demo_ctx)
    saved = record_assessment(
        demo_ctx,
        AssessmentEntry(
            pid,
            knee,
            demo_ctx.today(),
            "phone",
            {k: 1 for k in ITEM_KEYS},
            adverse_event="hot swollen knee since Tuesday",
        ),  # fmt: skip
        "demo",
    )
    assert "safety" in saved.new_kinds
    assert any(f.kind == "safety" for f in open_flags(demo_ctx, pid))
    # Marking it entered in error clears the flag again, and the audit keeps the reason.
    mark_entered_in_error(demo_ctx, saved.id, "entered for the wrong patient", "demo")
    assert not any(f.kind == "safety" and f.knee == knee for f in open_flags(demo_ctx, pid))
    with demo_ctx.engine.connect() as conn:
        row = conn.execute(
            text("SELECT entered_in_error, error_reason FROM assessment WHERE id = :i"),
            {"i": saved.id},
        ).one()
        reasons = (
            conn.execute(text("SELECT reason FROM audit_event WHERE action = 'entered_in_error'"))
            .scalars()
            .all()
        )
    assert tuple(row) == (1, "entered for the wrong patient")
    assert reasons == ["entered for the wrong patient"]


def test_bad_entries_are_refused_and_nothing_is_saved(demo_ctx: Context) -> None:
    def count() -> int:
        with demo_ctx.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM assessment")).scalar_one()

    before = count()
    answers = {k: 2 for k in ITEM_KEYS}
    bad = [
        AssessmentEntry("P0001", "left", demo_ctx.today() + timedelta(days=1), "phone", answers),
        AssessmentEntry("P0001", "middle", demo_ctx.today(), "phone", answers),
        AssessmentEntry("P0001", "left", demo_ctx.today(), "phone", {**answers, "p1": 5}),
        AssessmentEntry("P0001", "left", demo_ctx.today(), "phone", {k: None for k in ITEM_KEYS}),
        AssessmentEntry("P0001", "left", demo_ctx.today(), "phone", answers, pain_nrs=11),
        AssessmentEntry("NOPE", "left", demo_ctx.today(), "phone", answers),
    ]
    for entry in bad:
        with pytest.raises(FollowupError):
            record_assessment(demo_ctx, entry, "demo")
    assert count() == before


@pytest.mark.postgres
def test_same_flags_and_calls_on_postgresql(demo_ctx: Context, pg_url: str) -> None:
    from followup.services.demo import load_demo

    pg = make_context(pg_url)
    load_demo(pg, "test")
    evaluate_cohort(pg)
    on_pg = sorted((f.treatment_id, f.kind, f.summary, f.raised_on) for f in open_flags(pg))
    on_sqlite = sorted(
        (f.treatment_id, f.kind, f.summary, f.raised_on) for f in open_flags(demo_ctx)
    )
    calls_pg, calls_sqlite = due_list(pg), due_list(demo_ctx)
    pages = {}
    for name, ctx in (("pg", pg), ("sqlite", demo_ctx)):  # the worklist's pages, on either
        pages[name] = [
            (p.total, p.counts, [c.patient_id for c in p.calls])
            for p in (call_page(ctx, view, page_size=20) for view in VIEWS)
        ]
    assert_listed_in_review_order(pg)
    pg.close()
    assert on_pg == on_sqlite
    assert calls_pg == calls_sqlite and calls_pg
    assert pages["pg"] == pages["sqlite"]


def assert_listed_in_review_order(ctx: Context) -> None:
    """Open flags come urgent -> action -> watch, then oldest first, then by id (the database
    sorts them), and the command line's short listing holds the same flags in the same order."""
    views = open_flags(ctx)
    assert {v.level for v in views} == set(LEVEL_ORDER)  # every level present: order is tested
    expected = sorted(views, key=lambda v: (LEVEL_ORDER[v.level], v.raised_on, v.id))
    assert [v.id for v in views] == [v.id for v in expected]
    assert open_flag_summaries(ctx) == [
        (v.id, v.level, v.kind, v.patient_id, v.knee, v.summary) for v in views
    ]


def test_open_flags_are_listed_in_review_order(demo_ctx: Context) -> None:
    assert_listed_in_review_order(demo_ctx)


def test_a_booster_after_booster_scheduled_links_and_uses_a_banked_dose(
    demo_ctx: Context, tmp_path: Path
) -> None:
    from followup.services.importing import import_file

    with demo_ctx.engine.connect() as conn:
        flag_id, tid, pid, knee, banked = conn.execute(
            text(
                "SELECT f.id, t.id, t.patient_id, t.knee, t.banked_doses FROM flag f "
                "JOIN treatment t ON t.id = f.treatment_id WHERE f.status = 'open' "
                "AND f.kind = 'booster_window' AND t.banked_doses > 0 ORDER BY f.id LIMIT 1"
            )
        ).one()
    decide(demo_ctx, flag_id, "booster_scheduled", "Thaw banked dose", "doctor")
    path = tmp_path / "booster.csv"
    path.write_text(
        "treatment_id,patient_id,knee,treated_on,product\n"
        f"TB1,{pid},{knee},{demo_ctx.today().isoformat()},adsc_cultured\n"
    )
    result = import_file(demo_ctx, "treatments", path, "demo")
    assert result.notes == {"boosters linked to a scheduled booster decision": 1}
    with demo_ctx.engine.connect() as conn:
        row = conn.execute(
            text("SELECT booster_of, banked_doses FROM treatment WHERE id = 'TB1'")
        ).one()
    assert tuple(row) == (tid, banked - 1)


@pytest.mark.parametrize("lands", ["before any batch is written", "after every batch is written"])
def test_a_save_during_a_cohort_evaluation_keeps_its_flag(
    demo_ctx: Context, monkeypatch: pytest.MonkeyPatch, lands: str
) -> None:
    """The cohort is evaluated on a read snapshot and written in batches; a save that lands
    meanwhile raised its own flag in its own transaction, and the cohort's (older) result must
    not clear it: neither when the patient's batch is written after the save (the patient is
    redone in that batch's transaction) nor when it was written before (the save came later)."""
    from followup.services import evaluate_flags as flag_service

    pid, knee = knee_without_open_flags(demo_ctx)
    real = flag_service._evaluate

    def save() -> None:
        entry = AssessmentEntry(pid, knee, demo_ctx.today(), "phone", {k: 1 for k in ITEM_KEYS},
                                adverse_event="fever and a hot knee")  # fmt: skip
        record_assessment(demo_ctx, entry, "demo")

    def evaluate_while_a_coordinator_saves(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches = real(*args, **kwargs)
        first = next(batches)  # the snapshot's answer: no safety flag for pid
        if lands.startswith("before"):
            save()
        yield first
        yield from batches
        if lands.startswith("after"):
            save()

    monkeypatch.setattr(flag_service, "_evaluate", evaluate_while_a_coordinator_saves)
    monkeypatch.setattr(flag_service, "BATCH_PATIENTS", 40)
    evaluate_cohort(demo_ctx, full=True)
    monkeypatch.setattr(flag_service, "_evaluate", real)
    safety = [f for f in open_flags(demo_ctx, pid) if f.kind == "safety"]
    assert len(safety) == 1
    evaluate_cohort(demo_ctx)  # the next run redoes the patient (changed after its snapshot)
    assert [f.id for f in open_flags(demo_ctx, pid) if f.kind == "safety"] == [safety[0].id]
    with demo_ctx.engine.connect() as conn:
        cleared = conn.execute(
            text("SELECT count(*) FROM flag WHERE patient_id = :p AND status = 'cleared'"),
            {"p": pid},
        ).scalar_one()
    assert cleared == 0


def test_staff_limited_to_a_site_see_only_that_sites_calls_and_flags(demo_ctx: Context) -> None:
    with demo_ctx.engine.connect() as conn:
        site_of = dict(conn.execute(text("SELECT id, site_id FROM patient")).all())
    assert {"main", "north"} <= set(site_of.values())
    for site in ("main", "north"):
        calls = due_list(demo_ctx, site_id=site)
        flags = open_flags(demo_ctx, site_id=site)
        assert calls and flags
        assert {site_of[c.patient_id] for c in calls} == {site}
        assert {site_of[f.patient_id] for f in flags} == {site}
    everyone = len(due_list(demo_ctx))
    assert everyone == len(due_list(demo_ctx, site_id="main")) + len(
        due_list(demo_ctx, site_id="north")
    )
