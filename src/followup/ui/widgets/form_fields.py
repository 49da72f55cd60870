"""Fields for the staff forms (a patient's details, a staff account): a text field whose Enter
moves on to the next field, and a time zone field that completes IANA names as they are typed
(``Asia/To`` offers ``Asia/Tokyo``) with a pick list for when the city is known but not the
zone's spelling (``tokyo``, ``new york``).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from followup.ui.widgets.fields import MovesOnInput


class FormInput(MovesOnInput):
    """A form's text field: Enter moves on to the next field like Tab, and on the form's last
    field (``last``) submits it. Tab is handled here too, not by the app's binding after the
    key has bubbled up: keys typed ahead of either move then land in the next field
    (``MovesOnInput``), not in this one."""

    def __init__(self, *args: Any, last: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)  # one line per field: a whole form fits at 80x24
        super().__init__(*args, required=False, **kwargs)
        self.last = last

    async def press_enter(self) -> None:
        """Move to the next field; from the last one, submit the form."""
        if self.last:
            await self.action_submit()
        else:
            self.screen.focus_next()

    async def on_key(self, event: events.Key) -> None:
        if event.key in ("tab", "shift+tab"):
            event.stop()
            event.prevent_default()  # and MovesOnInput's handler is not run
            # From wherever focus is now: a Tab typed ahead moves on from the field the keys
            # before it were passed to.
            if event.key == "tab":
                self.screen.focus_next()
            else:
                self.screen.focus_previous()


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


def matching_zones(typed: str) -> list[str]:
    """The zones ``typed`` could mean, ignoring case and with a space for an underscore: those
    starting with it first, then those containing it (``tokyo`` finds ``Asia/Tokyo``)."""
    wanted = typed.strip().casefold().replace(" ", "_")
    if not wanted:
        return list(time_zones())
    starting = [z for z in time_zones() if z.casefold().startswith(wanted)]
    inside = [z for z in time_zones() if wanted in z.casefold() and z not in starting]
    return starting + inside


def zone_hint(typed: str) -> str:
    """One line under a time zone field saying what the typed text matches."""
    text = typed.strip()
    if not text:
        return "IANA name, e.g. Europe/London · ↓ pick from a list"
    if text in time_zones():
        return f"✓ {text}"
    found = matching_zones(text)
    if not found:
        return f"no time zone matches {text!r} · ↓ pick from a list"
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    complete = " · → completes" if found[0].casefold().startswith(text.casefold()) else ""
    return f"{shown}{complete} · ↓ pick from a list"


class TimeZoneInput(FormInput):
    """An IANA time zone: completed as typed (→ accepts), ↓ opens the pick list."""

    BINDINGS = [
        Binding(
            "down",
            "pick",
            "Pick zone",
            id="timezone.pick",
            tooltip="Pick the time zone from a list, filtered by what is typed",
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, suggester=SuggestFromList(time_zones(), case_sensitive=False),
                         **kwargs)  # fmt: skip

    def action_pick(self) -> None:
        def picked(zone: str | None) -> None:
            if zone:
                self.value = zone
                self.cursor_position = len(zone)
            self.focus()

        self.app.push_screen(TimeZonePicker(self.value), picked)


class TimeZonePicker(ModalScreen[str | None]):
    """The zones matching what is typed; Enter takes the highlighted one, Escape none."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="zone_picker.cancel", tooltip="Keep the field"),
        Binding(
            "down",
            "into_list",
            "List",
            id="zone_picker.list",
            tooltip="Move into the list of zones",
            show=False,
        ),
    ]

    def __init__(self, typed: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog zone-dialog"):
            yield Label("Time zone", classes="dialog-title")
            yield Input(value=self.typed.strip(), placeholder="city or zone, e.g. tokyo",
                        id="zone-filter")  # fmt: skip
            yield OptionList(id="zone-list")
            yield Static("Enter takes the highlighted zone · Escape cancels", classes="hint")

    def on_mount(self) -> None:
        self._fill(self.typed)
        self.query_one("#zone-filter", Input).focus()

    def _fill(self, typed: str) -> None:
        options = self.query_one("#zone-list", OptionList)
        options.clear_options()
        options.add_options(Option(z, id=z) for z in matching_zones(typed))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#zone-list", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_into_list(self) -> None:
        self.query_one("#zone-list", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
