"""The follow-up schedule, the baseline and the rule file (DESIGN.md 2.2, 2.3).

Expected dates are worked out by hand from the calendar: month arithmetic clips to the month's end
(31 Jan + 3 months = 30 Apr, 29 Feb + 12 months = 28 Feb), windows are due +/- days, inclusive.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from followup.domain import rules as rules_module
from followup.domain.flags import EpisodeView, current_call
from followup.domain.records import EpisodeInput, ScoredAssessment, TreatmentRecord
from followup.domain.rule_file import RulesError, build_rules, default_rules, load_rules
from followup.domain.rules import TimepointRule
from followup.domain.schedule import (
    Timepoint,
    schedule_status,
    timepoints_for,
)

RULES = default_rules()
T0 = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # a leap year
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_month_timepoints_clip_to_the_months_end(day: date, months: int, expected: date) -> None:
    assert TimepointRule("m", months, 0, 0).due_on(day) == expected


def form(on: date, *, valid: bool = True, id: int = 0) -> ScoredAssessment:
    return ScoredAssessment(
        id=id,
        assessed_on=on,
        pain=50.0 if valid else None,
        stiffness=50.0,
        function=50.0,
        total=50.0 if valid else None,
    )


def episode(
    *days: date | ScoredAssessment, treated_on: date = T0, next_on: date | None = None
) -> EpisodeInput:
    forms = tuple(
        d if isinstance(d, ScoredAssessment) else form(d, id=i) for i, d in enumerate(days)
    )
    return EpisodeInput(
        treatment=TreatmentRecord("T1", "P1", "left", treated_on, "prp"),
        next_treated_on=next_on,
        smoker=False,
        assessments=forms,
    )


def statuses(ep: EpisodeInput, as_of: date) -> dict[str, str]:
    return {s.label: s.status for s in schedule_status(ep, as_of, RULES)}


# --- timepoints -----------------------------------------------------------------------------------


def test_default_schedule_for_new_year() -> None:
    tps = timepoints_for(T0, None, RULES)
    assert [t.label for t in tps] == [
        "2w", "6w", "3m", "6m", "9m", "12m", "18m", "24m", "36m", "48m", "60m"
    ]  # fmt: skip
    by = {t.label: t for t in tps}
    assert by["2w"] == Timepoint("2w", date(2026, 1, 15), date(2026, 1, 11), date(2026, 1, 19))
    assert by["6w"] == Timepoint("6w", date(2026, 2, 12), date(2026, 2, 5), date(2026, 2, 19))
    assert by["3m"] == Timepoint("3m", date(2026, 4, 1), date(2026, 3, 18), date(2026, 4, 15))
    assert by["6m"] == Timepoint("6m", date(2026, 7, 1), date(2026, 6, 10), date(2026, 7, 22))
    assert by["9m"] == Timepoint("9m", date(2026, 10, 1), date(2026, 9, 10), date(2026, 10, 22))
    assert by["12m"] == Timepoint("12m", date(2027, 1, 1), date(2026, 12, 2), date(2027, 1, 31))
    assert by["18m"] == Timepoint("18m", date(2027, 7, 1), date(2027, 6, 1), date(2027, 7, 31))
    assert by["24m"] == Timepoint("24m", date(2028, 1, 1), date(2027, 11, 17), date(2028, 2, 15))
    assert by["60m"] == Timepoint("60m", date(2031, 1, 1), date(2030, 11, 17), date(2031, 2, 15))


def test_month_end_clips_to_shorter_month() -> None:
    by = {t.label: t.due_on for t in timepoints_for(date(2026, 1, 31), None, RULES)}
    assert by["6w"] == date(2026, 3, 14)
    assert by["3m"] == date(2026, 4, 30)
    assert by["6m"] == date(2026, 7, 31)
    assert by["9m"] == date(2026, 10, 31)


def test_leap_day_treatment() -> None:
    by = {t.label: t.due_on for t in timepoints_for(date(2024, 2, 29), None, RULES)}
    assert by["12m"] == date(2025, 2, 28)
    assert by["24m"] == date(2026, 2, 28)
    assert by["48m"] == date(2028, 2, 29)  # a leap year again
    assert by["3m"] == date(2024, 5, 29)


def test_one_month_after_31_january_is_end_of_february(tmp_path: Path) -> None:
    path = tmp_path / "monthly.toml"
    path.write_text(
        'version = "monthly-1"\n[[schedule]]\nlabel = "1m"\nmonths = 1\nwindow_days = 3\n'
    )
    rules = load_rules(path)
    assert [t.due_on for t in timepoints_for(date(2024, 1, 31), None, rules)] == [date(2024, 2, 29)]
    assert [t.due_on for t in timepoints_for(date(2025, 1, 31), None, rules)] == [date(2025, 2, 28)]


# Rule set 2026.2 drops timepoints *due* on or after the next treatment (v1 dropped those whose
# window opened on or after it, and a booster given at a scheduled visit left that visit "missed").


def test_next_treatment_drops_timepoints_due_on_or_after_it() -> None:
    # 3m due 1 Apr (window 18 Mar - 15 Apr); a booster on 10 Apr keeps 3m, cut to 9 Apr.
    tps = timepoints_for(T0, date(2026, 4, 10), RULES)
    assert [t.label for t in tps] == ["2w", "6w", "3m"]
    assert tps[-1] == Timepoint("3m", date(2026, 4, 1), date(2026, 3, 18), date(2026, 4, 9))


def test_a_booster_on_the_due_day_replaces_that_timepoint() -> None:
    assert [t.label for t in timepoints_for(T0, date(2026, 4, 1), RULES)] == ["2w", "6w"]
    kept = timepoints_for(T0, date(2026, 4, 2), RULES)
    assert kept[-1] == Timepoint("3m", date(2026, 4, 1), date(2026, 3, 18), date(2026, 4, 1))


# --- baseline -------------------------------------------------------------------------------------
# Per domain under rule set 2026.2 (tests/domain/flags/test_course.py); here the whole-form cases.


def baseline(ep: EpisodeInput, _rules: object) -> ScoredAssessment | None:
    """The pain baseline, as the rules see it (every form here scores every subscale or none)."""
    return EpisodeView(ep, ep.treatment.treated_on, RULES).baseline["pain"]


def test_baseline_is_latest_valid_within_90_days_up_to_treatment_day() -> None:
    ep = episode(T0 - timedelta(days=90), T0 - timedelta(days=10), T0, T0 + timedelta(days=1))
    assert baseline(ep, RULES).assessed_on == T0  # type: ignore[union-attr]


def test_baseline_ignores_invalid_forms() -> None:
    ep = episode(T0 - timedelta(days=10), form(T0, valid=False, id=9))
    assert baseline(ep, RULES).assessed_on == T0 - timedelta(days=10)  # type: ignore[union-attr]


def test_baseline_lookback_boundary() -> None:
    assert baseline(episode(T0 - timedelta(days=90)), RULES) is not None
    assert baseline(episode(T0 - timedelta(days=91)), RULES) is None


def test_baseline_same_day_takes_the_later_listed() -> None:
    ep = episode(form(T0, id=1), form(T0, id=2))
    assert baseline(ep, RULES).id == 2  # type: ignore[union-attr]


def test_no_baseline_after_treatment_only() -> None:
    assert baseline(episode(T0 + timedelta(days=1)), RULES) is None


# --- status ---------------------------------------------------------------------------------------


def test_done_on_window_boundaries() -> None:
    ep = episode(date(2026, 1, 11), date(2026, 2, 19))  # 2w window start, 6w window end
    got = schedule_status(ep, date(2026, 3, 1), RULES)
    assert [(s.label, s.status, s.done_on) for s in got[:2]] == [
        ("2w", "done", date(2026, 1, 11)),
        ("6w", "done", date(2026, 2, 19)),
    ]


def test_just_outside_window_is_not_done() -> None:
    ep = episode(date(2026, 1, 10), date(2026, 1, 20))
    assert statuses(ep, date(2026, 1, 21))["2w"] == "overdue"


def test_due_upcoming_overdue() -> None:
    ep = episode()
    assert statuses(ep, date(2026, 1, 10))["2w"] == "upcoming"
    assert statuses(ep, date(2026, 1, 11))["2w"] == "due"
    assert statuses(ep, date(2026, 1, 19))["2w"] == "due"  # last day of the window
    assert statuses(ep, date(2026, 1, 20))["2w"] == "overdue"


def test_invalid_or_future_forms_do_not_complete_a_timepoint() -> None:
    ep = episode(form(date(2026, 1, 15), valid=False), date(2026, 1, 18))
    assert statuses(ep, date(2026, 1, 16))["2w"] == "due"  # the valid one is after "as of"
    assert statuses(ep, date(2026, 1, 18))["2w"] == "done"


def test_status_ignores_a_next_treatment_after_as_of() -> None:
    ep = episode(next_on=date(2026, 4, 10))
    assert "6m" in statuses(ep, date(2026, 3, 1))
    assert "6m" not in statuses(ep, date(2026, 4, 10))


# --- the current call ----------------------------------------------------------------------------
# One call per episode: the open window not done, else the missed one (until the next window
# opens), else the next one to open. These replace the tests of the old "due items" list, which
# listed every timepoint within a horizon and called an unopened window "due".


def calls(ep: EpisodeInput, as_of: date) -> tuple[str, str] | None:
    call = current_call(ep, as_of, RULES)
    return None if call is None else (call.timepoint, call.status(as_of))


def test_the_next_window_is_upcoming_until_it_opens() -> None:
    ep = episode(date(2026, 1, 15))  # 2w done
    assert calls(ep, date(2026, 1, 29)) == ("6w", "upcoming")  # 6w window opens 5 Feb
    assert calls(ep, date(2026, 2, 5)) == ("6w", "due")


def test_only_the_latest_missed_timepoint_is_called_about() -> None:
    assert calls(episode(), date(2026, 3, 1)) == ("6w", "overdue")  # 2w and 6w both missed


def test_the_open_window_is_the_call_while_an_earlier_one_is_missed() -> None:
    assert calls(episode(), date(2026, 3, 20)) == ("3m", "due")  # 6w missed, 3m window open


def test_a_missed_timepoint_stays_the_call_until_the_next_window_opens() -> None:
    assert calls(episode(), date(2026, 3, 12)) == ("6w", "overdue")  # 3m opens 18 Mar
    assert calls(episode(), date(2026, 3, 18)) == ("3m", "due")


def test_nothing_is_missed_once_a_later_timepoint_is_done() -> None:
    ep = episode(date(2026, 3, 20))  # 2w, 6w missed; 3m done early
    assert calls(ep, date(2026, 4, 20)) == ("6m", "upcoming")


def test_no_call_for_a_superseded_episode() -> None:
    ep = episode(next_on=date(2026, 2, 1))
    assert calls(ep, date(2026, 2, 1)) is None
    assert calls(ep, date(2026, 1, 31)) == ("2w", "overdue")  # the booster has not happened yet


def test_no_call_before_the_treatment() -> None:
    assert calls(episode(), T0 - timedelta(days=1)) is None


def test_no_call_after_the_last_timepoint() -> None:
    assert calls(episode(), T0 + timedelta(days=365 * 7)) == ("60m", "overdue")
    ep = episode(T0 + relativedelta(months=60))
    assert calls(ep, T0 + timedelta(days=365 * 7)) is None


# --- the rule file ----------------------------------------------------------------------------------


def test_default_rules_hold_design_numbers() -> None:
    r = RULES
    assert r.version
    assert r.baseline.lookback_days == 90
    assert r.response.phase_start_day == 28
    assert (r.responder.high_fraction, r.responder.high_points) == (0.5, 20.0)
    assert (r.responder.moderate_fraction, r.responder.moderate_points) == (0.2, 10.0)
    assert (r.responder.moderate_needed, r.responder.confirm_readings) == (2, 2)
    assert r.version == "followup-2026.2"
    assert r.best_level.readings == 2
    assert (r.responding.min_points, r.responding.min_fraction) == (15.0, 0.2)
    signal = r.signal
    assert (signal.detectable_change_points, signal.fraction_lost, signal.baseline_fraction) == (
        18.0,
        0.4,
        0.8,
    )
    assert r.wearing_off.min_run_days == 14
    assert (r.confirmation.opens_after_days, r.confirmation.closes_after_days) == (14, 28)
    assert r.possible_wearing_off.min_points_after_best == 3
    assert r.possible_wearing_off.slope_per_day == pytest.approx(10 / 90)
    assert r.possible_wearing_off.stiffness_rise_points == 37.5
    assert r.possible_wearing_off.stiffness_readings == 2
    nr = r.no_response
    assert (nr.after_days, nr.visit_from_day, nr.late_after_days, nr.late_visit_from_day) == (
        180,
        150,
        210,
        90,
    )
    assert r.booster_window.lead_days == 60
    assert r.decisions.booster_scheduled_days == 60
    assert [r.durability.months_for_grade(g) for g in (1, 2, 3, 4, None)] == [36, 36, 24, 9, None]
    assert (r.durability.unknown_kl_months, r.durability.iv_months) == (24, 12)
    assert r.durability.smoker_factor == 0.5
    assert (r.safety.flare_points, r.safety.flare_within_days) == (30.0, 60)
    windows = [(t.label, t.window_days) for t in r.schedule.timepoints]
    assert windows == [
        ("2w", 4), ("6w", 7), ("3m", 14), ("6m", 21), ("9m", 21), ("12m", 30), ("18m", 30),
        ("24m", 45), ("36m", 45), ("48m", 45), ("60m", 45),
    ]  # fmt: skip


def test_load_rules_without_path_is_default() -> None:
    assert load_rules() is default_rules()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_merges_over_defaults(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            'version = "clinic-7"\n[signal]\ndetectable_change_points = 12\n'
            '[durability]\nmonths_by_kl_grade = { "4" = 12 }\n',
        )
    )
    assert rules.version == "clinic-7"
    assert rules.signal.detectable_change_points == 12.0
    assert rules.signal.fraction_lost == 0.4  # untouched default
    assert rules.durability.months_for_grade(4) == 12
    assert rules.durability.months_for_grade(3) == 24  # merged, not replaced
    assert rules.schedule == RULES.schedule


def test_override_schedule_replaces_the_default(tmp_path: Path) -> None:
    rules = load_rules(
        write(tmp_path, 'version = "c"\n[[schedule]]\nlabel = "10d"\ndays = 10\nwindow_days = 2\n')
    )
    assert [t.label for t in rules.schedule.timepoints] == ["10d"]
    assert timepoints_for(T0, None, rules) == (
        Timepoint("10d", date(2026, 1, 11), date(2026, 1, 9), date(2026, 1, 13)),
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[signal]\ndetectable_change_points = 12\n", "version"),
        ('version = "followup-2026.2"\n', "version"),
        ('version = "c"\n[signal]\nmin_rise = 12\n', "signal.min_rise"),
        (
            'version = "c"\n[signal]\ndetectable_change_points = "ten"\n',
            "signal.detectable_change_points",
        ),
        ('version = "c"\n[confirmation]\ncloses_after_days = 7\n', "closes_after_days"),
        ('version = "c"\n[signal]\nfraction_lost = 1.5\n', "signal.fraction_lost"),
        ('version = "c"\n[signal]\nfraction_lost = 0\n', "signal.fraction_lost"),
        ('version = "c"\n[wearing_off]\nmin_run_days = 14.5\n', "wearing_off.min_run_days"),
        ('version = "c"\n[wearing_off]\nmin_run_days = true\n', "wearing_off.min_run_days"),
        ('version = "c"\n[signal]\nfraction_lost = true\n', "signal.fraction_lost"),
        ('version = "c"\n[responder]\nmoderate_needed = 2.0\n', "responder.moderate_needed"),
        ('version = "c"\n[no_response]\nafter_days = -1\n', "no_response.after_days"),
        ('version = "c"\n[durability]\nmonths_by_kl_grade = { "5" = 3 }\n', "months_by_kl_grade"),
        ('version = "c"\n[durability]\nmonths_by_kl_grade = { "4" = 0 }\n', "months_by_kl_grade.4"),
        ('version = "c"\n[safety]\nflare_within = 3\n', "safety.flare_within"),
        ('version = "c"\nsignals = 3\n', "signals"),
        ('version = "c"\nschedule = []\n', "schedule"),
        ('version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\n', "window_days"),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2.5\nwindow_days = 1\n',
            "schedule[0].weeks",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nwindow_days = 1\nweek = 2\n',
            "schedule[0].week",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nwindow_days = true\n',
            "schedule[0].window_days",
        ),
        ('version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nmonths = 1\nwindow_days = 1\n', "x"),
        ('version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nwindow_days = 14\n', "window_days"),
        (
            'version = "c"\n[[schedule]]\nlabel = "a"\nmonths = 3\nwindow_days = 1\n'
            '[[schedule]]\nlabel = "b"\nweeks = 2\nwindow_days = 1\n',
            "b",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "a"\nweeks = 2\nwindow_days = 1\n'
            '[[schedule]]\nlabel = "a"\nweeks = 3\nwindow_days = 1\n',
            "'a'",
        ),
    ],
)
def test_bad_override_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert str(path) in str(err.value)
    assert key in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'version = "c"\n[signal]\nfraction_lost = 1.5\n',
            "signal.fraction_lost: Input should be less than or equal to 1, got 1.5",
        ),
        (
            'version = "c"\n[wearing_off]\nmin_run_days = true\n',
            "wearing_off.min_run_days: Input should be a valid integer, got True",
        ),
        (
            'version = "c"\n[wearing_off]\nmin_run_days = 14.5\n',
            "wearing_off.min_run_days: Input should be a valid integer, got 14.5",
        ),
        (
            'version = "c"\n[durability]\nmonths_by_kl_grade = { "5" = 3 }\n',
            "durability.months_by_kl_grade.5: Input should be '0', '1', '2', '3' or '4', got '5'",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nwindow_days = 1\nweek = 2\n',
            "schedule[0].week: unknown key",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\n',
            "schedule[0].window_days: missing",
        ),
        (
            'version = "c"\n[[schedule]]\nlabel = "x"\nweeks = 2\nwindow_days = 14\n',
            "schedule[0]: window_days 14 would open the window of 'x' on or before the treatment day",
        ),
        ('version = "c"\n[safety]\nflare_within = 3\n', "safety.flare_within: unknown key"),
        ('version = "c"\nsafety = 3\n', "safety: must be a table, got 3"),
        ('version = "c"\nschedule = []\n', "schedule: must not be empty"),
    ],
)
def test_bad_override_message(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert str(err.value) == f"{path}: {message}"


def defaults() -> dict[str, Any]:
    return tomllib.loads((Path(rules_module.__file__).parent / "rules.toml").read_text("utf-8"))


def test_build_rules_needs_every_key() -> None:
    data = defaults()
    del data["signal"]["fraction_lost"]
    with pytest.raises(RulesError, match=r"^own\.toml: signal\.fraction_lost: missing$"):
        build_rules(data, "own.toml")
    data = defaults()
    del data["safety"]
    with pytest.raises(RulesError, match=r"^own\.toml: safety: missing$"):
        build_rules(data, "own.toml")
    with pytest.raises(RulesError, match=r"^own\.toml: version: missing$"):
        build_rules({k: v for k, v in defaults().items() if k != "version"}, "own.toml")


def test_equal_rule_sets_are_equal_hash_and_print_alike() -> None:
    data = defaults()
    data["durability"]["months_by_kl_grade"] = dict(
        reversed(data["durability"]["months_by_kl_grade"].items())
    )
    other = build_rules(data, "other.toml")
    assert other is not RULES
    printed = repr(RULES)
    assert RULES.schedule.timepoints and RULES.baseline.lookback  # derived: not printed
    assert other == RULES
    assert hash(other) == hash(RULES)
    assert repr(other) == repr(RULES) == printed
    assert "window_days=45" in printed and "'4': 9.0" in printed  # every value is in the print
    assert isinstance(RULES.schedule.timepoints[0], TimepointRule)
    with pytest.raises(ValueError):
        RULES.signal.fraction_lost = 0.9  # type: ignore[misc]


def test_unreadable_rule_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(write(tmp_path, "version = \n"))
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")
    assert issubclass(RulesError, ValueError)
