"""What the staff screens tell the app, as messages: a screen posts one and the app (which owns
navigation, dialogs, the session and the one error handler) acts on it. Screens never import
the app; the app never reaches into a screen's widgets.

Each message is a small dataclass named for what happened, in the past tense, or for what is
asked of the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.screen import Screen

from followup.services.staff import StaffMember


@dataclass
class PatientRequested(Message):
    """Someone asked to see a patient (from a list, the search box or the palette)."""

    patient_id: str


@dataclass
class DialogRequested(Message):
    """A screen wants a dialog shown (kept until the lock screen is gone, if locked)."""

    dialog: Screen[Any]
    callback: Callable[[Any], Any] | None = None


@dataclass
class WorkFailed(Message):
    """A screen's background work failed; the app reports it once, without details that could
    hold patient data."""

    error: BaseException
    what: str = ""


@dataclass
class StaffSignedIn(Message):
    """The sign-in screen checked a staff member's password."""

    staff: StaffMember


@dataclass
class SessionUnlocked(Message):
    """The lock screen checked the signed-in member's password again."""


@dataclass
class RecordsChanged(Message):
    """This session wrote something (an assessment, a call, a decision, a treatment) that other
    screens' lists may show; the app tells every open list to read its page again."""

    patient_id: str | None = None


class ListOutOfDate(Message, bubble=False):
    """Sent by the app to the list screens (worklist, review queue) when this session wrote
    something: each reads the page it shows again. It does not bubble back to the app."""
