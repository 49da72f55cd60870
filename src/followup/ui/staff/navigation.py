"""Moving between the staff app's sections (worklist, review queue, outcomes, staff admin) and
opening a patient, from a key, the command palette or a message.

A mixin for the staff app. The sections are installed screens kept alive while someone is
signed in; a patient opens on the one installed patient screen, its read started at once while
the screens change. Nothing moves while a dialog or an unsaved entry is open, and signing out
or quitting over an unsaved entry asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from followup.services.staff import StaffMember

    _AppBase = App[int]
else:
    _AppBase = object


class SectionNavigation(_AppBase):
    """Mixin for the staff app: the section keys (F2-F5), find and open a patient, help."""

    staff: StaffMember | None
    locked: bool

    def _navigation_blocked(self) -> bool:
        screen = self.screen
        return screen.is_modal or bool(getattr(screen, "has_unsaved_entry", False))

    def unsaved_entry_open(self) -> bool:
        """Whether a phone entry or a form holds something typed and not saved (also under a
        dialog)."""
        return any(getattr(s, "has_unsaved_entry", False) for s in self.screen_stack)

    async def sign_out(self) -> None:
        """Back to the sign-in screen (the app's)."""
        raise NotImplementedError

    def _leave_after_asking(self, question: str, yes: str, leave: Callable[[], Any]) -> None:
        from followup.ui.widgets.dialogs import ConfirmDialog

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.call_later(leave)

        self.push_screen(ConfirmDialog(question, yes=yes, no="Stay"), answer)

    async def action_sign_out(self) -> None:
        """Sign out; over an entry typed and not saved, ask first. Not at the lock screen: who
        is at the desk then cannot save it, and may need the desk."""
        if self.locked or not self.unsaved_entry_open():
            await self.sign_out()
            return
        self._leave_after_asking(
            "Sign out? What you are entering has not been saved and will be lost.",
            "Sign out",
            self.sign_out,
        )

    async def action_quit(self) -> None:
        """Quit; over an entry typed and not saved, ask first (not at the lock screen)."""
        if self.locked or not self.unsaved_entry_open():
            self.exit()
            return
        self._leave_after_asking(
            "Quit followup? What you are entering has not been saved and will be lost.",
            "Quit",
            self.exit,
        )

    async def _show_section(self, name: str) -> None:
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        if self.screen is not self.get_screen(name):
            await self.switch_screen(name)

    async def action_worklist(self) -> None:
        await self._show_section("worklist")

    async def action_review_queue(self) -> None:
        if self.staff is None or not self.staff.can_review:
            self.notify("Only clinicians can open the review queue.", severity="warning")
            return
        await self._show_section("review")

    async def action_outcomes(self) -> None:
        if self.staff is None or not self.staff.can_review:
            self.notify("Only clinicians can open the outcomes.", severity="warning")
            return
        await self._show_section("outcomes")

    async def action_staff_admin(self) -> None:
        if self.staff is None or self.staff.role != "admin":
            self.notify("Only admins can manage staff accounts.", severity="warning")
            return
        await self._show_section("admin")

    def action_new_patient(self) -> None:
        from followup.ui.staff.patient_form import PatientForm

        if self.staff is not None and not self.locked:
            self.push_screen(PatientForm())  # which opens the patient once added

    def action_find_patient(self) -> None:
        from followup.ui.staff.find import FindPatientDialog

        self.push_screen(FindPatientDialog())

    def open_patient(self, patient_id: str) -> None:
        """Show a patient (from the worklist, the review queue, the search box or the palette).
        The read starts at once, while the screens change."""
        from followup.ui.staff.find import FindPatientDialog

        if self.staff is None or self.locked:
            return
        if self._navigation_blocked() and not isinstance(self.screen, FindPatientDialog):
            self.notify("Finish or close what is open first.", severity="warning")
            return
        screen = self.get_screen("patient")
        screen.show_patient(patient_id)  # type: ignore[attr-defined]
        self.call_later(self._present_patient, screen)

    async def _present_patient(self, screen: Screen[Any]) -> None:
        from followup.ui.staff.find import FindPatientDialog

        # The search closes as the patient opens, in one change of screen: the screen under
        # the search is not brought back and redrawn in between.
        if isinstance(self.screen, FindPatientDialog):
            if screen not in self.screen_stack:
                await self.switch_screen(screen)
                return
            await self.pop_screen()
        while screen in self.screen_stack and self.screen is not screen:
            await self.pop_screen()  # e.g. a phone entry not started yet
        if self.screen is not screen:
            await self.push_screen(screen)

    def action_help(self) -> None:
        from followup.ui.staff.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))
