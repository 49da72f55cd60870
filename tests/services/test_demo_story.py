"""The demo's review story, played through the services on the days it happened: a booster
scheduled and then recorded from a banked dose, and a dismissed decision reopened."""

from __future__ import annotations

from followup.services.context import Context
from followup.services.demo import demo_settings, sample_data_dir
from followup.services.flag_history import flag_history
from followup.services.patient_record import patient_detail
from followup.services.review_queue import open_flags

STORIES = demo_settings(sample_data_dir())["story"]


def test_the_scheduled_booster_was_recorded_and_closed_the_flag(demo_ctx: Context) -> None:
    knee = STORIES["booster_scheduled"]
    detail = patient_detail(demo_ctx, knee["patient_id"])
    [boosted] = [t for t in detail.treatments if t.id == knee["treatment_id"]]
    [booster] = [t for t in detail.treatments if t.booster_of == knee["treatment_id"]]
    assert booster.knee == knee["knee"] and booster.treated_on > boosted.treated_on
    assert booster.banked_doses == boosted.banked_doses - 1  # drawn from the bank
    [flag] = [
        e
        for e in flag_history(demo_ctx, knee["patient_id"])
        if e.treatment_id == knee["treatment_id"] and e.kind == "wearing_off"
    ]
    [decision] = flag.decisions
    assert decision.decision == "booster_scheduled" and decision.until == booster.treated_on
    assert decision.decided_at.date() < booster.treated_on < demo_ctx.today()
    assert flag.status == "closed"  # decided, and the knee since treated again
    assert not [f for f in open_flags(demo_ctx, knee["patient_id"])
                if f.treatment_id == knee["treatment_id"]]  # fmt: skip


def test_the_dismissed_flag_was_reopened_and_is_back_in_the_queue(demo_ctx: Context) -> None:
    knee = STORIES["reopened"]
    [flag] = [
        f
        for f in open_flags(demo_ctx, knee["patient_id"])
        if f.treatment_id == knee["treatment_id"] and f.kind == "wearing_off"
    ]
    [event] = [e for e in flag_history(demo_ctx, knee["patient_id"]) if e.id == flag.id]
    [decision] = event.decisions
    assert (decision.decision, decision.status) == ("dismissed", "reopened")
    assert decision.ended_reason and decision.ended_at > decision.decided_at
    # reopened this week, so the first packet asks the meeting to decide it again
    assert (demo_ctx.today() - decision.ended_at.date()).days <= 7
