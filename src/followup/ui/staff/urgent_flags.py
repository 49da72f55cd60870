"""New urgent flags announced to clinicians wherever they are in the app: a kiosk self-report
with an adverse event, a colleague's save or an import raises one, and every signed-in member
who can review hears of it within seconds, with a key (Ctrl+G) that opens the patient.

A mixin for the staff app. A timer asks a thread worker every few seconds for open urgent flags
newer than the last check (``services.review_queue.new_urgent_flags``: two reads on the primary
key). It runs only while a reviewer is signed in and the screen is unlocked; flags raised while
the screen was locked are announced when it is unlocked.

The notification names the patient by ID, with the knee and the kind of flag, not by name:
a notification stays up for a while over whatever is shown next, and the ID is enough to act
on. Notifications are cleared when the screen locks and when the member signs out.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from followup.services.context import Context
from followup.services.review_queue import NewUrgentFlags, UrgentFlag, new_urgent_flags
from followup.ui.widgets import formatting as fmt

if TYPE_CHECKING:
    from textual.app import App

    from followup.services.staff import StaffMember

    _AppBase = App[int]
else:
    _AppBase = object

URGENT_POLL_SECONDS = 5.0
# On PostgreSQL a flag's ID is drawn before its transaction commits, so a slow writer (an
# import) can commit a flag below one already seen: each check looks back this far.
LATE_COMMIT_SECONDS = 120.0
NOTICE_SECONDS = 30.0
URGENT_FLAG_BINDING = Binding(
    "ctrl+g",  # not Ctrl+U: in a text field that deletes everything left of the cursor
    "urgent_flag",
    "Urgent flag",
    id="app.urgent_flag",
    tooltip="Open the patient of the newest urgent flag announced",
)


class UrgentFlagsChecked(Message):
    """A check for new urgent flags came back (``after_id``: where it looked from)."""

    def __init__(self, found: NewUrgentFlags, after_id: int | None) -> None:
        super().__init__()
        self.found = found
        self.after_id = after_id


class UrgentFlagWatch(_AppBase):
    """Mixin for the staff app: start on sign-in, pause on lock, resume on unlock, stop on
    sign-out (the app calls these); Ctrl+G opens the newest flag announced and not opened."""

    ctx: Context
    staff: StaffMember | None
    locked: bool

    if TYPE_CHECKING:

        def open_patient(self, patient_id: str) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urgent_timer: Timer | None = None
        self._forget_urgent_flags()

    def _forget_urgent_flags(self) -> None:
        self._urgent_after: int | None = None  # the ID the next check looks above
        self._urgent_marks: deque[tuple[float, int]] = deque()  # (when, newest ID then)
        self._urgent_announced: set[int] = set()
        self._urgent_waiting: list[UrgentFlag] = []  # announced, not opened; newest last
        self._urgent_failing = False

    def start_urgent_watch(self) -> None:
        """Listen for urgent flags raised from now on, when the member can review."""
        self.stop_urgent_watch()
        if self.staff is None or not self.staff.can_review:
            return
        self._urgent_timer = self.set_interval(URGENT_POLL_SECONDS, self.check_urgent_flags)
        self.check_urgent_flags()  # where to start listening from, at once

    def pause_urgent_watch(self) -> None:
        """The screen locks: no checks, and nothing announced stays on show."""
        if self._urgent_timer is not None:
            self._urgent_timer.pause()
        self.clear_notifications()

    def resume_urgent_watch(self) -> None:
        """The screen is unlocked: what was raised meanwhile is announced now."""
        if self._urgent_timer is not None:
            self._urgent_timer.resume()
            self.check_urgent_flags()

    def stop_urgent_watch(self) -> None:
        """Stop listening and forget what was announced (the next member starts afresh)."""
        if self._urgent_timer is not None:
            self._urgent_timer.stop()
        self._urgent_timer = None
        self._forget_urgent_flags()
        self.clear_notifications()

    @property
    def urgent_flag_waiting(self) -> bool:
        """Whether Ctrl+G has a flag to open."""
        return bool(self._urgent_waiting)

    def check_urgent_flags(self) -> None:
        """Ask (in a worker) for urgent flags newer than the last check."""
        if self.staff is None or self.locked or self._urgent_timer is None:
            return
        announced = frozenset(self._urgent_announced)
        self._read_urgent_flags(self.ctx, self._urgent_after, announced, self.staff.site_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="urgent-flags",
          description="Checking for new urgent flags")  # fmt: skip
    def _read_urgent_flags(
        self, ctx: Context, after: int | None, announced: frozenset[int], site_id: str | None
    ) -> None:
        found = new_urgent_flags(ctx, after, announced=announced, site_id=site_id)
        self.post_message(UrgentFlagsChecked(found, after))

    def on_urgent_flags_checked(self, message: UrgentFlagsChecked) -> None:
        if self._urgent_timer is None or self.locked or message.after_id != self._urgent_after:
            return  # signed out or locked since (checked again on unlock), or overtaken
        found, now = message.found, time.monotonic()
        self._urgent_failing = False
        if self._urgent_after is None or found.more:
            # The start, or a flood (an import): the review queue lists the rest.
            self._urgent_after = found.newest_id
            self._urgent_marks.clear()
        else:
            self._urgent_marks.append((now, found.newest_id))
            while self._urgent_marks and self._urgent_marks[0][0] <= now - LATE_COMMIT_SECONDS:
                self._urgent_after = max(self._urgent_after, self._urgent_marks.popleft()[1])
        if message.after_id is not None:
            self._announce(found)
        floor = self._urgent_after or 0
        self._urgent_announced = {i for i in self._urgent_announced if i > floor}

    def _announce(self, found: NewUrgentFlags) -> None:
        # Two checks can overlap (the timer's and the one on unlocking, each with the flags
        # announced when it started): a flag another check has announced since is not repeated.
        fresh = [flag for flag in found.flags if flag.id not in self._urgent_announced]
        for flag in reversed(fresh):  # oldest first: the newest ends up on top
            self._urgent_announced.add(flag.id)
            self._urgent_waiting.append(flag)
            self.notify(
                f"{fmt.words(flag.kind).capitalize()} · patient {flag.patient_id}, {flag.knee} "
                f"knee (flag #{flag.id}). Ctrl+G opens the patient.",
                title="New urgent flag",
                severity="error",
                timeout=NOTICE_SECONDS,
                markup=False,
            )
        if found.more:
            self.notify(
                "More new urgent flags: the review queue (F3) lists them, urgent first.",
                title="New urgent flags",
                severity="error",
                timeout=NOTICE_SECONDS,
            )
        if fresh:
            self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "urgent-flags" or event.state != WorkerState.ERROR:
            return
        if not self._urgent_failing:  # said once, not every few seconds
            self._urgent_failing = True
            self.notify(
                "Cannot check for new urgent flags just now; the review queue still lists them.",
                severity="warning",
            )

    def action_urgent_flag(self) -> None:
        if not self.urgent_flag_waiting:
            self.notify("No new urgent flag to open.")
            return
        flag = self._urgent_waiting.pop()
        self.open_patient(flag.patient_id)
        self.refresh_bindings()
