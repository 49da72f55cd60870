"""Input fields shared by the staff and patient apps."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input


class MovesOnInput(Input):
    """A field whose Enter moves on to the next field (``next_field``, a selector), in this
    widget's own key handler, and whose type-ahead (keys already on their way here when Enter
    was pressed: a fast typist's, a password manager's or a card reader's) goes on to that field
    too. Moving focus from a Submitted handler would run too late: by then the app has passed
    the following keys to this widget."""

    def __init__(self, *args: Any, next_field: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_field = next_field

    async def on_key(self, event: events.Key) -> None:
        target = self.screen.query_one(self.next_field, Input)
        moved_on = self.screen.focused is not self
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if moved_on:
                await target.action_submit()
            elif self.value.strip():
                self.screen.set_focus(target)
        elif moved_on and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            target.insert_text_at_cursor(event.character)
