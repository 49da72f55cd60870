"""Pilot tests of the shared Questionnaire widget: digit entry, going back, declining, wording
from the instrument data, and the messages it posts."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Digits, Static

from followup.domain.instrument import ITEM_KEYS, Instrument, default_instrument, parse_instrument
from followup.ui.widgets.questionnaire import AnswerChoice, Questionnaire


class QuestionnaireApp(App[None]):
    """Hosts one Questionnaire and keeps every message it posts."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        super().__init__()
        self.questionnaire = questionnaire
        self.answered: list[Questionnaire.Answered] = []
        self.completed: list[Questionnaire.Completed] = []

    def compose(self) -> ComposeResult:
        yield self.questionnaire

    def on_questionnaire_answered(self, message: Questionnaire.Answered) -> None:
        self.answered.append(message)

    def on_questionnaire_completed(self, message: Questionnaire.Completed) -> None:
        self.completed.append(message)


def make_app(**kwargs: object) -> QuestionnaireApp:
    instrument = kwargs.pop("instrument", default_instrument())
    kwargs.setdefault("allow_decline", True)
    return QuestionnaireApp(Questionnaire(instrument, id="q", **kwargs))  # type: ignore[arg-type]


def text_of(app: App, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def chosen(app: App) -> list[int]:
    return [c.value for c in app.query(AnswerChoice) if c.has_class("-chosen")]


async def test_first_item_shows_counter_prompt_and_labels() -> None:
    app = make_app()
    instrument = default_instrument()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is app.questionnaire
        assert text_of(app, "#q-counter") == "Question 1 of 24"
        assert text_of(app, "#q-prompt") == instrument.prompt_for(instrument.items[0])
        labels = [c.label for c in app.query(AnswerChoice)]
        assert labels == list(instrument.answer_labels)
        assert "0 of 24 answered" in text_of(app, "#q-progress")


async def test_24_digits_complete_the_form() -> None:
    app = make_app()
    digits = [i % 5 for i in range(24)]
    async with app.run_test() as pilot:
        await pilot.press(*[str(d) for d in digits])
        await pilot.pause()
        assert len(app.answered) == 24
        assert [m.index for m in app.answered] == list(range(24))
        assert app.answered[2].key == "p3"
        assert app.answered[0].control is app.questionnaire
        assert len(app.completed) == 1
        assert app.completed[0].answers == dict(zip(ITEM_KEYS, digits, strict=True))
        assert app.questionnaire.is_complete
        assert text_of(app, "#q-counter") == "All 24 questions answered"
        # Further digits are ignored once complete.
        await pilot.press("3")
        await pilot.pause()
        assert len(app.answered) == 24


async def test_backspace_and_up_go_back_with_earlier_answer_highlighted() -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("2", "3")
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 3 of 24"
        await pilot.press("backspace")
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 2 of 24"
        assert chosen(app) == [3]
        await pilot.press("up")
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 1 of 24"
        assert chosen(app) == [2]
        await pilot.press("up")  # nothing before the first item
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 1 of 24"
        await pilot.press("4")
        await pilot.pause()
        assert app.questionnaire.answers == {"p1": 4, "p2": 3}
        assert text_of(app, "#q-counter") == "Question 2 of 24"
        assert chosen(app) == [3]


async def test_decline_only_when_allowed() -> None:
    app = make_app(allow_decline=True)
    async with app.run_test() as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert app.questionnaire.answers == {"p1": None}
        assert app.answered[-1].answers == {"p1": None}
        await pilot.press("backspace")
        await pilot.pause()
        assert "declined" in text_of(app, "#q-status")
        assert chosen(app) == []

    app = make_app(allow_decline=False)
    async with app.run_test() as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert app.questionnaire.answers == {}
        assert app.answered == []
        assert "D:" not in text_of(app, "#q-hint")


@pytest.mark.parametrize("key", ["5", "9", "x", "enter", "space", "down", "minus"])
async def test_other_keys_are_ignored(key: str) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("1", key)
        await pilot.pause()
        assert app.questionnaire.answers == {"p1": 1}
        assert app.questionnaire.index == 1
        assert len(app.answered) == 1


async def test_going_back_from_completion_and_answering_again_completes_again() -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*["1"] * 24)
        await pilot.press("backspace")
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 24 of 24"
        assert chosen(app) == [1]
        await pilot.press("0")
        await pilot.pause()
        assert len(app.completed) == 2
        assert app.completed[-1].answers["f17"] == 0


async def test_given_answers_start_at_first_unanswered_item() -> None:
    app = make_app(answers={"p1": 1, "p2": 2, "p3": None})
    async with app.run_test() as pilot:
        await pilot.pause()
        assert text_of(app, "#q-counter") == "Question 4 of 24"
        assert "3 of 24 answered" in text_of(app, "#q-progress")
        await pilot.press("backspace")
        await pilot.pause()
        assert "declined" in text_of(app, "#q-status")


async def test_wording_comes_from_the_instrument_data() -> None:
    raw = tomllib.loads(
        resources.files("followup.domain").joinpath("womac_style_en.toml").read_text("utf-8")
    )
    raw["answer_labels"] = ["nil", "a little", "some", "a lot", "unbearable"]
    raw["subscales"]["pain"]["prompt"] = "Site wording [pain]:"
    raw["items"][0]["text"] = "walking about the ward?"
    raw["recall"] = "Over the past two days."
    instrument: Instrument = parse_instrument(raw, "test")
    app = make_app(instrument=instrument)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert text_of(app, "#q-prompt") == "Site wording [pain]: walking about the ward?"
        assert text_of(app, "#q-recall") == "Over the past two days."
        assert [c.label for c in app.query(AnswerChoice)] == raw["answer_labels"]


async def test_large_draws_big_digits_and_clicking_an_answer_answers() -> None:
    app = make_app(large=True, allow_decline=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.questionnaire.has_class("-large")
        assert len(app.query(Digits)) == 5
        await pilot.click(AnswerChoice, offset=(10, 1))
        await pilot.pause()
        assert app.questionnaire.answers == {"p1": 0}
