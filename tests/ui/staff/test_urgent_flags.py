"""A new urgent flag, raised by anyone, is announced to a signed-in clinician wherever they are,
with Ctrl+G to open the patient; not to coordinators, not while the screen is locked, and not
after signing out."""

from __future__ import annotations

from followup.domain.instrument import ITEM_KEYS
from followup.services.record_assessment import AssessmentEntry, record_assessment
from followup.store.bulk import driver_rows
from followup.store.engine import read_session
from followup.ui.staff.signin import LockScreen
from followup.ui.staff.worklist import WorklistScreen

from .conftest import settle


def _knee_without_safety_flag(ctx) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    sql = (
        "SELECT t.patient_id, t.knee, p.name FROM treatment t JOIN patient p ON p.id = t.patient_id "
        "WHERE NOT EXISTS (SELECT 1 FROM flag f WHERE f.patient_id = t.patient_id "
        "AND f.knee = t.knee AND f.kind = 'safety' AND f.status = 'open') "
        "ORDER BY t.patient_id DESC LIMIT 1"
    )
    with read_session(ctx.engine) as session:
        [(patient_id, knee, name)] = list(driver_rows(session.connection(), sql))
    return patient_id, knee, name


def _colleague_saves_an_adverse_event(ctx, patient_id: str, knee: str) -> None:  # type: ignore[no-untyped-def]
    entry = AssessmentEntry(
        patient_id, knee, ctx.today(), "phone", dict.fromkeys(ITEM_KEYS, 1), adverse_event="hot"
    )
    assert "safety" in record_assessment(ctx, entry, "nurse").new_kinds


def _notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications if n.title == "New urgent flag"]


async def _wait_for_notice(pilot, rounds: int = 30) -> list[str]:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        await pilot.pause(0.1)
        await settle(pilot, rounds=1)
        if _notices(pilot.app):
            break
    return _notices(pilot.app)


async def test_a_clinician_on_the_worklist_hears_of_it_and_opens_the_patient(
    demo_ctx, run_app, monkeypatch
):
    monkeypatch.setattr("followup.ui.staff.urgent_flags.URGENT_POLL_SECONDS", 0.2)
    patient_id, knee, name = _knee_without_safety_flag(demo_ctx)
    async with run_app(demo_ctx, user="doctor") as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        await pilot.pause(0.5)
        assert _notices(pilot.app) == []  # the flags open before signing in are not news
        assert not pilot.app.urgent_flag_waiting
        _colleague_saves_an_adverse_event(demo_ctx, patient_id, knee)
        [notice] = await _wait_for_notice(pilot)
        assert f"patient {patient_id}, {knee} knee" in notice and "Safety" in notice
        assert name not in notice  # the ID only: a notification outlives the screen under it
        assert "Ctrl+G" in notice
        await pilot.pause(0.5)
        assert len(_notices(pilot.app)) == 1  # announced once
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert pilot.app.get_screen("patient").patient_id == patient_id
        assert not pilot.app.urgent_flag_waiting


async def test_not_while_locked_but_on_unlocking_and_never_to_coordinators(
    demo_ctx, run_app, monkeypatch
):
    monkeypatch.setattr("followup.ui.staff.urgent_flags.URGENT_POLL_SECONDS", 0.2)
    patient_id, knee, _ = _knee_without_safety_flag(demo_ctx)
    async with run_app(demo_ctx, user="demo") as pilot:  # a coordinator
        await settle(pilot)
        _colleague_saves_an_adverse_event(demo_ctx, patient_id, knee)
        assert await _wait_for_notice(pilot, rounds=8) == []
    patient_id, knee, _ = _knee_without_safety_flag(demo_ctx)
    async with run_app(demo_ctx, user="doctor") as pilot:
        await settle(pilot)
        await pilot.pause(0.3)
        pilot.app.lock()
        await pilot.pause()
        assert isinstance(pilot.app.screen, LockScreen)
        _colleague_saves_an_adverse_event(demo_ctx, patient_id, knee)
        assert await _wait_for_notice(pilot, rounds=8) == []
        pilot.app.unlocked()
        notices = await _wait_for_notice(pilot)
        assert len(notices) == 1, notices
        [notice] = notices
        assert f"patient {patient_id}" in notice
        await pilot.app.action_sign_out()
        await settle(pilot)
        assert _notices(pilot.app) == [] and pilot.app._urgent_timer is None
