"""Trajectory charts as standalone SVG text, built from plain numbers: pure, no I/O.

The review packet prints these, often in black and white, so every visual channel is doubled:
series differ by colour (Okabe-Ito, safe for the common colour-vision deficiencies), dash pattern
and point shape; reference lines differ by dash pattern and carry a text label. Each series gets
its own panel, stacked on one shared time axis: a panel with two series and six reference lines
has lines crossing and labels colliding, which no print reader can untangle.

Scores are 0-100 with higher = worse (WOMAC-style), so a knee whose relief wears off climbs back
towards its baseline line and into the shaded signal zone above the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from followup.reports.chart_layout import (
    FONT,
    GRID,
    HALO,
    INK,
    SMALL,
    TEXT,
    number,
    spread_labels,
    text_width,
    time_ticks,
)

# Short names: the drawing code below is mostly coordinates and escaped text in f-strings.
from followup.reports.chart_layout import coord as _c
from followup.reports.chart_layout import esc as _e

ROLES = ("baseline", "best", "threshold")
# (colour, dash pattern of the data line, point shape) per series, in order.
SERIES_STYLES = (
    ("#0072B2", "", "circle"),  # Okabe-Ito blue, solid
    ("#D55E00", "7 3", "square"),  # Okabe-Ito vermillion, dashed
    ("#009E73", "2 2", "triangle"),  # Okabe-Ito bluish green, dotted
)
# Dash pattern and width of each kind of reference line.
ROLE_STYLES = {"baseline": ("10 4", 1.3), "best": ("1.5 3", 1.8), "threshold": ("6 3 1.5 3", 1.5)}
ROLE_NAMES = {"baseline": "before treatment", "best": "best level", "threshold": "signal level"}
LEGEND_NAMES = {"baseline": "before treatment", "best": "best level", "threshold": "signal level"}

# Layout in SVG user units. The chart scales to its container through its viewBox; at the
# default width of 560 printed about 13 cm wide, the 11-unit text comes out near 7 pt.
LEFT, RIGHT = 40, 100
TITLE_TEXT = 12.5
MARKER_ROWS, MARKER_ROW_H = 3, 13  # at most three rows of treatment labels
TITLE_H, PANEL_H, PANEL_GAP = 16, 76, 8
AXIS_H, LEGEND_ROW_H = 20, 16
LABEL_GAP = 12  # minimum vertical distance between two reference labels


@dataclass(frozen=True)
class HorizontalLine:
    """A reference value drawn across the panel from ``start`` (the left edge when None)."""

    value: float
    role: str  # one of ROLES
    start: date | None = None
    label: str | None = None  # default: "before treatment 60", "best level 25", "signal level 42.5"

    def text(self) -> str:
        """The line's label: the one given, or its role in words with its value."""
        if self.label is not None:
            return self.label
        return f"{ROLE_NAMES.get(self.role, self.role)} {self.value:.0f}"


@dataclass(frozen=True)
class Series:
    """One score over time (e.g. pain), with its reference lines; drawn in its own panel."""

    name: str
    points: Sequence[tuple[date, float]]
    lines: Sequence[HorizontalLine] = ()


@dataclass(frozen=True)
class Marker:
    """A dated event drawn as a vertical line through every panel (a treatment)."""

    on: date
    label: str
    emphasis: bool = False


def _safe_id(value: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", value)
    return cleaned if cleaned[:1].isalpha() else "c" + cleaned


@dataclass(frozen=True)
class _Frame:
    """The scales shared by every panel: days to x, scores to y within one panel."""

    x_lo: date
    span_days: int
    plot_w: float

    @property
    def right(self) -> float:
        return LEFT + self.plot_w

    def x(self, d: date) -> float:
        return LEFT + (d - self.x_lo).days / self.span_days * self.plot_w

    @staticmethod
    def y(panel_top: float, value: float) -> float:
        return panel_top + PANEL_H * (1 - min(max(value, 0.0), 100.0) / 100)


def _point_shape(shape: str, x: float, y: float, colour: str, tip: str) -> str:
    title = f"<title>{_e(tip)}</title>"
    if shape == "square":
        return (
            f'<rect x="{_c(x - 3.2)}" y="{_c(y - 3.2)}" width="6.4" height="6.4" fill="#fff" '
            f'stroke="{colour}" stroke-width="1.6">{title}</rect>'
        )
    if shape == "triangle":
        pts = f"{_c(x)},{_c(y - 4)} {_c(x - 3.8)},{_c(y + 3)} {_c(x + 3.8)},{_c(y + 3)}"
        return (
            f'<polygon points="{pts}" fill="#fff" stroke="{colour}" stroke-width="1.6">'
            f"{title}</polygon>"
        )
    return (
        f'<circle cx="{_c(x)}" cy="{_c(y)}" r="3.4" fill="{colour}" stroke="#fff" '
        f'stroke-width="0.8">{title}</circle>'
    )


def describe(series: Sequence[Series], markers: Sequence[Marker]) -> str:
    """A plain-text reading of the chart for screen readers and for the <desc> element."""
    parts = []
    for s in series:
        if s.points:
            first, last = s.points[0], s.points[-1]
            text = (
                f"{s.name}: {len(s.points)} assessment(s) from {first[0].isoformat()} to "
                f"{last[0].isoformat()}, latest {number(last[1])}"
            )
        else:
            text = f"{s.name}: no valid assessments"
        refs = [f"{ROLE_NAMES.get(ln.role, ln.role)} {ln.value:.0f}" for ln in s.lines]
        if refs:
            text += " (" + ", ".join(refs) + ")"
        parts.append(text + ".")
    if markers:
        parts.append(
            "Treatments: "
            + "; ".join(
                m.label if m.on.isoformat() in m.label else f"{m.on.isoformat()} {m.label}"
                for m in markers
            )
            + "."
        )
    return " ".join(parts)


def trajectory_chart(
    series: Sequence[Series],
    markers: Sequence[Marker] = (),
    *,
    title: str,
    description: str | None = None,
    as_of: date | None = None,
    chart_id: str = "chart",
    width: int = 560,
) -> str:
    """An ``<svg>`` element (valid standalone XML) with one panel per series, 0 (best) at the
    bottom and 100 (worst) at the top, reference lines labelled at the right, treatments as
    vertical lines, and the time axis running to ``as_of`` when given."""
    cid = _safe_id(chart_id)
    desc = description if description is not None else describe(series, markers)
    dates = [d for s in series for d, _ in s.points] + [m.on for m in markers]
    dates += [ln.start for s in series for ln in s.lines if ln.start is not None]
    if as_of is not None:
        dates.append(as_of)
    lo = min(dates, default=as_of or date(2000, 1, 1))
    hi = max(dates, default=lo)
    if (hi - lo).days < 30:
        lo, hi = lo - timedelta(days=15), hi + timedelta(days=15)
    pad = timedelta(days=max(3, round((hi - lo).days * 0.03)))
    x_lo, x_hi = lo - pad, (hi if as_of is not None and hi == as_of else hi + pad)
    # The right margin holds the reference lines' labels ("before treatment 62"): as wide as
    # the longest, past the leader.
    labels = [text_width(ln.text()) for s in series for ln in s.lines]
    right_margin = max([RIGHT, *(w + 16 for w in labels)])
    frame = _Frame(x_lo, max((x_hi - x_lo).days, 1), float(width - LEFT - right_margin))
    placed = _place_markers(frame, markers, as_of, width)
    top = max((row for *_, row in placed), default=0) * MARKER_ROW_H + MARKER_ROW_H + 6
    panels = max(len(series), 1)
    panel_tops = [top + i * (TITLE_H + PANEL_H + PANEL_GAP) + TITLE_H for i in range(panels)]
    plot_bottom = panel_tops[-1] + PANEL_H
    legend, legend_rows = _legend(series, plot_bottom + AXIS_H + LEGEND_ROW_H - 2, width)
    height = plot_bottom + AXIS_H + legend_rows * LEGEND_ROW_H + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="trajectory-chart" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{_e(FONT)}" font-size="{TEXT}">',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]
    ticks = time_ticks(x_lo, x_hi, max(2, int(frame.plot_w // (text_width("Sep 2026") + 16))))
    out.append(_markers(placed, plot_bottom))  # first, so that the data is drawn over them
    for index, (s, panel_top) in enumerate(zip(series, panel_tops, strict=False)):
        out.append(_panel(frame, s, index, panel_top, ticks))
    if not series:
        out.append(
            f'<text x="{_c(LEFT + frame.plot_w / 2)}" y="{_c(panel_tops[0] + PANEL_H / 2)}" '
            f'text-anchor="middle" fill="{INK}">no scores to draw</text>'
        )
    # One time axis, under the last panel.
    marks = "".join(f"M{_c(frame.x(d))} {plot_bottom}v4" for d, _ in ticks)
    out.append(f'<g class="time-axis" fill="{INK}" text-anchor="middle">')
    if marks:
        out.append(f'<path d="{marks}" stroke="{INK}"/>')
    out.extend(
        f'<text x="{_c(frame.x(d))}" y="{plot_bottom + 15}">{_e(label)}</text>'
        for d, label in ticks
    )
    out.append("</g>")
    out.append(legend)
    out.append("</svg>")
    return "".join(out)


def _panel(
    frame: _Frame, s: Series, index: int, panel_top: float, ticks: list[tuple[date, str]]
) -> str:
    """One series' panel: grid, signal zone, reference lines with labels, then the data."""
    colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
    bottom = panel_top + PANEL_H
    right = frame.right
    out = [
        f'<g class="panel"><text x="{LEFT}" y="{_c(panel_top - 5)}" '
        f'font-weight="700" font-size="{TITLE_TEXT}" fill="{INK}" {HALO}>{_e(s.name)}</text>'
        f'<text x="{_c(right)}" y="{_c(panel_top - 5)}" text-anchor="end" font-size="{SMALL}" '
        f'fill="#555">0 best — 100 worst</text>'
    ]
    levels = (0, 25, 50, 75, 100)
    grid = [f"M{LEFT} {_c(frame.y(panel_top, v))}H{_c(right)}" for v in levels]
    grid += [f"M{_c(frame.x(d))} {_c(panel_top)}V{_c(bottom)}" for d, _ in ticks]
    out.append(f'<path class="grid" d="{"".join(grid)}" stroke="{GRID}" stroke-width="0.7"/>')
    out.append(f'<g font-size="{SMALL}" fill="#444" text-anchor="end">')
    out.extend(
        f'<text x="{LEFT - 5}" y="{_c(frame.y(panel_top, v) + 3.5)}">{v}</text>' for v in levels
    )
    out.append("</g>")
    for line in s.lines:
        if line.role == "threshold":
            x0 = frame.x(line.start) if line.start else LEFT
            y = frame.y(panel_top, line.value)
            out.append(
                f'<rect class="signal-zone" x="{_c(x0)}" y="{_c(panel_top)}" '
                f'width="{_c(max(right - x0, 0))}" height="{_c(max(y - panel_top, 0))}" '
                f'fill="{colour}" fill-opacity="0.08"/>'
            )
    out.append(
        f'<rect x="{LEFT}" y="{_c(panel_top)}" width="{_c(frame.plot_w)}" height="{PANEL_H}" '
        f'fill="none" stroke="#999" stroke-width="0.8"/>'
    )
    out.append(_reference_lines(frame, s.lines, panel_top, colour))
    if s.points:
        coords = [(frame.x(d), frame.y(panel_top, v)) for d, v in s.points]
        path = " ".join(f"{_c(x)},{_c(y)}" for x, y in coords)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline class="series" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash_attr} stroke-linejoin="round"/>'
        )
        for (x, y), (d, v) in zip(coords, s.points, strict=True):
            out.append(_point_shape(shape, x, y, colour, f"{s.name} {number(v)} on {d}"))
    else:
        out.append(
            f'<text x="{_c(LEFT + frame.plot_w / 2)}" y="{_c(panel_top + PANEL_H / 2)}" '
            f'text-anchor="middle" fill="#555">no valid assessments</text>'
        )
    out.append("</g>")
    return "".join(out)


def _reference_lines(
    frame: _Frame, lines: Sequence[HorizontalLine], panel_top: float, colour: str
) -> str:
    """Each line from its start to the right edge, its label in the right margin; labels that
    would overlap are pushed apart and joined to their line by a thin leader."""
    out = []
    right = frame.right
    ordered = sorted(lines, key=lambda ln: -ln.value)  # top of the panel first
    wanted = [frame.y(panel_top, ln.value) for ln in ordered]
    placed = spread_labels(wanted, panel_top + 4, panel_top + PANEL_H - 2, LABEL_GAP)
    for line, y, label_y in zip(ordered, wanted, placed, strict=True):
        pattern, stroke_width = ROLE_STYLES.get(line.role, ("4 2", 1.2))
        x0 = frame.x(line.start) if line.start else LEFT
        out.append(
            f'<line class="ref-{_e(line.role)}" x1="{_c(x0)}" y1="{_c(y)}" x2="{_c(right)}" '
            f'y2="{_c(y)}" stroke="{colour}" stroke-width="{stroke_width}" '
            f'stroke-dasharray="{pattern}"/>'
            f'<polyline points="{_c(right)},{_c(y)} {_c(right + 5)},{_c(y)} '
            f'{_c(right + 9)},{_c(label_y - 3.5)}" fill="none" stroke="#888" stroke-width="0.6"/>'
            f'<text x="{_c(right + 11)}" y="{_c(label_y)}" font-size="{TEXT}" fill="{INK}">'
            f"{_e(line.text())}</text>"
        )
    return "".join(out)


_Placed = tuple[float, str, str, str, float, int]  # x, label, kind, anchor, text x, row


def _place_markers(
    frame: _Frame, markers: Sequence[Marker], as_of: date | None, width: int
) -> list[_Placed]:
    """Give each marker label the first row above the panels where it does not overprint its
    neighbour (the last row when none is free)."""
    items = [(m.on, m.label, "treatment-emphasis" if m.emphasis else "treatment") for m in markers]
    if as_of is not None:
        items.append((as_of, f"as of {as_of.isoformat()}", "as-of"))
    items.sort(key=lambda item: item[0])
    placed: list[_Placed] = []
    row_ends = [-1e9] * MARKER_ROWS
    for on, label, kind in items:
        x = frame.x(on)
        text_w = text_width(label) + 6
        anchor, text_x = "start", x + 3
        if text_x + text_w > width - 2:
            anchor, text_x = "end", x - 3
        left_edge = text_x - (text_w if anchor == "end" else 0)
        row = next((r for r in range(MARKER_ROWS) if row_ends[r] < left_edge), MARKER_ROWS - 1)
        row_ends[row] = left_edge + text_w
        placed.append((x, label, kind, anchor, text_x, row))
    return placed


def _markers(placed: list[_Placed], plot_bottom: float) -> str:
    """Vertical lines for treatments (bold when emphasised) and the as-of day, with labels."""
    out = []
    for x, label, kind, anchor, text_x, row in placed:
        label_y = (row + 1) * MARKER_ROW_H
        if kind == "as-of":
            stroke = 'stroke="#666" stroke-width="1" stroke-dasharray="1 2"'
        elif kind == "treatment-emphasis":
            stroke = f'stroke="{INK}" stroke-width="2"'
        else:
            stroke = f'stroke="{INK}" stroke-width="1.1"'
        weight = ' font-weight="600"' if kind == "treatment-emphasis" else ""
        out.append(
            f'<g class="marker {kind}"><line x1="{_c(x)}" y1="{_c(label_y + 2)}" x2="{_c(x)}" '
            f'y2="{_c(plot_bottom)}" {stroke}/><text x="{_c(text_x)}" y="{_c(label_y)}" '
            f'text-anchor="{anchor}" fill="{INK}"{weight}>{_e(label)}</text></g>'
        )
    return "".join(out)


def _legend(series: Sequence[Series], y: float, width: int) -> tuple[str, int]:
    """A key that works without colour (line samples with their dash patterns), wrapped onto
    as many rows as the width needs; returns the SVG and the number of rows."""
    entries: list[tuple[float, str]] = []  # (width, svg drawn at x = 0, y = 0)
    for index, s in enumerate(series):
        colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        sample = (
            f'<line x1="0" y1="-4" x2="22" y2="-4" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            + _point_shape(shape, 11, -4, colour, s.name)
        )
        entries.append((27 + text_width(s.name), sample + _legend_text(27, s.name)))
    roles = [r for r in ROLES if any(ln.role == r for s in series for ln in s.lines)]
    for role in roles:
        pattern, stroke_width = ROLE_STYLES[role]
        sample = (
            f'<line x1="0" y1="-4" x2="24" y2="-4" stroke="{INK}" stroke-width="{stroke_width}" '
            f'stroke-dasharray="{pattern}"/>'
        )
        entries.append(
            (29 + text_width(LEGEND_NAMES[role]), sample + _legend_text(29, LEGEND_NAMES[role]))
        )
    sample = f'<line x1="2" y1="-10" x2="2" y2="1" stroke="{INK}" stroke-width="1.5"/>'
    entries.append((8 + text_width("treatment"), sample + _legend_text(8, "treatment")))
    out = ['<g class="legend">']
    x, row = float(LEFT), 0
    for entry_w, svg in entries:
        if x > LEFT and x + entry_w > width - 4:
            x, row = float(LEFT), row + 1
        out.append(f'<g transform="translate({_c(x)},{_c(y + row * LEGEND_ROW_H)})">{svg}</g>')
        x += entry_w + 14
    out.append("</g>")
    return "".join(out), row + 1


def _legend_text(x: float, text: str) -> str:
    return f'<text x="{_c(x)}" y="0" fill="{INK}">{_e(text)}</text>'
