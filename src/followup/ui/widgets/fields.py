"""Input fields shared by the staff and patient apps."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input

from followup.store.fields import control_problem

LINE_BREAKS = ("\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def paste_problem(text: str, value_length: int, selected: int, max_length: int) -> str | None:
    """Why a paste cannot go into a one-line field whole (None when it can): it holds a line
    break (one at the very end, as copying a line often brings, does not count) or another
    control character (an escape sequence; the field could not store it), or the field would
    run past ``max_length`` (0: no limit). ``selected``: characters the paste replaces."""
    body = text.rstrip("\r\n")
    if any(mark in body for mark in LINE_BREAKS):
        return (
            "The pasted text has more than one line; this field holds one line. Nothing was "
            "pasted: join the lines first, or type the note."
        )
    if control_problem(body, lines=True) is not None:
        return (
            "The pasted text holds a control character (an invisible code, not a letter); "
            "this field holds text only. Nothing was pasted: type it instead."
        )
    room = max_length - (value_length - selected)
    if max_length and len(body) > room:
        return (
            f"The pasted text is {len(body):,} characters long; this field holds at most "
            f"{max_length:,} ({room:,} more now). Nothing was pasted: shorten it first."
        )
    return None


class OneLineInput(Input):
    """A one-line text field that takes a paste whole or not at all.

    Textual's Input keeps only the first line of a pasted text and drops a paste that would
    run past ``max_length``, both without a word: a note cut short looks complete. Here such a
    paste is refused with a message saying why, and the field keeps what it held. (The
    services keep multi-line notes whole, from files and REDCap; a one-line field cannot show
    them, so it does not take them.)
    """

    def _on_paste(self, event: events.Paste) -> None:
        start, end = sorted(self.selection)
        problem = paste_problem(event.text, len(self.value), end - start, self.max_length or 0)
        if problem is None:
            return  # Input's own handler inserts it (its first line: the text without the end)
        event.stop()
        event.prevent_default()
        self.app.bell()
        self.notify(problem, title="Paste refused", severity="warning", timeout=10)


def keep_typed_ahead(field: Input) -> None:
    """Keep text about to be put into ``field`` from being selected by a focus event still on
    its way (Input selects all it holds on focus; the next key would overwrite it): skip that
    selection once, and select on focus again after it."""
    if not field.select_on_focus:
        return
    field.select_on_focus = False
    field.call_later(setattr, field, "select_on_focus", True)


class MovesOnInput(OneLineInput):
    """A field whose Enter moves on to the next field (``next_field``, a selector) when its value
    is acceptable; otherwise Enter submits as usual, so the screen can say what is wrong.

    Keys already on their way here when focus moved on (a fast typist's, a password manager's
    or a card reader's type-ahead; over a slow connection a browser sends keys in bursts) are
    passed to the field that now has focus, and added to what it holds: that field's focus
    event may still be to come, and its select-on-focus would select them for the next key to
    overwrite, so it is skipped once (``keep_typed_ahead``). Moving focus from a Submitted
    handler would be too late for such keys: by then the app has already sent them to this
    widget, and they would land in the wrong field. (Enter cannot be a priority binding
    instead: the app runs those at once, ahead of the keys typed before it.)
    """

    def __init__(
        self, *args: Any, next_field: str | None = None, required: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.next_field = next_field
        self.required = required

    def acceptable(self) -> bool:
        """Whether the value may be left as it is (empty where optional, valid otherwise)."""
        if not self.value.strip():
            return not self.required
        result = self.validate(self.value)
        return result is None or result.is_valid

    async def press_enter(self) -> None:
        """Move on to the next field when the value is acceptable, else submit to hear why not."""
        if self.next_field is not None and self.acceptable():
            self.screen.set_focus(self.screen.query_one(self.next_field, Input))
        else:
            await self.action_submit()

    async def on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is self:
            if event.key == "enter":
                event.stop()
                event.prevent_default()
                await self.press_enter()
            return
        if not isinstance(focused, Input):
            return
        # Type-ahead: this key was meant for the field focus has moved to.
        keep_typed_ahead(focused)
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if isinstance(focused, MovesOnInput):
                await focused.press_enter()
            else:
                await focused.action_submit()
        elif event.key == "backspace":
            event.stop()
            event.prevent_default()
            focused.action_delete_left()
        elif event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            focused.insert_text_at_cursor(event.character)
