"""Telling the person at the screen that their save is waiting for the database.

On SQLite one writer works at a time: a save that arrives while a bulk import is writing waits
for it (up to the busy timeout). The store says when a write has waited a moment and goes on
waiting (``when_a_write_waits``); an app with this mixin then shows a notice until the save goes
ahead, so nobody is left looking at a screen that seems to have frozen, and then the screen's
own "saved" message follows as usual.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any

from textual.notifications import Notification, Notify

from followup.store.engine import BUSY_TIMEOUT_MS, when_a_write_waits


class WriteWaitNotice:
    """Mixin for a Textual App: call ``listen_for_write_waits`` when it mounts and
    ``stop_listening_for_write_waits`` when it unmounts."""

    WRITE_WAIT_TITLE = "Waiting to save"
    WRITE_WAIT_MESSAGE = "The database is busy for a moment. Your entry is kept; please wait."

    _write_wait_listening: ExitStack | None = None
    _write_wait_notice: Notification | None = None
    _write_waits = 0

    app: Any

    def listen_for_write_waits(self) -> None:
        """From now on, a save of this process that waits shows the notice while it waits."""
        self._write_wait_thread = threading.get_ident()
        self._write_wait_listening = ExitStack()
        self._write_wait_listening.enter_context(when_a_write_waits(self._write_wait_changed))

    def stop_listening_for_write_waits(self) -> None:
        """Stop showing the notice (the app is closing)."""
        if self._write_wait_listening is not None:
            self._write_wait_listening.close()
            self._write_wait_listening = None

    @property
    def write_wait_shown(self) -> bool:
        """Whether the notice is up now."""
        return self._write_wait_notice is not None

    def _write_wait_changed(self, waiting: bool) -> None:
        """Called by the store in the waiting thread (a worker's, usually)."""
        if threading.get_ident() == self._write_wait_thread:
            self._show_write_wait(waiting)
            return
        try:
            self.app.call_from_thread(self._show_write_wait, waiting)
        except RuntimeError:  # the app has stopped meanwhile: nobody to tell
            pass

    def _show_write_wait(self, waiting: bool) -> None:
        self._write_waits += 1 if waiting else -1
        if self._write_waits > 0 and self._write_wait_notice is None:
            self._write_wait_notice = Notification(
                self.WRITE_WAIT_MESSAGE,
                self.WRITE_WAIT_TITLE,
                "warning",
                BUSY_TIMEOUT_MS / 1000 + 5,
                markup=False,
            )
            self.app.post_message(Notify(self._write_wait_notice))
        elif self._write_waits <= 0 and self._write_wait_notice is not None:
            notice, self._write_wait_notice = self._write_wait_notice, None
            self._write_waits = 0
            # Textual (pinned) has no public call to withdraw one notification; its own toasts
            # withdraw themselves this way when clicked.
            if notice in self.app._notifications:
                self.app._unnotify(notice)
