"""Input fields shared by the staff and patient apps."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input


class MovesOnInput(Input):
    """A field whose Enter moves on to the next field (``next_field``, a selector) when its value
    is acceptable, in this widget's own key handler; otherwise Enter submits as usual, so the
    screen can say what is wrong.

    Keys already on their way here when focus moved on (a fast typist's, a password manager's
    or a card reader's type-ahead) are passed to the field that now has focus. Moving focus from
    a Submitted handler would be too late for them: by then the app has already sent them to
    this widget, and they would land in the wrong field.
    """

    def __init__(
        self, *args: Any, next_field: str | None = None, required: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.next_field = next_field
        self.required = required

    def acceptable(self) -> bool:
        if not self.value.strip():
            return not self.required
        result = self.validate(self.value)
        return result is None or result.is_valid

    async def press_enter(self) -> None:
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
