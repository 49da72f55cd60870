"""Smoke tests of the flag-rule simulation (``tools/simulate_flags.py``): a few patients of each
kind, so CI keeps the tool working whichever rule set the product has."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tools.simulate_flags import main
from tools.simulation import KINDS, Noise, evaluate_history, rows_by_kind, simulate
from tools.simulation.history import simulate_patient
from tools.simulation.kinds import kind_named, month
from tools.simulation.table import METRICS, detection_table, flags_table, targets_report
from tools.simulation.via_cli import compare_via_cli

from followup.domain import flags
from followup.domain.records import EpisodeInput
from followup.domain.rule_file import default_rules
from followup.domain.rules import RuleSet
from followup.domain.schedule import Timepoint

RULES = default_rules()


@pytest.fixture(scope="module")
def rows():
    _, outcomes = simulate(8, 1, Noise(8.0), RULES)
    return {r.kind.name: r for r in rows_by_kind(outcomes)}


def test_the_table_has_every_kind_and_sane_shares(rows) -> None:
    assert list(rows) == [k.name for k in KINDS]
    for row in rows.values():
        assert row.n == 8
        for name, metric in METRICS.items():
            value = metric(row)
            assert value >= 0, (row.kind.name, name)
            assert name.startswith("calls") or value <= 1, (row.kind.name, name)
    text = flags_table(list(rows.values()))
    assert all(k.title in text for k in KINDS)
    assert "linear wear-off" in detection_table(list(rows.values()))
    report, missed = targets_report(list(rows.values()))
    assert report.count("\n") + 1 >= 14 and 0 <= missed


def test_the_flags_tell_the_kinds_apart(rows) -> None:
    def ever(kind: str, metric: str) -> float:
        return rows[kind].metric(metric)

    assert ever("non_responder", "ever no_response") > ever("stable_strong", "ever no_response")
    assert ever("linear_wear_off", "ever wearing_off") > ever("stable_strong", "ever wearing_off")
    assert rows["linear_wear_off"].metric("detected") >= 0.5


def test_courses_and_readings_follow_the_kind() -> None:
    linear = kind_named("linear_wear_off")
    assert linear.pain_on(-5) == 70 and linear.pain_on(month(5)) == 30
    assert linear.pain_on(month(12)) == pytest.approx(50, abs=0.2)
    assert linear.stiffness_on(month(24)) == 70
    pain_only = kind_named("pain_only")
    assert pain_only.stiffness_on(month(6)) == pytest.approx(60 * (30 / 70 + 1) / 2)
    h = simulate_patient(kind_named("stable_strong"), 0, 1, Noise(0.0, 0.0), RULES)
    assert h.readings[0].purpose == "baseline" and h.assessments[0].pain == 70
    six_months = [a for r, a in zip(h.readings, h.assessments, strict=True) if r.purpose == "6m"]
    assert all(a.pain == 30 for a in six_months)
    assert all(a.total is not None for a in h.assessments)
    po = simulate_patient(pain_only, 0, 1, Noise(0.0, 0.0), RULES)
    later = [a for a in po.assessments if a.assessed_on >= po.day(100)]
    assert later and all(a.pain == 30 and a.function == 50 for a in later)


def test_deterministic_for_a_seed() -> None:
    kinds = KINDS[-3:]
    first = simulate(3, 7, Noise(), RULES, kinds)[1]
    assert simulate(3, 7, Noise(), RULES, kinds)[1] == first
    assert simulate(3, 8, Noise(), RULES, kinds)[1] != first


def test_evaluating_on_change_days_finds_what_every_day_finds() -> None:
    for kind in KINDS:
        h = simulate_patient(kind, 0, 5, Noise(), RULES)
        assert evaluate_history(h, RULES) == evaluate_history(h, RULES, every_day=True)


def _confirmation_call(ep: EpisodeInput, as_of: date, rules: RuleSet) -> Timepoint | None:
    """A stand-in for rule set 2026.2's call: pain >= 50 in the response phase opens a call
    14-28 days later until two such readings 14 days apart (or a better one) arrive."""
    start = ep.treatment.treated_on + timedelta(days=28)
    seen = [a for a in ep.assessments if start <= a.assessed_on <= as_of]
    if ep.next_treated_on is not None and ep.next_treated_on <= as_of:
        return None
    run = []
    for a in reversed(seen):
        if a.pain is None or a.pain < 50:
            break
        run.append(a.assessed_on)
    if not run or (run[0] - run[-1]).days >= 14:
        return None
    opens, closes = run[-1] + timedelta(days=14), run[-1] + timedelta(days=28)
    return None if as_of > closes else Timepoint("confirm", opens, opens, closes)


def test_confirmation_calls_are_made_while_open(monkeypatch) -> None:
    monkeypatch.setattr(flags, "confirmation_call", _confirmation_call, raising=False)
    kind = kind_named("abrupt_wear_off")
    histories = [simulate_patient(kind, i, 1, Noise(), RULES) for i in range(10)]
    calls = [c for h in histories for c in h.calls if c.made]
    assert calls, "an abrupt wear-off asks for confirmation calls"
    for h in histories:
        confirms = [r.on for r in h.readings if r.purpose == "confirm"]
        made = [c for c in h.calls if c.made and c.answered]
        assert sorted(confirms) == sorted(c.planned_on for c in made)
        assert all(c.window_start <= c.planned_on <= c.window_end for c in made)
        assert evaluate_history(h, RULES) == evaluate_history(h, RULES, every_day=True)
    _, outcomes = simulate(3, 1, Noise(), RULES, (kind,))
    assert rows_by_kind(outcomes)[0].calls_per_year > 0


def test_the_command_prints_the_tables(capsys) -> None:
    assert main(["--patients", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "Rule set " + RULES.version in out
    assert all(k.title in out for k in KINDS)
    assert "simulated and evaluated in" in out


def test_the_command_line_gives_the_same_flags(capsys) -> None:
    kinds = (kind_named("booster_wear_off"), kind_named("non_responder"))
    histories, _ = simulate(1, 1, Noise(), RULES, kinds)
    assert compare_via_cli(histories, RULES, None, 400) == 0
    assert "all agree" in capsys.readouterr().out
