"""Shared by the staff and kiosk tests of a save that waits for another writer."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot
from textual.widgets._toast import Toast


async def until_the_wait_is_shown(pilot: Pilot) -> None:
    """Pause (real time: the store waits WAIT_NOTICE_MS before it tells) until the app shows
    that a save is waiting, for at most 5 s (a loaded machine)."""
    app = pilot.app
    for _ in range(100):
        await asyncio.sleep(0.05)
        await pilot.pause()
        if app.write_wait_shown:  # type: ignore[attr-defined]
            return


def toasts(pilot: Pilot) -> list[str]:
    """The text of every notification on the screen."""
    return [str(toast.render()) for toast in pilot.app.screen.query(Toast)]
