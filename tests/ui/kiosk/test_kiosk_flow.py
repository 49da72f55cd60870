"""Pilot tests of the whole self-report visit, asserting on the screens and the database."""

from __future__ import annotations

from sqlalchemy import text
from textual import events
from textual.widgets import Input

from followup.domain.instrument import ITEM_KEYS
from followup.services.audit import list_events
from followup.services.importing import import_file
from followup.services.review_queue import open_flags
from followup.ui.kiosk.app import SelfReportApp
from followup.ui.kiosk.knee import KneeChoiceScreen
from followup.ui.kiosk.questions import QuestionsScreen
from followup.ui.kiosk.review import ProblemScreen, ReviewScreen
from followup.ui.kiosk.sign_in import NO_KNEE, SignInScreen
from followup.ui.kiosk.thanks import PROBLEM_NOTED, ThankYouScreen
from followup.ui.widgets.questionnaire import AnswerChoice, Questionnaire

from .conftest import Clinic, answer_all, kiosk, screen_text, settle, sign_in


def self_reports(clinic: Clinic) -> list[dict]:
    with clinic.ctx.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM assessment WHERE source = 'self_report' ORDER BY id")
        )
        return [dict(r._mapping) for r in rows]


async def test_sign_in_pick_knee_answer_go_back_and_submit(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", clinic.codes["P1"], typed=True)
        assert isinstance(app.screen, KneeChoiceScreen)
        assert "left knee" in screen_text(pilot) and "right knee" in screen_text(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen)
        assert "RIGHT KNEE" in screen_text(pilot)

        await pilot.press("4", "3", "backspace")  # change item 2 from 3 to 2
        await pilot.pause()
        chosen = [c.value for c in app.screen.query(AnswerChoice) if c.has_class("-chosen")]
        assert chosen == [3]
        await pilot.press("2")
        await pilot.press(*["1"] * 22)
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        review = screen_text(pilot)
        assert "1. when walking on a flat surface?" in review
        assert "4  extreme" in review and "2  moderate" in review

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen)
        assert "Your answers have been saved" in screen_text(pilot)

    [row] = self_reports(clinic)
    assert (row["patient_id"], row["knee"], row["assessed_on"]) == ("P1", "right", "2026-11-21")
    assert row["created_by"] == "patient:P1"
    assert [row[k] for k in ITEM_KEYS] == [4, 2] + [1] * 22
    assert row["adverse_event"] is None
    events = list_events(clinic.ctx.engine, patient_id="P1")
    created = [e for e in events if e.entity == "assessment"]
    assert [(e.user, e.action) for e in created] == [("patient:P1", "create")]


async def test_thank_you_shows_own_trend_then_a_fresh_first_screen(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", clinic.codes["P1"])
        await pilot.press("l")
        await settle(pilot)
        await answer_all(pilot, "1", typed=False)  # 25 out of 100
        await pilot.press("enter")
        await settle(pilot)
        thanks = screen_text(pilot)
        assert (
            "Your knee pain score is 25 out of 100 (lower is better). "
            "Before treatment it was 75." in thanks
        )
        assert "pain scores since treatment, oldest first: 50, 25." in thanks
        assert PROBLEM_NOTED not in thanks

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.is_pristine
        assert all(not field.value for field in app.screen.query(Input))
        assert app.focused is app.screen.query_one("#patient-id")
        assert "P1" not in screen_text(pilot)
        assert len(app.screen_stack) == 2


async def test_one_knee_goes_straight_to_the_questions(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"].lower().replace("-", ""))
        assert isinstance(app.screen, QuestionsScreen)
        questionnaire = app.screen.query_one(Questionnaire)
        assert questionnaire.large and not questionnaire.allow_decline
        assert app.focused is questionnaire
        await pilot.press("d")  # no "declined" for patients: every item must be answered
        await pilot.pause()
        assert questionnaire.answers == {}


async def test_back_from_review_to_change_the_last_answer(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, "3", typed=False)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("backspace")
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen)
        assert "Question 24 of 24" in screen_text(pilot)
        await pilot.press("0")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("enter")
        await settle(pilot)
    [row] = self_reports(clinic)
    assert row["f16"] == 3 and row["f17"] == 0


async def test_reporting_a_new_problem_raises_a_safety_flag(clinic: Clinic) -> None:
    assert not [f for f in open_flags(clinic.ctx, "P2") if f.kind == "safety"]
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, "2", typed=False)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        app.screen.query_one(Input).value = "warm and swollen"
        await pilot.press("escape")  # escape: leave it as it was (nothing to report)
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.visit.problem is None
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*"new ")  # typed, as a patient would; the rest pasted for speed
        app.screen.query_one(Input).insert_text_at_cursor("swelling and fever")
        await pilot.press("enter")
        await settle(pilot)
        assert "new swelling and fever" in screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen)
        assert PROBLEM_NOTED in screen_text(pilot)
    [row] = self_reports(clinic)
    assert row["adverse_event"] == "new swelling and fever"
    safety = [f for f in open_flags(clinic.ctx, "P2") if f.kind == "safety"]
    assert len(safety) == 1 and safety[0].knee == "left"


async def test_no_knee_in_follow_up_is_explained_and_nothing_kept(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P3", clinic.codes["P3"])
        assert isinstance(app.screen, SignInScreen)
        assert NO_KNEE in screen_text(pilot)
        assert all(not field.value for field in app.screen.query(Input))


def send_burst(app: SelfReportApp, keys: list[str]) -> None:
    """Send keys as a terminal or browser does, all at once (Pilot's press waits after each)."""
    for key in keys:
        character = None if key == "enter" else key
        app.post_message(events.Key("minus" if key == "-" else key, character))


async def test_id_and_code_typed_in_one_burst_stay_apart(clinic: Clinic) -> None:
    """A card reader (or a fast typist) sends ID, Enter, code, Enter without pausing."""
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        send_burst(app, ["P", "2", "enter", *clinic.codes["P2"], "enter"])
        await pilot.pause(0.3)
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen), screen_text(pilot)


async def test_a_code_typed_ahead_keeps_its_first_character(clinic: Clinic) -> None:
    """Over a slow connection the browser sends the keys in bursts: ID, Enter and the code's
    first character in one, the rest once the code field has been focused. The first
    character was inserted before the field's focus selected everything in it, and the next
    key then replaced it (seen in CI: 'Question 1' never came)."""
    app = kiosk(clinic)
    code = clinic.codes["P2"]
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        first, rest = ["P", "2", "enter", code[0]], [*code[1:], "enter"]
        for burst in (first, rest):
            send_burst(app, burst)
            await pilot.pause(0.1)
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen), screen_text(pilot)


async def test_thank_you_survives_an_earlier_form_whose_pain_could_not_be_scored(
    clinic: Clinic, tmp_path
) -> None:
    """A phone form with too many pain items declined has no pain score: the thank-you screen
    once crashed the kiosk on it (the patient saw a traceback); it leaves that form out."""
    path = tmp_path / "declined.csv"
    path.write_text(
        "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS) + "\n"
        "P1,left,2026-06-05,phone,,,,1,1," + ",".join(["2"] * (len(ITEM_KEYS) - 5)) + "\n",
        encoding="utf-8",
    )
    import_file(clinic.ctx, "assessments", path, "test")
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", clinic.codes["P1"])
        await pilot.press("l")
        await settle(pilot)
        await answer_all(pilot, "1", typed=False)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen)
        thanks = screen_text(pilot)
        assert "pain scores since treatment, oldest first: 50, 25." in thanks
        assert "daily-activity scores since treatment, oldest first: 50, 50, 25." in thanks


async def test_a_refused_sign_in_is_explained_in_full_at_80x24(clinic: Clinic) -> None:
    """At 80x24 the message's second line ("Please try again, or ask the clinic for a new
    code.") was below the bottom of the screen."""
    from textual.widgets import Static

    from tests.ui.sight import in_sight

    app = kiosk(clinic)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "P2", "WRONG-CODE")
        await pilot.pause()
        message = app.screen.query_one("#message", Static)
        assert "ask the clinic for a new code" in str(message.render())
        region = message.region
        assert region.height >= 2
        for y in (region.y, region.bottom - 1):
            assert in_sight(app.screen, message, y), y
        assert app.focused is app.screen.query_one("#code")


async def test_a_small_screen_shows_every_answer_and_the_hint(clinic: Clinic) -> None:
    """Three-row digits need about 30 rows: at 80x24 the last answer was cut and "Press 0-4
    to answer" and the progress were below the bottom. A short screen has one-row answers;
    a tall one keeps the large digits."""
    from textual.widgets import Digits, Static

    from tests.ui.sight import in_sight

    for size, large in (((80, 24), False), ((120, 40), True)):
        app = kiosk(clinic)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "P2", clinic.codes["P2"])
            assert isinstance(app.screen, QuestionsScreen)
            questionnaire = app.screen.query_one(Questionnaire)
            hint = questionnaire.query_one("#q-hint", Static)
            assert "Press 0-4 to answer" in str(hint.render())
            assert in_sight(app.screen, hint), size
            for choice in questionnaire.query(AnswerChoice):
                label = choice.query_one(".answer-label")
                assert in_sight(app.screen, label, label.region.bottom - 1), (size, choice.value)
            shown = [d for d in questionnaire.query(Digits) if d.display]
            assert len(shown) == (5 if large else 0), size
            await pilot.press("3")  # answers as before
            assert questionnaire.answers == {ITEM_KEYS[0]: 3}
