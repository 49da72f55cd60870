"""The outcomes service on the demo clinic: every episode accounted for (counted or left out with
a reason), groups that add up to the whole, wear-offs that agree with the flags the clinic sees,
selections, an earlier as-of day, and the same figures read from SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.demo import load_demo
from followup.services.outcomes import GROUPINGS, build_outcomes
from followup.services.review_queue import open_flags
from followup.store.engine import write_session

DEMO_EPISODES = 214 + 1  # treatments in sample_data/treatments.csv, and the demo story's booster


def test_every_demo_episode_is_accounted_for(demo_ctx: Context) -> None:
    report = build_outcomes(demo_ctx)
    g = report.overall
    assert report.as_of == demo_ctx.today()
    assert g.episodes == DEMO_EPISODES
    assert g.counted + sum(g.left_out.values()) == g.episodes
    assert 0 < g.counted < g.episodes
    overall = g.responder_rates[-1]
    assert overall.months is None and overall.proportion.total == g.counted
    assert g.responders == overall.proportion.count  # every confirmed responder is followed
    assert sum(g.endings.values()) == g.responders
    assert g.endings["wearing_off"] == g.wear_offs
    assert g.points[0].survival == 1.0 and g.points[0].months == 0.0
    assert [p.months for p in g.points] == sorted(p.months for p in g.points)
    # the demo's 14 boosters and the one its story records
    assert g.retreatment.retreated == g.retreatment.boosters == 15
    assert g.retreatment.doses_drawn == 15 and g.retreatment.doses_not_recorded == 0
    assert report.groups == () and report.log_rank is None


def test_wear_offs_agree_with_the_open_wearing_off_flags(demo_ctx: Context) -> None:
    report = build_outcomes(demo_ctx)
    flagged = [f for f in open_flags(demo_ctx) if f.kind == "wearing_off"]
    assert flagged  # the demo has knees wearing off
    # Every open wearing_off flag is an event of the analysis, on the day the flag was raised
    # (the demo has no decisions on them).
    events = {round(p.months, 6) for p in report.overall.points if p.events}
    for flag in flagged:
        months = (flag.raised_on - flag.treated_on).days / (365.25 / 12)
        assert round(months, 6) in events
    assert report.overall.wear_offs >= len(flagged)


def test_groups_add_up_to_the_whole(demo_ctx: Context) -> None:
    whole = build_outcomes(demo_ctx).overall
    for by in GROUPINGS:
        report = build_outcomes(demo_ctx, by=by)
        assert report.overall.as_json() == whole.as_json()
        assert sum(g.episodes for g in report.groups) == whole.episodes
        assert sum(g.counted for g in report.groups) == whole.counted
        assert sum(g.responders for g in report.groups) == whole.responders
        assert sum(g.wear_offs for g in report.groups) == whole.wear_offs
        tested = [g for g in report.groups if g.responders]
        if len(tested) >= 2:
            assert report.log_rank is not None
            assert report.log_rank.df <= len(tested) - 1
            assert sum(report.log_rank.observed) == sum(g.wear_offs for g in tested)
        else:
            assert report.log_rank is None and report.log_rank_note
    grades = build_outcomes(demo_ctx, by="kl_grade")
    assert [g.label for g in grades.groups] == ["KL 1", "KL 2", "KL 3", "KL 4", "KL grade unknown"]
    assert grades.log_rank_note and "fewer than 10 confirmed wear-offs" in grades.log_rank_note
    assert all(g.cautions for g in grades.groups if g.wear_offs < 10)


def test_a_selection_keeps_only_matching_episodes(demo_ctx: Context) -> None:
    only = {"product": ["adsc_cultured"], "kl_grade": ["2", "3"]}
    chosen = build_outcomes(demo_ctx, by="smoker", only=only)
    by_grade = build_outcomes(demo_ctx, by="kl_grade", only={"product": ["adsc_cultured"]})
    grades = {g.key: g for g in by_grade.groups}
    assert chosen.overall.episodes == grades["2"].episodes + grades["3"].episodes
    assert {g.key for g in chosen.groups} <= {"yes", "no", "unknown"}
    assert chosen.only == {"kl_grade": ("2", "3"), "product": ("adsc_cultured",)}
    nothing = build_outcomes(demo_ctx, only={"product": ["corticosteroid"]})
    assert nothing.overall.episodes == 0 and nothing.overall.cautions


def test_an_earlier_as_of_day_sees_only_what_existed_then(demo_ctx: Context) -> None:
    now = build_outcomes(demo_ctx).overall
    then = build_outcomes(demo_ctx, date(2025, 11, 21)).overall
    assert then.episodes < now.episodes
    assert then.curve.last_time is not None and now.curve.last_time is not None
    assert then.curve.last_time < now.curve.last_time


def test_unknown_grouping_is_refused(demo_ctx: Context) -> None:
    with pytest.raises(FollowupError, match="--by must be one of"):
        build_outcomes(demo_ctx, by="colour")
    with pytest.raises(FollowupError, match="cannot select by"):
        build_outcomes(demo_ctx, only={"colour": ["red"]})


def test_json_holds_every_figure(demo_ctx: Context) -> None:
    data = build_outcomes(demo_ctx, by="site").as_json()
    json.dumps(data)
    assert data["log_rank"]["df"] == 1 and len(data["log_rank"]["groups"]) == 2
    group = data["groups"][0]
    assert {r["by_months"] for r in group["responder_rates"]} == {3, 6, 12, None}
    assert [s["months"] for s in group["durability"]["survival_at"]] == [6, 12, 24, 36]
    assert group["durability"]["curve"][0] == {
        "months": 0.0, "survival": 1.0, "ci_lower": 1.0, "ci_upper": 1.0,
        "at_risk": group["durability"]["responders"], "wear_offs": 0, "censored": 0,
    }  # fmt: skip
    assert set(group["left_out"]) == {"no_baseline", "too_recent", "retreated_early"}


def test_same_figures_from_sqlite_and_postgresql(any_ctx: Context, demo_ctx: Context) -> None:
    load_demo(any_ctx, "test")
    with write_session(any_ctx.engine) as session:
        session.execute(text("UPDATE site SET name = 'North clinic' WHERE id = 'north'"))
    with write_session(demo_ctx.engine) as session:
        session.execute(text("UPDATE site SET name = 'North clinic' WHERE id = 'north'"))
    for by in ("site", "product"):
        ours = build_outcomes(any_ctx, by=by).as_json()
        reference = build_outcomes(demo_ctx, by=by).as_json()
        ours.pop("generated_at")
        reference.pop("generated_at")
        assert ours == reference
    labels = [g.label for g in build_outcomes(any_ctx, by="site").groups]
    assert labels == ["main", "North clinic (north)"]
