"""App-wide conventions: the command palette (actions and patients), help, themes, and errors
turned into dialogs without patient data, never into tracebacks."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from followup.errors import FollowupError
from followup.settings import Settings
from followup.ui.staff import app as app_module
from followup.ui.staff import calls as calls_module
from followup.ui.staff.app import CRASH_MESSAGE, FollowupApp, run
from followup.ui.staff.commands import ScreenCommands
from followup.ui.staff.help import HelpScreen
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ErrorDialog
from followup.ui.widgets.keybar import SHORT, KeyBar
from tests.conftest import make_context

from .conftest import settle


async def test_every_binding_of_the_screen_is_a_palette_command(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        screen = pilot.app.screen
        titles = {title for title, _help, _cmd in ScreenCommands(screen)._commands()}
        wanted = {
            b.binding.description
            for b in screen.active_bindings.values()
            if b.binding.id and b.binding.description and b.enabled
        }
        assert wanted <= titles
        assert {"Log call", "Assessment", "Find patient", "Lock", "Help"} <= titles
        assert "Review" not in titles  # coordinators have no review queue


async def test_palette_finds_a_patient_and_opens_them(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(pilot.app.screen, CommandPalette)
        await pilot.press(*"P0002")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PatientScreen) and screen.patient_id == "P0002"


async def test_palette_runs_a_screen_action(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("ctrl+p", *"log call")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "LogCallDialog"


async def test_the_key_bar_shows_the_keys_that_work_here_and_a_click_presses_one(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        line = pilot.app.screen.query_one(KeyBar).render().plain
        # Too many keys for 80 columns: tighter, with short names, the first ones all kept.
        assert line.startswith(" ⏎Open  cCall  aForm") and "f1Help" in line
        assert line.rstrip().endswith("^ppalette")
    async with run_app(demo_ctx, user="demo", size=(200, 50)) as pilot:
        bar = pilot.app.screen.query_one(KeyBar)
        line = bar.render().plain
        assert "⏎ Open patient" in line and "c Log call" in line and "f1 Help" in line
        assert line.rstrip().endswith("^p palette")  # the palette's key at the right edge
        await pilot.press("enter")  # the first call's patient
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientScreen)
        bar = pilot.app.screen.query_one(KeyBar)
        line = bar.render().plain
        assert "esc Back" in line and "Open patient" not in line
        assert all(line[s.start : s.end].strip() for s in bar.spans)
        help_key = next(s for s in bar.spans if s.key == "f1")
        await pilot.click(KeyBar, offset=(help_key.start + 1, 0))
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)


async def test_help_lists_the_keys_and_themes_switch(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, HelpScreen)
        rows = {(what, everywhere) for _key, what, _tip, everywhere in pilot.app.screen.rows}
        assert {("Log call", False), ("Find patient", True), ("Lock", True)} <= rows
        await pilot.press("escape")
        assert pilot.app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert pilot.app.theme == "textual-light"


async def test_service_refusal_is_shown_as_is(demo_ctx, run_app, monkeypatch):
    def refuse(*args, **kwargs):
        raise FollowupError("the note is longer than 2000 characters")

    monkeypatch.setattr(calls_module, "log_contact", refuse)
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("c", "v", "enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message == "the note is longer than 2000 characters"
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, WorklistScreen)


async def test_unexpected_worker_error_shows_no_details(demo_ctx, run_app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("Halina Wójcik, born 1975-07-12")

    monkeypatch.setattr(calls_module, "log_contact", explode)
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("c", "v", "enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        assert "RuntimeError" in dialog.message and "Halina" not in dialog.message


async def test_crash_in_a_handler_exits_with_1_and_no_traceback(
    demo_ctx, run_app, monkeypatch, capsys
):
    def explode(self):
        raise ValueError("Halina Wójcik, born 1975-07-12")

    monkeypatch.setattr(WorklistScreen, "action_next_view", explode)
    app: FollowupApp | None = None
    with pytest.raises(ValueError):
        async with run_app(demo_ctx, user="demo") as pilot:
            app = pilot.app  # type: ignore[assignment]
            await pilot.press("v")
            await pilot.pause()
    assert app is not None and app.return_code == 1
    printed = " ".join(capsys.readouterr().err.split())
    assert printed == CRASH_MESSAGE  # and nothing else: no traceback, no locals


def test_run_returns_1_without_traceback_when_the_app_fails(tmp_path, monkeypatch, capsys) -> None:
    def explode(self, *args, **kwargs):
        raise RuntimeError("Halina Wójcik")

    monkeypatch.setattr(app_module.FollowupApp, "run", explode)
    make_context(f"sqlite:///{tmp_path / 'x.db'}").close()  # the app never creates one
    code = run(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and "Halina" not in err and "RuntimeError" in err


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_key_bar_drops_a_key_that_does_not_fit_rather_than_cutting_it(
    demo_ctx, run_app, size
):
    """The review queue's keys did not fit 120 columns and the last one read "f3Rev"."""
    async with run_app(demo_ctx, user="doctor", size=size) as pilot:
        bar = pilot.app.screen.query_one(KeyBar)
        line = bar.render().plain
        shown, _palette = bar.entries()
        whole = {f"{display}{SHORT.get(what, what)}" for _key, display, what, _on in shown}
        keys = [part.strip() for part in line.split("▏")[0].split("  ") if part.strip()]
        assert keys and all(key in whole for key in keys), keys
        assert all(line[s.start : s.end].strip() in whole for s in bar.spans[:-1])
