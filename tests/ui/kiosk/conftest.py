"""A small clinic for self-report tests, built with the services (fast, and independent of the
demo data): P1 has both knees in follow-up and a baseline before the left knee's treatment, P2
one knee, P3 no treatment yet. Every patient gets a fresh code."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context
from followup.services.importing import import_file
from followup.services.patient_codes import issue_code
from followup.ui.kiosk.app import SelfReportApp
from followup.ui.widgets.questionnaire import Questionnaire

PATIENTS = """patient_id,name,birth_date
P1,Ann Example,1950-01-01
P2,Bob Example,1948-02-02
P3,Cid Example,1952-03-03
"""
TREATMENTS = """treatment_id,patient_id,knee,treated_on,product
T1,P1,left,2026-01-10,prp
T2,P1,right,2026-02-10,bmac
T3,P2,left,2026-03-01,prp
"""


def _assessment(patient: str, knee: str, day: str, answer: int) -> str:
    return f"{patient},{knee},{day},phone," + ",".join([str(answer)] * len(ITEM_KEYS))


ASSESSMENTS = "\n".join(
    [
        "patient_id,knee,assessed_on,source," + ",".join(ITEM_KEYS),
        _assessment("P1", "left", "2026-01-05", 3),  # baseline: 75 / 100
        _assessment("P1", "left", "2026-04-05", 2),  # 50 / 100
        "",
    ]
)


@dataclass(frozen=True)
class Clinic:
    ctx: Context
    codes: dict[str, str]


@pytest.fixture
def clinic(ctx: Context, tmp_path: Path) -> Clinic:
    for kind, text in (
        ("patients", PATIENTS),
        ("treatments", TREATMENTS),
        ("assessments", ASSESSMENTS),
    ):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(ctx, kind, path, "test")
    codes = {pid: issue_code(ctx, pid, "test").code for pid in ("P1", "P2", "P3")}
    return Clinic(ctx=ctx, codes=codes)


def kiosk(clinic: Clinic, **settings: object) -> SelfReportApp:
    """The self-report app on the clinic's database, with the frozen clock."""
    return SelfReportApp(replace(clinic.ctx.settings, **settings))  # type: ignore[arg-type]


async def settle(pilot: Pilot) -> None:
    """Let thread workers finish and their messages be handled."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def sign_in(pilot: Pilot, patient_id: str, code: str, *, typed: bool = False) -> None:
    """Sign in; typed key by key, or (faster: Pilot takes ~65 ms a key) filled in and Enter."""
    await settle(pilot)
    if typed:
        await pilot.press(*patient_id, "enter", *code, "enter")
    else:
        screen = pilot.app.screen
        screen.query_one("#patient-id", Input).value = patient_id
        screen.query_one("#code", Input).value = code
        screen.query_one("#code", Input).focus()
        await pilot.pause()
        await pilot.press("enter")
    await settle(pilot)


async def answer_all(pilot: Pilot, digit: str = "1", *, typed: bool = True) -> None:
    """Answer every item with ``digit``: by keys, or all but the last directly (faster)."""
    if typed:
        await pilot.press(*[digit] * len(ITEM_KEYS))
    else:
        questionnaire = pilot.app.screen.query_one(Questionnaire)
        for _ in ITEM_KEYS[:-1]:
            questionnaire.answer(int(digit))
        await pilot.press(digit)
    await settle(pilot)


def screen_text(pilot: Pilot) -> str:
    """Everything the patient can read on the current screen, inputs included."""
    from textual.widgets import Static

    app = pilot.app
    parts = [str(w.render()) for w in app.screen.query(Static)]
    parts += [w.value for w in app.screen.query(Input)]
    return "\n".join(parts)
