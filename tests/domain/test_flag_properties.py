"""Properties of the flag rules over random episodes (Hypothesis): evaluation is deterministic
and idempotent, the future is invisible, levels match kinds, and forecasts lie ahead."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from followup.domain.flags import (
    KIND_LEVELS,
    EpisodeView,
    current_call,
    evaluate_episode,
    stable_range,
)
from followup.domain.records import (
    DECISIONS,
    DecisionRecord,
    EpisodeInput,
    ScoredAssessment,
    TreatmentRecord,
)
from followup.domain.rule_file import default_rules
from followup.domain.schedule import schedule_status

from .flags.helpers import T0, day

RULES = default_rules()
LEVEL_RANK = {"urgent": 0, "action": 1, "watch": 2}
# Scores on a coarse grid, so ties and exact thresholds come up often.
score = st.integers(min_value=0, max_value=40).map(lambda n: n * 2.5)


@st.composite
def forms(draw: st.DrawFn, days: st.SearchStrategy[int]) -> list[ScoredAssessment]:
    offsets = draw(st.lists(days, max_size=14, unique=True))
    out = []
    for i, n in enumerate(sorted(offsets)):
        # Mostly complete forms; sometimes a subscale too incomplete to score (validity is per
        # domain: a form may count for pain and not for function).
        pain, function, stiffness = (
            draw(score) if draw(st.sampled_from([True] * 5 + [False])) else None for _ in range(3)
        )
        total = None if None in (pain, function, stiffness) else (pain + function + stiffness) / 3  # type: ignore[operator]
        out.append(
            ScoredAssessment(
                id=i + 1,
                assessed_on=day(n),
                pain=pain,
                stiffness=stiffness,
                function=function,
                total=total,
                patient_global=draw(st.none() | st.integers(0, 100)),
                adverse_event=draw(st.none() | st.none() | st.just("swelling")),
            )
        )
    return out


@st.composite
def courses(draw: st.DrawFn) -> list[ScoredAssessment]:
    """A baseline, a response, then a drift back towards baseline: the shape that wears off."""
    high = st.integers(min_value=20, max_value=40).map(lambda n: n * 2.5)
    base_p, base_f, base_s = draw(high), draw(high), draw(high)
    best = draw(st.floats(min_value=0.1, max_value=0.7))
    drift = draw(st.floats(min_value=0.0, max_value=1.5))  # share of baseline regained a year
    offsets = draw(
        st.lists(st.integers(min_value=28, max_value=950), min_size=2, max_size=12, unique=True)
    )
    out = [ScoredAssessment(1, day(-7), base_p, base_s, base_f, (base_p + base_f + base_s) / 3)]
    for i, n in enumerate(sorted(offsets)):
        share = min(1.0, best + drift * n / 365)
        pain, function, stiffness = (
            round(b * share / 2.5 + draw(st.integers(-2, 2))) * 2.5
            for b in (base_p, base_f, base_s)
        )
        pain, function, stiffness = (min(100.0, max(0.0, v)) for v in (pain, function, stiffness))
        out.append(
            ScoredAssessment(
                i + 2,
                day(n),
                pain,
                stiffness,
                function,
                (pain + function + stiffness) / 3,
                adverse_event=draw(st.none() | st.none() | st.none() | st.just("pain")),
            )
        )
    return out


@st.composite
def episodes(draw: st.DrawFn) -> tuple[EpisodeInput, date]:
    assessments = draw(forms(st.integers(min_value=-100, max_value=950)) | courses())
    # Often "as of" is the day of an assessment, when rules change their verdict.
    on_a_form = (
        st.sampled_from([a.assessed_on for a in assessments]) if assessments else st.nothing()
    )
    as_of = draw(st.integers(min_value=-5, max_value=900).map(day) | on_a_form)
    decisions = tuple(
        DecisionRecord(
            draw(st.sampled_from(sorted(KIND_LEVELS))),
            draw(st.sampled_from(DECISIONS)),
            datetime.combine(day(draw(st.integers(0, 900))), time(9)),
            draw(st.none() | st.integers(0, 1000).map(day)),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    next_day = draw(st.none() | st.none() | st.integers(min_value=1, max_value=1000))
    treatment = TreatmentRecord(
        "T1",
        "P1",
        "right",
        T0,
        "bmac",
        route=draw(st.sampled_from(["intra_articular", "iv"])),
        kl_grade=draw(st.none() | st.integers(1, 4)),
        banked_doses=draw(st.none() | st.integers(0, 3)),
        booster_of=draw(st.none() | st.none() | st.just("T0")),
    )
    # A booster keeps its chain's first baseline: forms before a first treatment 200 days back.
    chain_on = day(-200) if treatment.booster_of else None
    chain = tuple(draw(forms(st.integers(min_value=-300, max_value=-200)))) if chain_on else ()
    ep = EpisodeInput(
        treatment=treatment,
        next_treated_on=None if next_day is None else day(next_day),
        smoker=draw(st.booleans()),
        assessments=tuple(
            a for a in assessments if next_day is None or a.assessed_on < day(next_day)
        ),
        decisions=decisions,
        chain_treated_on=chain_on,
        chain_forms=chain,
        next_treatment_id=None if next_day is None else "T2",
    )
    return ep, as_of


PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(episodes())
def test_evaluation_is_deterministic_and_idempotent(case: tuple[EpisodeInput, date]) -> None:
    ep, as_of = case
    first = evaluate_episode(ep, as_of, RULES)
    assert evaluate_episode(ep, as_of, RULES) == first
    assert evaluate_episode(ep, as_of, RULES) == evaluate_episode(ep, as_of, RULES)
    # The order in which the forms arrive does not matter (they have distinct dates here).
    shuffled = ep._replace(assessments=ep.assessments[::-1])
    assert evaluate_episode(shuffled, as_of, RULES) == first


@PROPERTY
@given(episodes(), st.data())
def test_assessments_after_as_of_change_nothing(
    case: tuple[EpisodeInput, date], data: st.DataObject
) -> None:
    ep, as_of = case
    horizon = (as_of - T0).days + 1
    extra = data.draw(forms(st.integers(min_value=horizon, max_value=horizon + 400)))
    if ep.next_treated_on is not None:
        extra = [a for a in extra if a.assessed_on < ep.next_treated_on]
    longer = ep._replace(
        assessments=tuple(sorted(ep.assessments + tuple(extra), key=lambda a: a.assessed_on))
    )
    assert evaluate_episode(longer, as_of, RULES) == evaluate_episode(ep, as_of, RULES)
    assert schedule_status(longer, as_of, RULES) == schedule_status(ep, as_of, RULES)
    assert current_call(longer, as_of, RULES) == current_call(ep, as_of, RULES)


@PROPERTY
@given(episodes(), st.data())
def test_findings_hold_over_their_stable_range(
    case: tuple[EpisodeInput, date], data: st.DataObject
) -> None:
    """Whole-cohort evaluation re-runs an episode only when "as of" leaves this range, so any day
    inside it must give exactly the same findings, and the range must contain "as of"."""
    ep, as_of = case
    start, end = stable_range(ep, as_of, RULES)
    assert start is None or start <= as_of
    assert end is None or as_of < end
    low = start or as_of - timedelta(days=2000)
    high = (end or as_of + timedelta(days=2000)) - timedelta(days=1)
    found = evaluate_episode(ep, as_of, RULES)
    call = current_call(ep, as_of, RULES)
    for d in {low, high, data.draw(st.dates(low, high))}:
        assert evaluate_episode(ep, d, RULES) == found, d
        assert current_call(ep, d, RULES) == call, d
    # The range is tight where it ends: the edges are days a rule can change its verdict on.
    # (Not every edge does change it, so this only checks the range is not empty.)
    assert low <= high


@PROPERTY
@given(episodes())
def test_findings_are_well_formed(case: tuple[EpisodeInput, date]) -> None:
    ep, as_of = case
    found = evaluate_episode(ep, as_of, RULES)
    kinds = [f.kind for f in found]
    assert len(set(kinds)) == len(kinds)
    assert not {"wearing_off", "possible_wearing_off"} <= set(kinds)
    assert not {"overdue", "lost_to_follow_up"} <= set(kinds)
    ranks = [LEVEL_RANK[f.level] for f in found]
    assert ranks == sorted(ranks)
    seen = EpisodeView(ep, as_of, RULES)
    for f in found:
        assert f.level == KIND_LEVELS[f.kind]
        assert ep.treatment.treated_on <= f.raised_on <= as_of
        assert f.evidence["rule_set"] == RULES.version
        assert json.loads(json.dumps(f.evidence)) == f.evidence
        assert f.summary.endswith(".") and f.summary[0].isupper()
        base = f.evidence.get("baseline")
        if base is not None:
            for domain in ("pain", "function"):
                form = seen.baseline[domain]
                on = None if form is None else form.assessed_on.isoformat()
                assert base[f"{domain}_on"] == on


@PROPERTY
@given(episodes())
def test_booster_check_by_lies_after_the_anchoring_assessment(
    case: tuple[EpisodeInput, date],
) -> None:
    ep, as_of = case
    for f in evaluate_episode(ep, as_of, RULES):
        if f.booster_check_by is None:
            continue
        assert f.kind == "possible_wearing_off"
        anchors = [
            t["trend"]["to"]
            for d in ("pain", "function")
            if "trend" in (t := f.evidence.get(d, {}))
        ]
        assert anchors
        assert f.booster_check_by > date.fromisoformat(max(anchors))
        assert f.booster_check_by > f.raised_on


@PROPERTY
@given(episodes())
def test_the_current_call_is_not_done_and_fits_its_status(case: tuple[EpisodeInput, date]) -> None:
    """The call is for a timepoint of the episode not done by "as of"; an overdue one closed
    before "as of", a due one is open on it, an upcoming one opens later; a superseded episode
    has no call."""
    ep, as_of = case
    call = current_call(ep, as_of, RULES)
    if call is None:
        return
    assert ep.next_treated_on is None or ep.next_treated_on > as_of
    if call.timepoint == "confirm":  # a confirmation call: open until its window closes
        assert call.window_end >= as_of
        assert (call.window_end - call.window_start).days == 14
        return
    statuses = {s.label: s for s in schedule_status(ep, as_of, RULES)}
    assert statuses[call.timepoint].status != "done"
    status = call.status(as_of)
    if status == "overdue":
        assert call.window_end < as_of
    elif status == "due":
        assert call.window_start <= as_of <= call.window_end
    else:
        assert call.window_start > as_of


@PROPERTY
@given(episodes(), st.integers(min_value=0, max_value=60), st.data())
def test_a_range_that_looks_ahead_still_holds_on_every_day(
    case: tuple[EpisodeInput, date], look_ahead: int, data: st.DataObject
) -> None:
    """A range stretched past days that change nothing (``look_ahead_days``) holds as the
    plain one does: every day in it gives the same findings and call; it only ever grows."""
    from followup.domain.flags import assess_episode

    ep, as_of = case
    plain = assess_episode(ep, as_of, RULES)
    result = assess_episode(ep, as_of, RULES, look_ahead)
    assert (result.findings, result.call, result.stable_from) == (
        plain.findings, plain.call, plain.stable_from,
    )  # fmt: skip
    end = result.stable_until
    assert plain.stable_until is None or (end is None or end >= plain.stable_until)
    low = result.stable_from or as_of - timedelta(days=2000)
    high = (end or as_of + timedelta(days=2000)) - timedelta(days=1)
    for d in {low, high, data.draw(st.dates(low, high))}:
        assert evaluate_episode(ep, d, RULES) == result.findings, d
        assert current_call(ep, d, RULES) == result.call, d
    if end is not None and end <= as_of + timedelta(days=look_ahead):
        # It stopped early only where the result changes.
        changed = (evaluate_episode(ep, end, RULES), current_call(ep, end, RULES))
        assert changed != (result.findings, result.call)
