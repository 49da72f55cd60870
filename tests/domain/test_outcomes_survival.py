"""The outcome statistics against published answers: Kaplan-Meier, its log-log limits and median on
Freireich's 6-MP remission data (Gehan 1965), the log-rank test against placebo, Wilson intervals
(Newcombe 1998), the chi-square tail; properties over random data (Hypothesis); and, when
lifelines is installed, a cross-check of every step against it (never a run-time dependency)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.domain.outcomes.logrank import chi_square_sf, log_rank
from followup.domain.outcomes.proportions import wilson
from followup.domain.outcomes.survival import kaplan_meier

# Freireich et al. 1963 as given by Gehan 1965: weeks in remission, "+" = censored.
SIX_MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+".split()
MP_TIMES = [float(t.rstrip("+")) for t in SIX_MP]
MP_EVENTS = [not t.endswith("+") for t in SIX_MP]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PLACEBO_TIMES = [float(t) for t in PLACEBO]
ALL_EVENTS = [True] * len(PLACEBO)


def test_six_mp_survival_matches_the_published_estimates() -> None:
    curve = kaplan_meier(MP_TIMES, MP_EVENTS)
    published = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}
    for t, s in published.items():
        found = curve.at(t)
        assert found is not None
        assert found[0] == pytest.approx(s, abs=5e-5)
    assert [s.time for s in curve.steps if s.events] == sorted(published)
    assert curve.subjects == 21 and curve.events == 9


def test_six_mp_log_log_limits_match_r_survfit() -> None:
    # R: survfit(Surv(time, status) ~ 1, conf.type = "log-log"), also lifelines' defaults.
    curve = kaplan_meier(MP_TIMES, MP_EVENTS)
    expected = {6: (0.6197, 0.9516), 13: (0.4316, 0.8491), 23: (0.1881, 0.6801)}
    for t, (lower, upper) in expected.items():
        _, lo, hi = curve.at(t)  # type: ignore[misc]
        assert lo == pytest.approx(lower, abs=5e-5)
        assert hi == pytest.approx(upper, abs=5e-5)


def test_medians_and_their_intervals() -> None:
    mp = kaplan_meier(MP_TIMES, MP_EVENTS).median()
    assert mp.estimate == 23
    assert mp.lower == 13 and mp.upper is None  # the upper limit is not reached
    placebo = kaplan_meier(PLACEBO_TIMES, ALL_EVENTS).median()
    assert placebo.estimate == 8
    assert (placebo.lower, placebo.upper) == (4, 11)


def test_log_rank_six_mp_against_placebo() -> None:
    test = log_rank([(MP_TIMES, MP_EVENTS), (PLACEBO_TIMES, ALL_EVENTS)])
    assert test.chi_square == pytest.approx(16.79, abs=0.005)
    assert test.df == 1
    assert test.p_value == pytest.approx(4.17e-5, rel=0.01)
    assert test.observed == (9, 21)
    assert test.expected[0] == pytest.approx(19.25, abs=0.005)


def test_log_rank_three_groups_and_order_does_not_matter() -> None:
    a = (MP_TIMES, MP_EVENTS)
    b = (PLACEBO_TIMES, ALL_EVENTS)
    c = ([3.0, 9.0, 14.0, 20.0, 30.0], [True, False, True, True, False])
    one = log_rank([a, b, c])
    other = log_rank([c, a, b])
    assert one.df == 2
    assert one.chi_square == pytest.approx(other.chi_square)
    assert one.p_value == pytest.approx(math.exp(-one.chi_square / 2))  # chi-square, 2 df


def test_log_rank_without_events_or_with_identical_groups() -> None:
    none = log_rank([([1.0, 2.0], [False, False]), ([3.0], [False])])
    assert (none.chi_square, none.df, none.p_value) == (0.0, 0, 1.0)
    same = log_rank([(MP_TIMES, MP_EVENTS), (MP_TIMES, MP_EVENTS)])
    assert same.chi_square == pytest.approx(0.0, abs=1e-12) and same.p_value == pytest.approx(1.0)
    with pytest.raises(ValueError):
        log_rank([(MP_TIMES, MP_EVENTS)])


def test_median_tie_rule_takes_the_midpoint_to_the_next_drop() -> None:
    # S = 0.75, 0.5, 0.25, 0: exactly 0.5 from t = 2 until t = 3 -> 2.5 (R's rule).
    curve = kaplan_meier([1, 2, 3, 4], [True] * 4)
    assert curve.median().estimate == 2.5
    # Exactly 0.5 with no later drop: the start of the interval.
    flat = kaplan_meier([1, 2, 5, 6], [True, True, False, False])
    assert flat.median().estimate == 2
    # Never down to 0.5: not reached.
    assert kaplan_meier([1, 5, 6], [True, False, False]).median().estimate is None


def test_curve_edges() -> None:
    curve = kaplan_meier([2, 2, 3], [True, True, True])
    assert curve.at(1) == (1.0, 1.0, 1.0)
    assert curve.at(3) == (0.0, None, None)  # everyone has had the event: no band
    assert curve.at(4) is None  # beyond follow-up
    assert curve.at_risk(0) == 3 and curve.at_risk(2.5) == 1 and curve.at_risk(9) == 0
    empty = kaplan_meier([], [])
    assert empty.steps == () and empty.median().estimate is None and empty.at(1) is None
    with pytest.raises(ValueError):
        kaplan_meier([1, -1], [True, True])


def test_wilson_known_values() -> None:
    # Newcombe 1998, Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    p = wilson(81, 263)
    assert (round(p.lower, 4), round(p.upper, 4)) == (0.2553, 0.3662)  # type: ignore[arg-type]
    p = wilson(15, 148)
    assert (round(p.lower, 4), round(p.upper, 4)) == (0.0624, 0.1605)  # type: ignore[arg-type]
    zero, full = wilson(0, 10), wilson(10, 10)
    assert zero.lower == 0.0 and zero.upper == pytest.approx(0.2775, abs=5e-5)
    assert full.upper == 1.0 and full.lower == pytest.approx(0.7225, abs=5e-5)
    assert wilson(0, 0).share is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_chi_square_tail() -> None:
    assert chi_square_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi_square_sf(5.991464547107979, 2) == pytest.approx(0.05, rel=1e-9)
    assert chi_square_sf(11.070497693516351, 5) == pytest.approx(0.05, rel=1e-9)
    assert chi_square_sf(3.0, 5) == pytest.approx(0.6999858358786275, rel=1e-9)
    assert chi_square_sf(30.0, 5) == pytest.approx(1.4748581038443052e-05, rel=1e-6)
    assert chi_square_sf(0.0, 3) == 1.0


# Follow-up times on a coarse grid so that ties (events with censorings) come up often.
samples = st.lists(
    st.tuples(st.integers(min_value=0, max_value=30), st.booleans()), min_size=1, max_size=60
)


@given(samples)
def test_survival_properties(data: list[tuple[int, bool]]) -> None:
    times = [float(t) for t, _ in data]
    events = [e for _, e in data]
    curve = kaplan_meier(times, events)
    previous = 1.0
    for step in curve.steps:
        assert 0.0 <= step.survival <= previous + 1e-12
        previous = step.survival
        if step.lower is not None:
            assert 0.0 <= step.lower <= step.survival + 1e-12 <= step.upper + 2e-12  # type: ignore[operator]
            assert step.upper <= 1.0  # type: ignore[operator]
    m = curve.median()
    if m.estimate is not None:
        assert m.lower is None or m.lower <= m.estimate
        assert m.upper is None or m.upper >= m.estimate


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=60))
def test_without_censoring_the_curve_is_the_empirical_survival(times: list[int]) -> None:
    curve = kaplan_meier([float(t) for t in times], [True] * len(times))
    for t in range(0, 32):
        found = curve.at(t)
        if t > max(times):
            assert found is None
            continue
        assert found is not None
        assert found[0] == pytest.approx(sum(x > t for x in times) / len(times))


def test_cross_check_against_lifelines() -> None:
    import lifelines  # in the test extra: the cross-check always runs
    from lifelines.statistics import logrank_test
    from lifelines.utils import median_survival_times

    for times, events in ((MP_TIMES, MP_EVENTS), (PLACEBO_TIMES, ALL_EVENTS)):
        ours = kaplan_meier(times, events)
        theirs = lifelines.KaplanMeierFitter().fit(times, events)
        table = theirs.survival_function_.join(theirs.confidence_interval_)
        for step in ours.steps:
            s, lo, hi = table.loc[step.time].tolist()
            assert step.survival == pytest.approx(s, abs=1e-9)
            if step.lower is not None:
                assert step.lower == pytest.approx(lo, abs=1e-9)
                assert step.upper == pytest.approx(hi, abs=1e-9)
        median = ours.median()
        assert median.estimate == pytest.approx(theirs.median_survival_time_)
        limits = median_survival_times(theirs.confidence_interval_).iloc[0].tolist()
        assert [math.inf if v is None else v for v in (median.lower, median.upper)] == limits
    result = logrank_test(MP_TIMES, PLACEBO_TIMES, MP_EVENTS, ALL_EVENTS)
    ours_test = log_rank([(MP_TIMES, MP_EVENTS), (PLACEBO_TIMES, ALL_EVENTS)])
    assert ours_test.chi_square == pytest.approx(result.test_statistic, rel=1e-9)
    assert ours_test.p_value == pytest.approx(result.p_value, rel=1e-9)


@settings(deadline=None, max_examples=60)  # lifelines takes tens of milliseconds a call
@given(samples, samples, samples)
def test_random_cross_check_against_lifelines(
    a: list[tuple[int, bool]], b: list[tuple[int, bool]], c: list[tuple[int, bool]]
) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    times = [float(t) for t, _ in a]
    events = [e for _, e in a]
    ours = kaplan_meier(times, events)
    theirs = KaplanMeierFitter().fit(times, events)
    table = theirs.survival_function_.join(theirs.confidence_interval_)
    for step in ours.steps:
        s, lo, hi = table.loc[step.time].tolist()
        assert step.survival == pytest.approx(s, abs=1e-9)
        if step.lower is not None and 0 < step.survival < 1:
            assert step.lower == pytest.approx(lo, abs=1e-7)
            assert step.upper == pytest.approx(hi, abs=1e-7)
    groups = [a, b, c]
    if not any(e for g in groups for _, e in g):
        return  # lifelines divides by zero without events
    ours_test = log_rank([([float(t) for t, _ in g], [e for _, e in g]) for g in groups])
    result = multivariate_logrank_test(
        [t for g in groups for t, _ in g],
        [i for i, g in enumerate(groups) for _ in g],
        [e for g in groups for _, e in g],
    )
    if ours_test.df == 2:
        assert ours_test.chi_square == pytest.approx(result.test_statistic, rel=1e-6, abs=1e-9)
        assert ours_test.p_value == pytest.approx(result.p_value, rel=1e-6, abs=1e-12)
