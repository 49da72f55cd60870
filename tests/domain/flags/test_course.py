"""Each domain's course (rule set 2026.2): baseline, best level N (mean of the two lowest readings,
set on the later date; ties: the earlier reading first), the improvement I, whether the domain
responded (I >= max(15, 0.20 B)) and the signal threshold T = max(N + 18, min(N + 0.40 I, 0.80 B)).
Replaces the v1 tests of the single best value and of T = max(N + 10, min(N + I/2, 0.8 B))."""

from __future__ import annotations

import pytest

from followup.domain.flags.course import best_level, responding, signal_threshold

from .helpers import RESPONDER, RULES, day, episode, form, view


def test_best_level_is_the_mean_of_the_two_lowest_set_on_the_later_date() -> None:
    values = [40.0, 20.0, 35.0, 30.0]
    dates = [day(30), day(60), day(90), day(120)]
    assert best_level(values, dates, 2) == (25.0, day(120))
    assert best_level([50.0], [day(40)], 2) == (50.0, day(40))  # one reading: that value


def test_best_level_ties_rank_the_earlier_reading_first() -> None:
    # Three readings of 20: the first two are the two lowest, so N is set on the second.
    assert best_level([20.0, 20.0, 20.0], [day(30), day(60), day(90)], 2) == (20.0, day(60))


def test_responder_course_by_hand() -> None:
    v = view(episode(*RESPONDER), 100)
    pain, function = v.course("pain"), v.course("function")
    assert (pain.baseline, pain.best, pain.best_on, pain.improvement) == (70, 25, day(90), 45)
    assert pain.responded and pain.threshold == pytest.approx(43.0)
    assert (function.best, function.improvement) == (32.5, 27.5)
    assert function.threshold == pytest.approx(50.5)


@pytest.mark.parametrize(
    ("baseline", "best", "responded"),
    [
        (70.0, 55.0, True),  # I = 15 = max(15, 14): exactly enough
        (70.0, 55.1, False),
        (70.0, 55 + 1e-6, False),
        (70.0, 55 + 1e-10, True),  # within the 1e-9 tolerance
        (90.0, 72.0, True),  # I = 18 = 0.20 x 90: exactly enough
        (90.0, 72.1, False),
        (90.0, 72 + 1e-6, False),
        (50.0, 40.0, False),  # I = 10 < 15
    ],
)
def test_a_domain_responded_at_15_points_and_20_percent(
    baseline: float, best: float, responded: bool
) -> None:
    assert responding(baseline, best, RULES) is responded


@pytest.mark.parametrize(
    ("baseline", "best", "threshold"),
    [
        (70.0, 25.0, 43.0),  # N + 18 = 43 = N + 0.4 x 45 = 43 (both)
        (70.0, 10.0, 34.0),  # N + 0.4 I = 34 > N + 18 = 28
        (70.0, 40.0, 58.0),  # N + 18 = 58; min(52, 56) = 52
        (60.0, 20.0, 38.0),  # min(20 + 16, 48) = 36 < 38 = N + 18
        (80.0, 5.0, 35.0),  # N + 0.4 x 75 = 35; 0.8 x 80 = 64
        (50.0, 45.0, 63.0),  # no real improvement: N + 18 rules
    ],
)
def test_signal_threshold_by_hand(baseline: float, best: float, threshold: float) -> None:
    assert signal_threshold(baseline, best, RULES) == pytest.approx(threshold)


def test_back_within_20_percent_of_baseline_caps_the_threshold() -> None:
    # B 100, N 10, I 90: N + 0.4 I = 46 but 0.8 B = 80, min = 46; N + 18 = 28 -> 46.
    assert signal_threshold(100.0, 10.0, RULES) == pytest.approx(46.0)
    # B 40, N 5, I 35: N + 0.4 I = 19, 0.8 B = 32, min = 19; N + 18 = 23 -> 23.
    assert signal_threshold(40.0, 5.0, RULES) == pytest.approx(23.0)


def test_a_reading_signals_exactly_at_the_threshold_and_not_just_under() -> None:
    at = view(episode(*RESPONDER, (150, 43, 30)), 151).course("pain")
    assert at.has_run and at.run_start == day(150)
    under = view(episode(*RESPONDER, (150, 42.9, 30)), 151).course("pain")
    assert not under.has_run


@pytest.mark.parametrize(("value", "signals"), [(43 - 1e-6, False), (43 - 1e-10, True)])
def test_the_signal_threshold_keeps_a_1e_9_tolerance(value: float, signals: bool) -> None:
    assert view(episode(*RESPONDER, (150, value, 30)), 151).course("pain").has_run is signals


def test_a_reading_on_the_day_the_best_level_was_set_does_not_signal() -> None:
    # Two forms on day 90: the 20 sets the best level on day 90; the 60 the same day is not
    # dated after it, so it neither signals nor starts a run.
    ep = episode((-7, 70, 60), (60, 30, 40), (90, 20, 25), (90, 60, 25))
    pain = view(ep, 91).course("pain")
    assert pain.best_on == day(90) and pain.threshold == 43
    assert not pain.has_run


def test_only_readings_after_the_best_level_was_set_signal() -> None:
    # The best level is set on day 90 (the later of the two lowest); a high reading on day 60
    # came before it and cannot signal, whatever its value.
    v = view(episode((-7, 70, 60), (60, 60, 60), (75, 20, 25), (90, 20, 25)), 91)
    pain = v.course("pain")
    assert pain.best_on == day(90) and not pain.signals_at(0)


def test_a_domain_that_did_not_respond_never_signals() -> None:
    # Pain 70 -> 30 (responded); function 50 flat: function readings of 75 do not signal.
    ep = episode((-7, 70, 50), (60, 30, 50), (90, 30, 50), (150, 30, 75), (165, 30, 75))
    v = view(ep, 166)
    assert v.confirmed_responder
    function = v.course("function")
    assert not function.responded and not function.has_run
    assert not v.course("pain").has_run


def test_the_baseline_is_per_domain() -> None:
    # The latest form valid for pain is day -3 (its function items too incomplete to score);
    # function's baseline is then the day -10 form.
    ep = episode((-10, 80, 60), form(-3, 70, None), (60, 30, 30))
    v = view(ep, 61)
    assert v.value_of("pain") == 70 and v.value_of("function") == 60
    assert v.baseline["function"].assessed_on == day(-10)
