"""``followup serve`` hands the self-report app the same settings, and refuses to start on a
database it cannot open."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from followup.settings import Settings
from followup.ui.kiosk import serve as serve_module
from followup.ui.kiosk.serve import (
    check_database,
    selfreport_command,
    selfreport_environment,
    serve,
)
from tests.conftest import make_context


def test_child_processes_get_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://clinic@db.example/followup",
        instrument_path=Path("/etc/followup/wording.toml"),
        selfreport_idle_seconds=45,
    )
    for name, value in selfreport_environment(settings).items():
        monkeypatch.setenv(name, value)
    child = Settings.from_environment()
    assert child.database_url == settings.database_url
    assert child.instrument_path == settings.instrument_path
    assert child.selfreport_idle_seconds == 45


def test_command_runs_the_self_report_module_with_this_python() -> None:
    assert shlex.split(selfreport_command()) == [sys.executable, "-m", "followup.ui.kiosk"]
    done = subprocess.run(
        [sys.executable, "-m", "followup.ui.kiosk", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--db" in done.stdout


def test_serve_refuses_a_database_it_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    settings = Settings(database_url=f"sqlite:///{blocked}/followup.db")
    assert check_database(settings) is not None

    def no_server(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server must not start")

    monkeypatch.setattr("followup.ui.kiosk.web.SelfReportServer", no_server)
    assert serve(settings, "127.0.0.1", 0) == 1
    assert "followup:" in capsys.readouterr().err


def test_serve_builds_the_server_with_public_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: dict[str, object] = {}

    class FakeServer:
        def __init__(self, command: str, **kwargs: object) -> None:
            made.update(kwargs, command=command)

        def serve(self) -> None:
            made["served"] = True

    monkeypatch.setattr("followup.ui.kiosk.web.SelfReportServer", FakeServer)
    monkeypatch.setenv(serve_module.ENV_PUBLIC_URL, "https://kiosk.clinic.example")
    monkeypatch.setattr(serve_module.os, "environ", dict(serve_module.os.environ))
    url = f"sqlite:///{tmp_path / 'f.db'}"
    make_context(url).close()  # serve opens a database; it never creates one
    assert serve(Settings(database_url=url), "127.0.0.1", 8123) == 0
    assert made["served"] and made["command"] == selfreport_command()
    assert (made["host"], made["port"]) == ("127.0.0.1", 8123)
    assert made["public_url"] == "https://kiosk.clinic.example"
    assert (made["max_sessions"], made["visits_per_minute"]) == (20, 10)
    assert serve_module.os.environ["FOLLOWUP_DATABASE_URL"] == url


def test_browser_visits_end_after_three_wrong_sign_ins_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = selfreport_environment(Settings(database_url="sqlite:///clinic.db"))
    monkeypatch.setenv(
        "FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT", env["FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT"]
    )
    assert Settings.from_environment().selfreport_refusals_per_visit == 3
    chosen = Settings(database_url="sqlite:///clinic.db", selfreport_refusals_per_visit=5)
    assert selfreport_environment(chosen)["FOLLOWUP_SELFREPORT_REFUSALS_PER_VISIT"] == "5"


def test_serve_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        Settings(database_url="x").serve_max_sessions,
        Settings(database_url="x").serve_visits_per_minute,
    ) == (20, 10)
    monkeypatch.setenv("FOLLOWUP_SERVE_MAX_SESSIONS", "5")
    monkeypatch.setenv("FOLLOWUP_SERVE_VISITS_PER_MINUTE", "4")
    settings = Settings.from_environment()
    assert (settings.serve_max_sessions, settings.serve_visits_per_minute) == (5, 4)
