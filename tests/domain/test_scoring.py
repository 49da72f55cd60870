"""Scoring of the WOMAC-style form (DESIGN.md 2.1): hand-computed cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.domain.instrument import (
    FUNCTION,
    ITEM_KEYS,
    PAIN,
    STIFFNESS,
    default_instrument,
    parse_instrument,
)
from followup.domain.scoring import score, score_numbers

V = "test-1"


def answers(**overrides: int | None) -> dict[str, int | None]:
    base: dict[str, int | None] = {k: 2 for k in ITEM_KEYS}
    base.update(overrides)
    return base


def test_all_twos_score_fifty_everywhere() -> None:
    s = score(answers(), V)
    assert (s.pain.raw, s.stiffness.raw, s.function.raw, s.total_raw) == (10, 4, 34, 48)
    assert s.pain.score == s.stiffness.score == s.function.score == s.total == 50
    assert (s.answered, s.imputed, s.instrument_version) == (24, 0, V)


def test_extremes() -> None:
    assert score({k: 0 for k in ITEM_KEYS}, V).total == 0
    assert score({k: 4 for k in ITEM_KEYS}, V).total == 100


def test_one_missing_pain_item_takes_the_mean_of_the_others() -> None:
    # answered pain items 4, 3, 2, 1 -> mean 2.5 -> raw 12.5 -> 62.5
    s = score(answers(p1=4, p2=3, p3=2, p4=1, p5=None), V)
    assert s.pain.raw == 12.5
    assert s.pain.score == 62.5
    assert (s.pain.answered, s.pain.imputed) == (4, 1)
    assert s.total_raw == 12.5 + 4 + 34


def test_two_missing_pain_items_make_pain_and_total_invalid_not_zero() -> None:
    s = score(answers(p1=None, p2=None), V)
    assert s.pain.score is None and s.pain.raw is None
    assert s.total is None and s.total_raw is None
    assert s.function.score == 50


def test_stiffness_one_missing_is_imputed_two_missing_invalid() -> None:
    assert score(answers(s1=None, s2=3), V).stiffness.score == 75
    assert score(answers(s1=None, s2=None), V).stiffness.score is None


def test_function_three_missing_imputed_four_missing_invalid() -> None:
    three = score(answers(f1=None, f2=None, f3=None), V)
    assert three.function.score == 50 and three.function.imputed == 3
    four = score(answers(f1=None, f2=None, f3=None, f4=None), V)
    assert four.function.score is None and four.total is None


def test_summing_answered_items_would_look_better_than_imputation() -> None:
    s = score(answers(p1=None), V)  # others 2 -> imputed raw 10, plain sum would be 8
    assert s.pain.raw == 10


@pytest.mark.parametrize("bad", [5, -1, 2.5, "2", True])
def test_out_of_range_answers_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="p3"):
        score(answers(p3=bad), V)  # type: ignore[arg-type]


def test_unknown_item_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown item"):
        score({"p6": 1}, V)


def test_default_wording_has_24_items_in_order() -> None:
    inst = default_instrument()
    assert [i.key for i in inst.items] == list(ITEM_KEYS)
    assert [i.number for i in inst.items] == list(range(1, 25))
    assert inst.answer_labels == ("none", "mild", "moderate", "severe", "extreme")
    assert "knee" in inst.prompt_for(inst.items[0])


def test_a_site_wording_must_keep_the_structure() -> None:
    import tomllib
    from importlib import resources

    data = tomllib.loads(
        resources.files("followup.domain").joinpath("womac_style_en.toml").read_text("utf-8")
    )
    data["items"][0], data["items"][1] = data["items"][1], data["items"][0]
    with pytest.raises(ValueError, match="in that order"):
        parse_instrument(data, "site.toml")


answer = st.one_of(st.none(), st.integers(0, 4))
forms = st.fixed_dictionaries({k: answer for k in ITEM_KEYS})


@given(forms)
def test_scores_stay_within_0_and_100(form: dict[str, int | None]) -> None:
    s = score(form, V)
    for part in (s.pain.score, s.stiffness.score, s.function.score, s.total):
        assert part is None or 0 <= part <= 100


@given(forms, st.sampled_from(ITEM_KEYS))
def test_raising_one_answer_never_lowers_its_subscale(form: dict, key: str) -> None:
    if form[key] is None or form[key] == 4:
        return
    before = score(form, V)
    after = score({**form, key: form[key] + 1}, V)
    sub = "pain" if key.startswith("p") else "stiffness" if key.startswith("s") else "function"
    b, a = getattr(before, sub).score, getattr(after, sub).score
    assert (b is None) == (a is None)  # validity depends only on which items are missing
    assert b is None or a >= b
    if before.total is not None:
        assert after.total is not None and after.total >= before.total


@given(forms)
def test_invalidity_thresholds_hold(form: dict[str, int | None]) -> None:
    s = score(form, V)
    for sub, limit in ((PAIN, 2), (STIFFNESS, 2), (FUNCTION, 4)):
        missing = sum(form[k] is None for k in sub.keys)
        assert (getattr(s, sub.name).score is None) == (missing >= limit)
    assert (s.total is None) == any(
        getattr(s, sub.name).score is None for sub in (PAIN, STIFFNESS, FUNCTION)
    )
    assert s.answered == sum(v is not None for v in form.values())


def imputed_by_the_rule(values: tuple[int | None, ...]) -> tuple:
    """score_numbers as DESIGN.md 2.1 words it, subscale by subscale: too many gaps make a
    subscale invalid, otherwise each gap takes the mean of the answered items."""
    raws, scores, counts = [], [], []
    start = 0
    for sub in (PAIN, STIFFNESS, FUNCTION):
        items = values[start : start + len(sub.keys)]
        start += len(sub.keys)
        answered = [v for v in items if v is not None]
        missing = len(items) - len(answered)
        valid = missing < sub.invalid_when_missing
        raw = sum(answered) * len(items) / len(answered) if valid else None
        raws.append(raw)
        scores.append(raw * 100 / sub.raw_max if valid else None)
        counts += [len(answered), missing if valid else 0]
    total_raw = None if None in raws else raws[0] + raws[1] + raws[2]
    total = None if total_raw is None else total_raw * 100 / (4 * len(ITEM_KEYS))
    answered, imputed = sum(counts[0::2]), sum(counts[1::2])
    return (*raws, total_raw, *scores, total, answered, imputed, tuple(counts))


complete_forms = st.tuples(*[st.integers(0, 4)] * len(ITEM_KEYS))
any_forms = st.tuples(*[answer] * len(ITEM_KEYS))


@given(st.one_of(complete_forms, any_forms))
def test_score_numbers_is_the_imputation_rule_exactly(values: tuple[int | None, ...]) -> None:
    # Complete forms take a shorter path; it must give the very same numbers, of the same types.
    got = score_numbers(values)
    expected = imputed_by_the_rule(values)
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
