"""What every staff screen shares: access to the context and the signed-in user, and worker
failures routed to the app's single error handler (so no screen can swallow or print one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from followup.services.context import Context
from followup.services.staff import StaffMember

if TYPE_CHECKING:
    from followup.ui.staff.app import FollowupApp


class WorkerErrors:
    """Mixin for screens: a worker that fails is reported by the app, once, as a dialog."""

    app: Any

    @property
    def followup(self) -> FollowupApp:
        return cast("FollowupApp", self.app)

    @property
    def ctx(self) -> Context:
        return self.followup.ctx

    @property
    def staff(self) -> StaffMember:
        staff = self.followup.staff
        if staff is None:  # screens behind sign-in only exist while someone is signed in
            raise RuntimeError("nobody is signed in")
        return staff

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.followup.report_error(event.worker.error, event.worker.description)


class StaffScreen(WorkerErrors, Screen[Any]):
    """A full screen behind sign-in."""


class StaffModal(WorkerErrors, ModalScreen[Any]):
    """A dialog behind sign-in that reads or writes the database itself."""
