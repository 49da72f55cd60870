"""Hostile text at the kiosk (issue 16): Textual markup and control characters typed, pasted or
slipped into the sign-in fields and the problem field. The kiosk stays up on a sensible screen,
an ID that is no patient's gets the one refusal an unknown ID gets (nothing to enumerate), and
nothing is written but what a sign-in writes on purpose: a wrong code for a real patient is
counted and audited (services/patient_codes.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from textual import events
from textual.widgets import Input, Static

from followup.services.patient_codes import REFUSED
from followup.store.fields import CLINIC_ID
from followup.ui.kiosk.review import ProblemScreen, ReviewScreen
from followup.ui.kiosk.sign_in import SignInScreen
from followup.ui.kiosk.thanks import ThankYouScreen

from .conftest import Clinic, answer_all, kiosk, settle, sign_in

SIZES = [(100, 40), (80, 24)]
MARKUP = ["[/b]", "[bold]x", "[@click=app.quit]x[/]", "[red]P1[/red]"]
# P1 with a control character: at either end (str.strip() takes \x1c-\x1f and \x85 for spaces)
# or inside; the escape sequences would colour or clear a terminal that printed them raw.
CONTROLS = ["P1\x1b[31m", "\x1b[2JP1", "P1\x00", "P1\x1f", "\x1cP1", "P1\x85", "\x9bP1", "P\x7f1"]
HOSTILE_CODES = ["[/b]", "\x1b[31m\x00", "[bold]AAAA-AAAA"]


def written(clinic: Clinic) -> tuple[int, ...]:
    """What a sign-in or a visit could write: audit events, assessments, codes' counts."""
    with clinic.ctx.engine.connect() as conn:
        return tuple(
            conn.execute(text(query)).scalar() or 0
            for query in (
                "SELECT count(*) FROM audit_event",
                "SELECT count(*) FROM assessment",
                "SELECT sum(failed_attempts) FROM patient_code",
                "SELECT count(last_failed_at) FROM patient_code",
            )
        )


def message(app: object) -> str:
    return str(app.screen.query_one("#message", Static).render())  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
async def test_the_patient_id_field_takes_only_what_an_id_may_hold(
    clinic: Clinic, size: tuple[int, int]
) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#patient-id", Input)
        await pilot.press(*"[/b][bold]x")
        assert field.value == "bboldx"  # the brackets and the slash never got in
        for pasted in ["[bold]x", "P1\x1b[31m", "\x00", "P1\x1f"]:
            app.post_message(events.Paste(pasted))
            await pilot.pause()
            assert field.value == "bboldx", repr(pasted)
        assert set(field.value) <= set(CLINIC_ID.allowed)
        assert app.is_running and isinstance(app.screen, SignInScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_an_id_with_markup_or_a_control_character_is_refused_like_an_unknown_one(
    clinic: Clinic, size: tuple[int, int]
) -> None:
    """Set past the field's own restriction (as a pasted text that got past it would be),
    with P1's right code: still no patient's ID, so the one refusal, and nothing written."""
    app = kiosk(clinic)
    before = written(clinic)
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, "P999", clinic.codes["P1"])
        unknown = message(app)
        assert unknown == REFUSED
        for hostile in MARKUP + CONTROLS:
            await sign_in(pilot, hostile, clinic.codes["P1"])
            assert app.is_running and app.return_code is None, repr(hostile)
            assert isinstance(app.screen, SignInScreen), repr(hostile)
            assert message(app) == unknown, repr(hostile)
            assert app.screen.query_one("#code", Input).value == ""
    assert written(clinic) == before


async def test_a_hostile_code_is_one_wrong_code(clinic: Clinic) -> None:
    """For an unknown ID nothing is written; for a real patient a wrong code is counted and
    audited on purpose (the lockout), whatever it holds."""
    app = kiosk(clinic)
    before = written(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        for code in HOSTILE_CODES:
            await sign_in(pilot, "P404", code)
            assert message(app) == REFUSED and isinstance(app.screen, SignInScreen)
        assert written(clinic) == before
        await sign_in(pilot, "P1", HOSTILE_CODES[1])
        assert message(app) == REFUSED and app.is_running
    audits, assessments, failures, failed_at = written(clinic)
    assert (audits, assessments, failures, failed_at) == (before[0] + 1, before[1], 1, 1)


async def test_the_problem_field_keeps_markup_as_text_and_refuses_control_characters(
    clinic: Clinic,
) -> None:
    app = kiosk(clinic)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot, "P2", clinic.codes["P2"])
        before = written(clinic)
        await answer_all(pilot, "2", typed=False)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        field = app.screen.query_one("#problem-text", Input)
        await pilot.press(*"[bold]x")
        for pasted in [" \x1b[31mred", " nul\x00", " \x9b2J"]:
            app.post_message(events.Paste(pasted))
            await pilot.pause()
            assert field.value == "[bold]x", repr(pasted)
        refused = [n.message for n in app._notifications if n.title == "Paste refused"]
        assert len(refused) == 3 and all("control character" in r for r in refused)
        app.post_message(events.Paste(" [/b] [@click=app.quit]q[/]"))
        await pilot.pause()
        problem = "[bold]x [/b] [@click=app.quit]q[/]"
        assert field.value == problem
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        shown = str(app.screen.query_one("#problem", Static).render())
        assert f"New problem you are reporting: {problem}" in shown
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ThankYouScreen) and app.is_running
    with clinic.ctx.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT adverse_event FROM assessment WHERE patient_id = 'P2'")
        ).scalar()
    assert stored == problem
    assert written(clinic)[1] == before[1] + 1
