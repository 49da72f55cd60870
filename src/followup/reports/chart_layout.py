"""What the SVG charts share: ink and font, an estimate of text width, coordinates and escaped
text, month ticks for a time axis, and labels pushed apart so they never overprint. Pure, no I/O.
"""

from __future__ import annotations

from datetime import date
from html import escape

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A white outline behind text keeps it legible where a treatment line passes under it.
HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK = "#222222"
GRID = "#d9d9d9"
TEXT, SMALL = 11, 10.5  # font sizes in SVG user units: labels, small print
CHAR_W = 0.56  # average advance of a sans-serif character, as a share of the font size


def text_width(text: str, size: float = TEXT) -> float:
    """Estimated width of a label: enough to keep labels from overprinting, with no font
    metrics (the chart must not depend on which fonts the printing machine has)."""
    return len(text) * size * CHAR_W


def number(value: float) -> str:
    """A score for people: at most one decimal, no trailing zero (42.5, 60)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def coord(value: float) -> str:
    """A coordinate: one decimal keeps the SVG small and is finer than any printer."""
    return f"{value:.1f}"


def esc(value: object) -> str:
    """Text or an attribute value made safe to put into SVG."""
    return escape(str(value), quote=True)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def time_ticks(start: date, end: date, max_ticks: int = 8) -> list[tuple[date, str]]:
    """Month-aligned ticks between two days: every 1, 2, 3, 6, 12 or 24 months, the smallest
    step that keeps at most ``max_ticks`` labels."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24) if months / s <= max_ticks), 60)
    first = _month_start(start)
    while (first.month - 1) % min(step, 12) or (step > 12 and first.year % (step // 12)):
        first = _add_months(first, 1)
    if first < start:
        first = _add_months(first, step)
    ticks = []
    tick = first
    while tick <= end:
        label = str(tick.year) if step >= 12 else f"{MONTHS[tick.month - 1]} {tick.year}"
        ticks.append((tick, label))
        tick = _add_months(tick, step)
    return ticks


def spread_labels(wanted: list[float], low: float, high: float, gap: float) -> list[float]:
    """Move label positions apart by at least ``gap``, keeping them within [low, high] and in
    their original order; ``wanted`` must be sorted ascending."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, placed[-1] + gap) if placed else max(y, low))
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return placed
