"""The kiosk keeps patients in and other patients' data out: wrong codes, lockout counted in
the database, keys that would leave the app, the idle timeout, and friendly errors."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from textual.app import App
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from followup.services.patient_codes import REFUSED
from followup.settings import Settings
from followup.store.engine import read_session
from followup.store.models import PatientCode
from followup.ui.kiosk import review
from followup.ui.kiosk.app import SelfReportApp
from followup.ui.kiosk.knee import KneeChoiceScreen
from followup.ui.kiosk.questions import QuestionsScreen
from followup.ui.kiosk.review import ProblemScreen, ReviewScreen
from followup.ui.kiosk.sign_in import SignInScreen
from followup.ui.kiosk.thanks import ThankYouScreen
from followup.ui.kiosk.words import BUSY, NOT_AVAILABLE, NOT_SAVED

from .conftest import Clinic, answer_all, kiosk, screen_text, settle, sign_in

WRONG = "AAAA-AAAA"


def failed_attempts(clinic: Clinic, patient_id: str) -> int:
    with read_session(clinic.ctx.engine) as session:
        query = select(PatientCode).where(
            PatientCode.patient_id == patient_id,
            PatientCode.revoked_at == None,  # noqa: E711
        )
        return max(c.failed_attempts for c in session.exec(query))


async def test_wrong_code_shows_the_service_message_and_is_counted(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", WRONG, typed=True)
        assert isinstance(app.screen, SignInScreen)
        text = screen_text(pilot)
        assert REFUSED in text
        assert "attempt" not in text  # nothing says how many are left
        assert app.screen.query_one("#code", Input).value == ""
        assert app.focused is app.screen.query_one("#code")
    assert failed_attempts(clinic, "P1") == 1


async def test_unknown_patient_gets_the_same_message_as_a_wrong_code(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P999", clinic.codes["P1"])
        text = screen_text(pilot)
        assert REFUSED in text
        assert "P1" not in text.replace("P999", "")


async def test_lockout_after_five_wrong_codes_survives_a_restart(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("P", "1", "enter")
        for _ in range(5):
            app.screen.query_one("#code", Input).value = WRONG
            await pilot.press("enter")
            await settle(pilot)
        # Locked, and told in the same words as any wrong code: the screen stays as it was.
        assert REFUSED in screen_text(pilot)
        assert app.screen.query_one("#patient-id", Input).value == "P1"
    assert failed_attempts(clinic, "P1") == 5

    restarted = kiosk(clinic)  # a new kiosk process: the count is in the database
    async with restarted.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", clinic.codes["P1"])
        assert isinstance(restarted.screen, SignInScreen)
        assert REFUSED in screen_text(pilot)
    assert failed_attempts(clinic, "P1") == 5  # the locked code was not checked again


LEAVING_KEYS = ("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "ctrl+backslash", "f1", "escape")


async def test_no_key_leaves_the_app_on_any_screen(clinic: Clinic) -> None:
    assert SelfReportApp.ENABLE_COMMAND_PALETTE is False
    app = kiosk(clinic)

    async def try_to_leave(pilot: Pilot, expected: type) -> None:
        for key in LEAVING_KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running and app.return_code is None, key
            assert not any(isinstance(s, CommandPalette) for s in app.screen_stack), key
            if key == "escape" and expected is ProblemScreen:
                expected = ReviewScreen  # escape cancels the problem dialog, nothing more
            assert type(app.screen) is expected, key

    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await try_to_leave(pilot, SignInScreen)
        await sign_in(pilot, "P1", clinic.codes["P1"])
        await try_to_leave(pilot, KneeChoiceScreen)
        await pilot.press("l")
        await settle(pilot)
        await try_to_leave(pilot, QuestionsScreen)
        await answer_all(pilot, typed=False)
        await try_to_leave(pilot, ReviewScreen)
        await pilot.press("p")
        await settle(pilot)
        await try_to_leave(pilot, ProblemScreen)
        await pilot.press("enter")
        await settle(pilot)
        await try_to_leave(pilot, ThankYouScreen)


async def test_idle_timeout_discards_the_visit(clinic: Clinic) -> None:
    app = kiosk(clinic, selfreport_idle_seconds=2)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await pilot.press("3", "3", "3")
        assert isinstance(app.screen, QuestionsScreen)
        await pilot.pause(1.0)
        await pilot.press("3")  # activity: the visit goes on
        await pilot.pause(1.2)
        assert isinstance(app.screen, QuestionsScreen)
        await pilot.pause(1.4)
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.is_pristine
        assert "of 24" not in screen_text(pilot)
    with clinic.ctx.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM assessment WHERE patient_id = 'P2'")
        assert count.scalar() == 0


async def test_idle_reset_from_a_dialog_over_the_review(clinic: Clinic) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, typed=False)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        app.idle_expired()
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.screen.is_pristine
        assert len(app.screen_stack) == 2
        app.idle_expired()  # a pristine first screen stays as it is
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)


async def test_thank_you_screen_clears_itself(clinic: Clinic) -> None:
    app = kiosk(clinic, selfreport_idle_seconds=3)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot)
        await pilot.press("enter")
        pressed = time.monotonic()
        # Watched as it happens (waiting for every worker first could outlast the 3 s).
        while not isinstance(app.screen, ThankYouScreen) and time.monotonic() - pressed < 15:
            await pilot.pause(0.05)
        assert isinstance(app.screen, ThankYouScreen)
        shown = time.monotonic()
        while not isinstance(app.screen, SignInScreen) and time.monotonic() - shown < 15:
            await pilot.pause(0.1)  # a loaded machine may be late, never early
        assert isinstance(app.screen, SignInScreen)
        assert time.monotonic() - shown >= 2.0


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OperationalError("INSERT ... P2 secret", {}, Exception("database is locked")), BUSY),
        (RuntimeError("P2 Bob Example 1948-02-02"), NOT_SAVED),
    ],
)
async def test_save_errors_are_friendly_and_can_be_retried(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    real = review.submit_self_report
    failures = [error]

    def flaky(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "submit_self_report", flaky)
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        await answer_all(pilot, typed=False)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        text = screen_text(pilot)
        assert message in text
        assert "secret" not in text and "Bob" not in text and "Traceback" not in text
        await pilot.press("enter")  # the answers are still there: try again
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen)


async def test_unavailable_database_is_a_friendly_message(tmp_path) -> None:  # noqa: ANN001
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    settings = Settings(database_url=f"sqlite:///{blocked}/followup.db")
    app = SelfReportApp(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert NOT_AVAILABLE in screen_text(pilot)
        assert app.is_running


def test_textual_crash_report_hook_still_exists() -> None:
    """SelfReportApp overrides App._fatal_error to keep local variables (patient data) out
    of the crash report; a Textual upgrade that renames it must fail here, not silently."""
    assert callable(getattr(App, "_fatal_error", None))
    assert SelfReportApp._fatal_error is not App._fatal_error


async def test_a_browser_visit_ends_after_the_allowed_wrong_sign_ins(clinic: Clinic) -> None:
    """``followup serve`` sets a limit: a visit cannot go on guessing codes for ever (a new
    visit counts against the address's visits a minute)."""
    app = kiosk(clinic, selfreport_refusals_per_visit=2)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P1", WRONG)
        assert not app._exit and REFUSED in screen_text(pilot)
        await sign_in(pilot, "P404", WRONG)  # unknown IDs count alike
        assert app._exit


async def test_the_terminal_kiosk_has_no_limit_per_visit(clinic: Clinic) -> None:
    app = kiosk(clinic)
    assert app.settings.selfreport_refusals_per_visit == 0
    async with app.run_test(size=(100, 40)) as pilot:
        for _ in range(4):
            await sign_in(pilot, "P404", WRONG)
        assert not app._exit and isinstance(app.screen, SignInScreen)
