"""Notes and reasons a staff member types: a review decision's note, why it is amended or
reopened, why a treatment or an assessment was entered in error, why a clinical field changed.
They are stored and shown as typed, so they are held to the rule of every stored text: no
control character (an escape sequence would act on every terminal that shows it) and at most
as long as a note may be. Nothing is ever cut; line breaks are kept (a listing shows them on
one line)."""

from __future__ import annotations

from followup.errors import FollowupError
from followup.store.fields import control_problem
from followup.store.models import MAX_TEXT


def typed_note(text: str, what: str) -> str:
    """``text`` without spaces at its ends (empty when there is nothing else: the caller says
    whether one is required), or FollowupError naming ``what`` and the problem, never the
    text."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise FollowupError(f"{what}: is longer than {MAX_TEXT} characters")
    problem = control_problem(text, lines=True)
    if problem is not None:
        raise FollowupError(f"{what}: {problem}")
    return text
