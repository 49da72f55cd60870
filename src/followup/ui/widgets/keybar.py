"""The key bar at the bottom of every staff screen: the keys that work here, and the command
palette's key on the right.

It shows what Textual's ``Footer`` shows, drawn as one widget. ``Footer`` mounts a widget per key
and mounts them all again whenever the focus moves; on the patient screen that was most of the
time it took to open a patient (about 100 of 250 ms the first time). This bar only redraws its one
line when the screen's bindings change. A key can be clicked, as on ``Footer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

# When the keys do not fit (80 columns), each is drawn tighter and with its short name, so the
# keys that matter most (first in each screen's list) stay in sight before any is cut.
SHORT = {
    "Open patient": "Open", "Record booster": "Given", "Edit details": "Edit",
    "Next page": "Next", "Prev page": "Prev", "Find patient": "Find", "Log call": "Call",
    "Assessment": "Form", "Monitor": "Watch", "Dismiss": "Drop", "Change answers": "Change",
    "Cancel entry": "Cancel", "Suggested knee": "Knee", "Clear filters": "Clear",
    "Censor ticks": "Ticks", "Call sheet": "Sheet", "New patient": "New", "Open flags": "Open",
    "Urgent flag": "Urgent", "Treatment": "Treat",
}  # fmt: skip


@dataclass(frozen=True)
class KeySpan:
    """Where one key is drawn on the bar (cells ``start`` to ``end``) and what pressing it does."""

    key: str
    start: int
    end: int
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """The footer: the keys that work here, greyed out when shown but not usable now."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keybar--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.spans: list[KeySpan] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def entries(self) -> tuple[list[tuple[str, str, str, bool]], tuple[str, str, str] | None]:
        """(key, key as shown, description, enabled) for each key shown, one per action, in the
        screen's order; and the command palette's (key, key as shown, description) if any."""
        active = self.screen.active_bindings
        shown: list[tuple[str, str, str, bool]] = []
        actions: set[str] = set()
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        palette = None
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if key == palette_key:
                palette = (binding.key, self.app.get_key_display(binding), binding.description)
                continue
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            shown.append((binding.key, self.app.get_key_display(binding), binding.description,
                          enabled))  # fmt: skip
        return shown, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        dim = self.get_component_rich_style("keybar--disabled")
        shown, palette = self.entries()
        line = Text(no_wrap=True, overflow="crop")
        spans: list[KeySpan] = []
        tight = False

        def add(key: str, display: str, description: str, enabled: bool, at: int) -> int:
            extra = Style() if enabled else dim
            if tight:
                line.append(f" {display}", key_style + extra)
                description = SHORT.get(description, description)
            else:
                line.append(f" {display} ", key_style + extra)
            line.append(f"{description} " if description else "", text_style + extra)
            end = line.cell_len
            spans.append(KeySpan(key, at, end, enabled))
            return end

        wanted = sum(len(f" {d} {t} ") for _k, d, t, _e in shown)
        palette_width = len(f"▏ {palette[1]} {palette[2]} ") if palette else 0
        tight = wanted > self.size.width - palette_width
        at = 0
        for key, display, description, enabled in shown:
            at = add(key, display, description, enabled, at)
        if palette is not None:
            # The palette's key stays at the right edge; the others give way if space is short.
            width = self.size.width
            room = max(0, width - len(f"▏ {palette[1]} {palette[2]} "))
            if line.cell_len > room:  # drop the keys that do not fit whole ("f3Rev" helps no one)
                spans = [s for s in spans if s.end <= room]
                line.truncate(spans[-1].end if spans else 0)
            line.append(" " * (room - line.cell_len))
            line.append("▏", text_style)
            add(palette[0], palette[1], palette[2], True, line.cell_len)
        self.spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for span in self.spans:
            if span.start <= event.x < span.end:
                if span.enabled:
                    self.app.simulate_key(span.key)
                else:
                    self.app.bell()
                return
