"""End to end in a real browser: ``followup serve`` on a free localhost port, headless Chromium
signs a patient in and submits a full questionnaire, and the database has it; and the page
fetches nothing from another host, breaks none of its own CSP rules and has the keyboard.

Needs Debian's ``chromium`` package (or FOLLOWUP_TEST_CHROMIUM=/path/to/chromium) and the
``playwright`` Python package (its own browser download is not needed); skips without them.

The terminal is drawn on a canvas, so the test reads what the server sends instead: an init
script records the websocket's terminal output, and the test waits for text in it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from followup.domain.instrument import ITEM_KEYS
from followup.services.importing import import_file
from followup.services.patient_codes import issue_code
from followup.services.review_queue import open_flags
from tests.conftest import make_context

CHROMIUM = os.environ.get("FOLLOWUP_TEST_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RECORD_TERMINAL_OUTPUT = """
(() => {
  const Original = window.WebSocket;
  const decoder = new TextDecoder();
  window.__terminal = "";
  const record = (data) => {
    if (typeof data === "string") { window.__terminal += data; }
    else if (data instanceof ArrayBuffer) {
      window.__terminal += decoder.decode(new Uint8Array(data), {stream: true});
    } else if (data instanceof Blob) {
      data.arrayBuffer().then((b) => {
        window.__terminal += decoder.decode(new Uint8Array(b), {stream: true});
      });
    }
  };
  class Recording extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => record(event.data));
    }
  }
  window.WebSocket = Recording;
})();
"""
RECORD_CSP_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
ANSI = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")

if not (CHROMIUM and Path(CHROMIUM).exists()):
    pytest.skip("chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"followup serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("followup serve did not start listening")


@pytest.fixture
def clinic_db(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A database on the real clock (the served app runs in its own process, on today's
    date): one patient with one treated knee and a baseline, and their code."""
    today = date.today()
    treated = today - timedelta(days=120)
    path = tmp_path / "clinic.db"
    ctx = make_context(f"sqlite:///{path}", now=datetime.now(UTC))
    files = {
        "patients": "patient_id,name,birth_date\nP7,Eve Example,1951-05-05\n",
        "treatments": f"treatment_id,patient_id,knee,treated_on,product\nT7,P7,left,{treated},prp\n",
        "assessments": "patient_id,knee,assessed_on,source,"
        + ",".join(ITEM_KEYS)
        + f"\nP7,left,{treated - timedelta(days=3)},phone,"
        + ",".join(["3"] * len(ITEM_KEYS))
        + "\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        import_file(ctx, kind, tmp_path / f"{kind}.csv", "test")
    code = issue_code(ctx, "P7", "test").code
    ctx.close()
    yield path, code


@pytest.fixture
def server(clinic_db: tuple[Path, str], tmp_path: Path) -> Iterator[str]:
    path, _code = clinic_db
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "followup", "--db", str(path), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # so the app processes it starts are stopped with it
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


class Screen:
    """What the browser has been sent, as plain text."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.seen = 0

    def text(self) -> str:
        return ANSI.sub("", self.page.evaluate("window.__terminal"))

    def wait_for(self, wanted: str, timeout: float = 30) -> None:
        """Wait until ``wanted`` is drawn after the previous wait's text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            found = text.find(wanted, self.seen)
            if found >= 0:
                self.seen = found + len(wanted)
                return
            time.sleep(0.1)
        raise AssertionError(f"{wanted!r} never appeared; last: {self.text()[-400:]!r}")


def test_patient_signs_in_and_submits_in_a_browser(
    server: str, clinic_db: tuple[Path, str], tmp_path: Path
) -> None:
    path, code = clinic_db
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.add_init_script(RECORD_TERMINAL_OUTPUT)
            page.goto(server)
            screen = Screen(page)
            screen.wait_for("Your patient ID")
            page.mouse.click(600, 450)
            keys = page.keyboard

            keys.type("P7")
            keys.press("Enter")
            keys.type("ZZZZ-ZZZZ")
            keys.press("Enter")
            screen.wait_for("The patient ID or code is not correct")  # no attempts-left count
            keys.type(code.lower())
            keys.press("Enter")
            screen.wait_for("Question 1 of 24")
            page.screenshot(path=str(tmp_path / "question.png"))

            for i, digit in enumerate("2" * 23 + "1"):
                keys.press(digit)
                if i < 23:
                    screen.wait_for(f"Question {i + 2} of 24")
            screen.wait_for("Please check your answers")
            keys.press("p")
            screen.wait_for("Please describe the new problem")
            keys.type("swollen since Monday")
            keys.press("Enter")
            screen.wait_for("New problem you are reporting")
            keys.press("Enter")
            screen.wait_for("Your answers have been saved")
            screen.wait_for("Before treatment it was 75")
            page.screenshot(path=str(tmp_path / "thanks.png"))
            keys.press("Enter")
            screen.wait_for("Your patient ID")
        finally:
            browser.close()

    ctx = make_context(f"sqlite:///{path}", now=datetime.now(UTC))
    try:
        with ctx.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT patient_id, knee, source, created_by, adverse_event, f16, f17 "
                "FROM assessment WHERE source = 'self_report'"
            ).all()
        assert [tuple(r) for r in rows] == [
            ("P7", "left", "self_report", "patient:P7", "swollen since Monday", 2, 1)
        ]
        assert [f.kind for f in open_flags(ctx, "P7") if f.kind == "safety"] == ["safety"]
    finally:
        ctx.close()


def test_the_page_fetches_only_from_its_own_host_and_has_the_keyboard(
    server: str, clinic_db: tuple[Path, str], tmp_path: Path
) -> None:
    _path, code = clinic_db
    own = urlsplit(server).netloc
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.on("websocket", lambda socket: requested.append(socket.url))
            page.add_init_script(RECORD_TERMINAL_OUTPUT)
            page.add_init_script(RECORD_CSP_VIOLATIONS)
            page.goto(server)
            screen = Screen(page)
            screen.wait_for("Your patient ID")

            focused = page.evaluate("document.activeElement.className")
            assert "xterm-helper-textarea" in focused
            keys = page.keyboard  # no click first: the terminal has the keyboard on load
            keys.type("P7")
            keys.press("Enter")
            keys.type(code)
            keys.press("Enter")
            screen.wait_for("Question 1 of 24")

            assert page.evaluate("""document.fonts.check('16px "Roboto Mono"')""")
            page.screenshot(path=str(tmp_path / "first.png"))
            # textual.js and xterm.js insert <style> elements, which the CSP blocks on purpose:
            # kiosk.css carries what the page needs of them. Nothing else may be blocked.
            violations = page.evaluate("window.__violations")
            assert [v for v in violations if v != "style-src-elem inline"] == []
        finally:
            browser.close()
    assert any(url.endswith("/static/fonts/RobotoMono-VariableFont_wght.ttf") for url in requested)
    assert any(url.startswith("ws://") for url in requested)
    elsewhere = [url for url in requested if urlsplit(url).netloc != own]
    assert elsewhere == []
