"""What a staff screen may ask of the running app, as a protocol: the context (engine, clock,
rules) and who is signed in. Screens read these through ``StaffSession`` and tell the app
everything else with messages (``messages.py``), so no screen imports the app."""

from __future__ import annotations

from typing import Protocol

from followup.services.context import Context
from followup.services.staff import StaffMember


class StaffSession(Protocol):
    """The staff app as its screens see it."""

    ctx: Context
    staff: StaffMember | None
    locked: bool
