"""Shared by the staff and kiosk tests of what a small terminal shows: whether a widget is in
sight (not clipped, scrolled away or below the screen's edge)."""

from __future__ import annotations

from textual.errors import NoWidget
from textual.screen import Screen
from textual.widget import Widget


def in_sight(screen: Screen, widget: Widget, y: int | None = None) -> bool:
    """Whether ``screen`` shows ``widget`` at its first column, on its first row (or row
    ``y``): a widget with no room, or covered there by another, is not in sight."""
    region = widget.region
    if not region.height or not region.width:
        return False
    try:
        shown, _ = screen.get_widget_at(region.x, region.y if y is None else y)
    except NoWidget:  # beyond the edge of the screen
        return False
    return shown is widget
