"""Helpers for driving the staff UI with Pilot on a private copy of the demo database at the
frozen clock (demo accounts: coordinator demo/demo, clinician doctor/doctor)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from followup.services.context import Context
from followup.services.staff import sign_in as services_sign_in
from followup.ui.staff.app import FollowupApp

SIZE = (120, 40)


class FakeIdleClock:
    """A monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (a result can start another worker, and
    a message can go through the app to another screen first): until no worker has been running
    for ``rounds`` pauses in a row."""
    app = pilot.app
    quiet = 0
    for _ in range(100):
        busy = False
        for worker in list(app.workers):
            if worker.is_running or worker.state.name == "PENDING":
                busy = True
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):  # replaced by a newer one, or reported
                pass
        await pilot.pause()
        quiet = 0 if busy else quiet + 1
        if quiet >= rounds:
            return


async def sign_in(pilot: Pilot[object], username: str, password: str) -> None:
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)


@pytest.fixture
def run_app() -> Callable[..., object]:
    """``async with run_app(ctx, user=...) as pilot``: the app, signed in when ``user`` is
    given (the password of the demo accounts is the user name), in a terminal of ``size``, with
    toasts shown when ``notifications`` says so."""

    @asynccontextmanager
    async def runner(
        ctx: Context,
        user: str | None = None,
        idle_clock: FakeIdleClock | None = None,
        size: tuple[int, int] = SIZE,
        notifications: bool = False,
    ) -> AsyncIterator[Pilot[object]]:
        app = FollowupApp(ctx, idle_clock=idle_clock or FakeIdleClock(), idle_check_seconds=3600)
        async with app.run_test(size=size, notifications=notifications) as pilot:
            await pilot.pause()
            if user is not None:
                # Typing at the sign-in screen is tested in test_session; elsewhere sign in
                # directly (Pilot types about 15 keys a second).
                app.signed_in(services_sign_in(ctx, user, user))
                await settle(pilot)
            yield pilot

    return runner
