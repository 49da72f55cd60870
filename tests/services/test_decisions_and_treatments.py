"""Rule set 2026.2's decisions and treatments on the demo clinic: a decision is amended or reopened
with a reason and the old one stays on record; a booster decision holds its flag closed to its
day; a booster recorded in the app supersedes the knee's flags; a treatment entered in error is
marked, not deleted, and the knee judged without it; the flag history shows all of it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from followup.errors import FollowupError, NotFound
from followup.services.context import Context
from followup.services.decide import AlreadyDecided, amend, decide, decisions_for, reopen
from followup.services.flag_history import flag_history
from followup.services.record_treatment import (
    TreatmentDraft,
    booster_suggestion,
    mark_treatment_entered_in_error,
    record_treatment,
)
from followup.services.review_queue import FlagView, open_flags
from tests.conftest import make_context


def _wearing_off(ctx: Context) -> FlagView:
    return next(f for f in open_flags(ctx) if f.kind == "wearing_off")


def _audit(ctx: Context, action: str) -> list[tuple[str, str | None]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, reason FROM audit_event WHERE action = :a ORDER BY id"),
            {"a": action},
        ).all()
    return [(r[0], r[1]) for r in rows]


def _later(ctx: Context, days: int) -> Context:
    return make_context(str(ctx.engine.url), now=ctx.now() + timedelta(days=days))


def test_deciding_again_is_refused_and_amending_keeps_the_old_decision(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    decide(demo_ctx, flag.id, "continue_monitoring", "Recheck in 6 weeks", "doctor")
    when = demo_ctx.now().astimezone().strftime("%Y-%m-%d %H:%M")
    with pytest.raises(AlreadyDecided, match=f"already decided by doctor at {when} "):
        decide(demo_ctx, flag.id, "refer", "Meant refer: ortho opinion first", "nurse")
    assert len(decisions_for(demo_ctx, [flag.id])[flag.id]) == 1  # nothing recorded
    new = amend(demo_ctx, flag.id, "refer", "Meant refer: ortho opinion first", "doctor")
    [old, current] = decisions_for(demo_ctx, [flag.id])[flag.id]
    assert (old.decision, old.status, old.ended_by) == ("continue_monitoring", "amended", "doctor")
    assert old.ended_reason == "Meant refer: ortho opinion first"
    assert (current.id, current.decision, current.status) == (new.id, "refer", "in_force")
    assert _audit(demo_ctx, "amend_decision") == [("doctor", "Meant refer: ortho opinion first")]
    assert flag.id not in {f.id for f in open_flags(demo_ctx)}  # still closed


def test_amend_needs_a_decision_in_force(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    with pytest.raises(FollowupError, match="has no decision to amend"):
        amend(demo_ctx, flag.id, "refer", "why", "doctor")
    with pytest.raises(NotFound):
        amend(demo_ctx, 999_999, "refer", "why", "doctor")


def test_reopening_opens_the_flag_and_ends_the_decision(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    decide(demo_ctx, flag.id, "dismissed", "Fell on the stairs", "doctor")
    with pytest.raises(FollowupError, match="needs a note"):
        reopen(demo_ctx, flag.id, "  ", "doctor")
    ended = reopen(demo_ctx, flag.id, "Pain did not settle after the fall", "doctor")
    assert (ended.status, ended.ended_reason) == ("reopened", "Pain did not settle after the fall")
    assert flag.id in {f.id for f in open_flags(demo_ctx)}
    with pytest.raises(FollowupError, match="with no decision to reopen"):
        reopen(demo_ctx, flag.id, "again", "doctor")
    history = {e.id: e for e in flag_history(demo_ctx, flag.patient_id)}
    assert [d.status for d in history[flag.id].decisions] == ["reopened"]
    assert _audit(demo_ctx, "reopen")[-1] == ("doctor", "Pain did not settle after the fall")


def test_a_booster_decision_holds_the_flag_closed_to_its_day(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    today = demo_ctx.today()
    with pytest.raises(FollowupError, match="goes with booster_scheduled only"):
        decide(demo_ctx, flag.id, "refer", "x", "doctor", until=today + timedelta(days=9))
    with pytest.raises(FollowupError, match="must be after today"):
        decide(demo_ctx, flag.id, "booster_scheduled", "x", "doctor", until=today)
    decide(demo_ctx, flag.id, "booster_scheduled", "Booked", "doctor", until=today + timedelta(10))

    def wearing_off_open(ctx: Context) -> bool:
        return any(
            f.treatment_id == flag.treatment_id and f.kind == "wearing_off" for f in open_flags(ctx)
        )

    before = _later(demo_ctx, 9)
    on_the_day = _later(demo_ctx, 10)
    after = _later(demo_ctx, 11)
    try:
        from followup.services.evaluate_flags import evaluate_cohort

        evaluate_cohort(before)
        assert not wearing_off_open(before)
        evaluate_cohort(on_the_day)  # the booster did not come: the flag is back that day
        assert wearing_off_open(on_the_day)
        assert wearing_off_open(after)
    finally:
        for c in (before, on_the_day, after):
            c.close()


def test_a_booster_day_is_at_most_a_year_ahead(demo_ctx: Context) -> None:
    """A year typed wrong (2029 for 2027) would hold the wearing-off flag closed for years."""
    flag = _wearing_off(demo_ctx)
    today = demo_ctx.today()
    with pytest.raises(FollowupError, match="more than a year after today") as refused:
        decide(
            demo_ctx, flag.id, "booster_scheduled", "Booked", "doctor", until=today + timedelta(366)
        )
    assert (today + timedelta(365)).isoformat() in str(refused.value)
    assert flag.id in {f.id for f in open_flags(demo_ctx)}  # nothing was recorded
    record = decide(
        demo_ctx, flag.id, "booster_scheduled", "Booked", "doctor", until=today + timedelta(365)
    )
    assert record.until == today + timedelta(365)


def test_a_recorded_booster_supersedes_the_knee_and_is_audited(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    draft = booster_suggestion(demo_ctx, flag.patient_id, flag.knee, demo_ctx.today())
    assert draft is not None and draft.booster_of == flag.treatment_id
    done = record_treatment(demo_ctx, draft, "doctor")
    assert done.booster_of == flag.treatment_id and done.superseded_flags >= 1
    assert not any(
        f.treatment_id == flag.treatment_id and f.kind == "wearing_off"
        for f in open_flags(demo_ctx)
    )
    history = {e.id: e for e in flag_history(demo_ctx, flag.patient_id)}
    assert history[flag.id].status == "cleared" and history[flag.id].closed_reason
    with pytest.raises(FollowupError, match="already has a treatment of the"):
        record_treatment(demo_ctx, draft, "doctor")  # the same knee twice on one day


def test_treatments_are_checked_field_by_field(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    base = TreatmentDraft(flag.patient_id, flag.knee, demo_ctx.today(), "prp")
    for draft, message in (
        (TreatmentDraft("NOPE", "left", date(2026, 1, 5), "prp"), "no patient with ID NOPE"),
        (TreatmentDraft(flag.patient_id, "middle", date(2026, 1, 5), "prp"), "knee: must be"),
        (TreatmentDraft(flag.patient_id, "left", date(2030, 1, 1), "prp"), "in the future"),
        (TreatmentDraft(**{**base.__dict__, "product": "snake oil"}), "product"),
        (TreatmentDraft(**{**base.__dict__, "kl_grade": 7}), "KL grade"),
        (TreatmentDraft(**{**base.__dict__, "booster_of": "T404"}), "is not a known treatment"),
    ):
        with pytest.raises((FollowupError, NotFound), match=message):
            record_treatment(demo_ctx, draft, "doctor")


def test_a_treatment_entered_in_error_is_marked_and_its_flags_closed(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    with pytest.raises(FollowupError, match="a reason is required"):
        mark_treatment_entered_in_error(demo_ctx, flag.treatment_id, " ", "doctor")
    mark_treatment_entered_in_error(demo_ctx, flag.treatment_id, "wrong patient", "doctor")
    with demo_ctx.engine.connect() as conn:
        row = conn.execute(
            text("SELECT entered_in_error, error_reason FROM treatment WHERE id = :t"),
            {"t": flag.treatment_id},
        ).one()
    assert bool(row[0]) and row[1] == "wrong patient"  # kept, marked
    assert not any(f.treatment_id == flag.treatment_id for f in open_flags(demo_ctx))
    with pytest.raises(FollowupError, match="already marked"):
        mark_treatment_entered_in_error(demo_ctx, flag.treatment_id, "again", "doctor")
    assert _audit(demo_ctx, "entered_in_error")[-1] == ("doctor", "wrong patient")


def test_a_boosted_treatment_cannot_be_marked_before_its_booster(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    draft = booster_suggestion(demo_ctx, flag.patient_id, flag.knee, demo_ctx.today())
    assert draft is not None
    done = record_treatment(demo_ctx, draft, "doctor")
    with pytest.raises(FollowupError, match=f"boosted by {done.treatment_id}"):
        mark_treatment_entered_in_error(demo_ctx, flag.treatment_id, "typo", "doctor")


def test_history_is_newest_first_with_decisions(demo_ctx: Context) -> None:
    flag = _wearing_off(demo_ctx)
    decide(demo_ctx, flag.id, "refer", "Ortho", "doctor")
    history = flag_history(demo_ctx, flag.patient_id)
    assert [e.created_at for e in history] == sorted((e.created_at for e in history), reverse=True)
    [event] = [e for e in history if e.id == flag.id]
    assert (event.status, [d.decision for d in event.decisions]) == ("closed", ["refer"])
    assert isinstance(event.decisions[0].decided_at, datetime)
