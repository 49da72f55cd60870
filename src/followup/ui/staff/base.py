"""What every staff screen shares: the context and the signed-in user (read through the
``StaffSession`` protocol, not the app's class), and worker failures routed to the app's single
error handler with a message (so no screen can swallow or print one)."""

from __future__ import annotations

from typing import Any, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from followup.services.context import Context
from followup.services.staff import StaffMember
from followup.ui.staff.messages import DialogRequested, PatientRequested, WorkFailed
from followup.ui.staff.session import StaffSession


class WorkerErrors:
    """Mixin for screens: the session's context and staff member; a worker that fails is
    reported by the app, once, as a dialog."""

    app: Any

    @property
    def session(self) -> StaffSession:
        """The running app, as far as screens may see it."""
        return cast(StaffSession, self.app)

    @property
    def ctx(self) -> Context:
        """The running app's context (database and clock)."""
        return self.session.ctx

    @property
    def staff(self) -> StaffMember:
        """The signed-in member (screens behind sign-in exist only while someone is)."""
        staff = self.session.staff
        if staff is None:  # screens behind sign-in only exist while someone is signed in
            raise RuntimeError("nobody is signed in")
        return staff

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.app.post_message(WorkFailed(event.worker.error, event.worker.description))

    def open_patient(self, patient_id: str) -> None:
        """Ask the app to show a patient."""
        self.app.post_message(PatientRequested(patient_id))

    def show_dialog(self, dialog: Screen[Any], callback: Any = None) -> None:
        """Ask the app to show a dialog (it waits while the screen is locked)."""
        self.app.post_message(DialogRequested(dialog, callback))


class StaffScreen(WorkerErrors, Screen[Any]):
    """A full screen behind sign-in."""


class StaffModal(WorkerErrors, ModalScreen[Any]):
    """A dialog behind sign-in that reads or writes the database itself."""
