"""Kaplan-Meier durability curves as standalone SVG text: one step curve per group with its
shaded confidence band and censoring ticks, months since treatment along the bottom and the
number still at risk in a table under the axis, aligned with its ticks. Pure, no I/O.

As in the trajectory chart (``svgchart``), every group differs by colour (Okabe-Ito, safe for the
common colour-vision deficiencies) and by dash pattern, so a black-and-white print still tells
them apart; the at-risk rows carry the same line sample as the legend. All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from followup.reports.chart_layout import FONT, GRID, HALO, INK, text_width
from followup.reports.chart_layout import coord as _c
from followup.reports.chart_layout import esc as _e
from followup.services.outcome_model import MONTH_DAYS, GroupOutcome

# Okabe-Ito (yellow left out: unreadable as a line on white), each with its own dash pattern.
STYLES = (
    ("#0072B2", ""),
    ("#D55E00", "7 3"),
    ("#009E73", "2 2"),
    ("#CC79A7", "9 3 2 3"),
    ("#E69F00", "4 2"),
    ("#56B4E9", "1 3"),
    ("#000000", "12 3"),
)
TEXT, SMALL = 11, 10
TOP, PLOT_H, AXIS_H, RISK_HEAD, RISK_ROW = 8, 250, 36, 20, 15
RIGHT = 18
LEGEND_ROW = 17
LABEL_MAX = 190
# Months or a share to a coordinate.
Scale = Callable[[float], float]


def style(index: int) -> tuple[str, str]:
    """(colour, dash pattern) of the group drawn ``index``-th."""
    return STYLES[index % len(STYLES)]


def tick_step(max_months: float) -> int:
    """Months between axis ticks: 3 up to two years, 6 up to five, then 12."""
    return 3 if max_months <= 24 else 6 if max_months <= 60 else 12


def _short(label: str) -> str:
    """A label cut to fit the at-risk table's margin (the full one is in its title)."""
    room = (LABEL_MAX - 42) / 1.15
    if text_width(label, SMALL) <= room:
        return label
    while label and text_width(label + "…", SMALL) > room:
        label = label[:-1]
    return label.rstrip() + "…"


def _sample(x: float, y: float, colour: str, dash: str, length: float = 22) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_c(x)}" y1="{_c(y)}" x2="{_c(x + length)}" y2="{_c(y)}" '
        f'stroke="{colour}" stroke-width="2.2"{dash_attr}/>'
    )


def describe(groups: Sequence[GroupOutcome]) -> str:
    """The chart in words, for screen readers and the <desc> element."""
    parts = []
    for g in groups:
        if not g.responders:
            parts.append(f"{g.label}: no confirmed responders.")
            continue
        med = g.median.estimate
        median = "median not reached" if med is None else f"median {med:.1f} months"
        parts.append(
            f"{g.label}: {g.responders} responders, {g.wear_offs} confirmed wear-offs, {median}."
        )
    return " ".join(parts)


def durability_chart(
    groups: Sequence[GroupOutcome], *, title: str, chart_id: str = "durability", width: int = 720
) -> str:
    """An ``<svg>`` element (valid standalone XML) drawing each group that has confirmed
    responders; the others are named in the description only."""
    drawn = [g for g in groups if g.responders]
    labels = [_short(g.label) for g in drawn]
    # Room for the at-risk labels (after their line sample) and half the first column's number;
    # the estimate of text width is widened a little, as fonts differ between machines.
    left = max(
        52.0,
        min(LABEL_MAX, max((24 + text_width(lb, SMALL) * 1.15 + 18 for lb in labels), default=0)),
    )
    plot_w = width - left - RIGHT
    longest = max((g.curve.last_time or 0) / MONTH_DAYS for g in drawn) if drawn else 12
    step = tick_step(longest)
    x_max = max(step * math.ceil(longest / step - 1e-9), 6)
    ticks = list(range(0, x_max + 1, step))

    def x(months: float) -> float:
        return left + min(months, x_max) / x_max * plot_w

    legend, legend_rows = _legend(drawn, labels, left, width)
    plot_top = TOP + legend_rows * LEGEND_ROW + 6

    def y(share: float) -> float:
        return plot_top + (1 - share) * PLOT_H

    bottom = plot_top + PLOT_H
    risk_top = bottom + AXIS_H
    height = risk_top + RISK_HEAD + RISK_ROW * max(len(drawn), 1) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_c(height)}" '
        f'width="{width}" height="{_c(height)}" role="img" class="durability-chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{_e(FONT)}" '
        f'font-size="{TEXT}">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(describe(groups))}</desc>',
        legend,
    ]
    grid = [f"M{_c(left)} {_c(y(v / 100))}H{_c(left + plot_w)}" for v in (0, 25, 50, 75, 100)]
    grid += [f"M{_c(x(t))} {_c(plot_top)}V{_c(bottom)}" for t in ticks]
    out.append(f'<path class="grid" d="{"".join(grid)}" stroke="{GRID}" stroke-width="0.7"/>')
    out.append(f'<g font-size="{SMALL}" fill="#444" text-anchor="end">')
    out.extend(
        f'<text x="{_c(left - 5)}" y="{_c(y(v / 100) + 3.5)}">{v}%</text>'
        for v in (0, 25, 50, 75, 100)
    )
    out.append("</g>")
    for i, g in enumerate(drawn):
        out.append(_band(g, style(i)[0], x, y))
    for i, g in enumerate(drawn):
        out.append(_curve(g, *style(i), x, y))
    out.append(
        f'<rect x="{_c(left)}" y="{_c(plot_top)}" width="{_c(plot_w)}" height="{PLOT_H}" '
        'fill="none" stroke="#999" stroke-width="0.8"/>'
    )
    if not drawn:
        out.append(
            f'<text x="{_c(left + plot_w / 2)}" y="{_c(plot_top + PLOT_H / 2)}" '
            f'text-anchor="middle" fill="#555">no confirmed responders to follow</text>'
        )
    marks = "".join(f"M{_c(x(t))} {_c(bottom)}v4" for t in ticks)
    out.append(
        f'<g class="time-axis" fill="{INK}" text-anchor="middle"><path d="{marks}" stroke="{INK}"/>'
    )
    out.extend(f'<text x="{_c(x(t))}" y="{_c(bottom + 15)}">{t}</text>' for t in ticks)
    out.append(
        f'<text x="{_c(left + plot_w / 2)}" y="{_c(bottom + 30)}">months since treatment</text></g>'
    )
    out.append(_at_risk(drawn, labels, ticks, x, left, risk_top))
    out.append("</svg>")
    return "".join(out)


def _legend(
    drawn: Sequence[GroupOutcome], labels: Sequence[str], left: float, width: int
) -> tuple[str, int]:
    """Line samples with each group's name and its numbers, wrapped onto rows as needed."""
    out = ['<g class="legend">']
    x0, row = left, 0
    cursor = x0
    for i, (g, label) in enumerate(zip(drawn, labels, strict=True)):
        text = f"{label} ({g.responders} responders, {g.wear_offs} wore off)"
        entry_w = 28 + text_width(text)
        if cursor > x0 and cursor + entry_w > width - RIGHT:
            cursor, row = x0, row + 1
        base = TOP + row * LEGEND_ROW + 10
        colour, dash = style(i)
        out.append(_sample(cursor, base - 4, colour, dash))
        out.append(f'<text x="{_c(cursor + 27)}" y="{_c(base)}" fill="{INK}">{_e(text)}</text>')
        cursor += entry_w + 16
    band = "shaded: 95% confidence band; | on a curve: a knee censored there"
    base = TOP + (row + 1) * LEGEND_ROW + 10
    out.append(f'<text x="{_c(x0)}" y="{_c(base)}" font-size="{SMALL}" fill="#555">{band}</text>')
    out.append("</g>")
    return "".join(out), row + 2


def _band(g: GroupOutcome, colour: str, x: Scale, y: Scale) -> str:
    """The confidence band as one step-shaped polygon (skipped where it is not defined)."""
    end = (g.curve.last_time or 0) / MONTH_DAYS
    upper: list[tuple[float, float]] = []
    lower: list[tuple[float, float]] = []
    for i, p in enumerate(g.points):
        if p.lower is None or p.upper is None:
            break  # everyone left has worn off: no band from here on
        nxt = g.points[i + 1].months if i + 1 < len(g.points) else end
        upper += [(x(p.months), y(p.upper)), (x(nxt), y(p.upper))]
        lower += [(x(p.months), y(p.lower)), (x(nxt), y(p.lower))]
    if not upper:
        return ""
    coords = " ".join(f"{_c(a)},{_c(b)}" for a, b in upper + lower[::-1])
    return (
        f'<polygon class="band" points="{coords}" fill="{colour}" fill-opacity="0.13" '
        'stroke="none"/>'
    )


def _curve(g: GroupOutcome, colour: str, dash: str, x: Scale, y: Scale) -> str:
    """The step curve, then a tick for every time knees were censored."""
    end = (g.curve.last_time or 0) / MONTH_DAYS
    d = [f"M{_c(x(0))} {_c(y(1))}"]
    for p in g.points[1:]:
        d.append(f"H{_c(x(p.months))}V{_c(y(p.survival))}")
    d.append(f"H{_c(x(end))}")
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = [
        f'<g class="curve"><title>{_e(g.label)}</title><path d="{"".join(d)}" fill="none" '
        f'stroke="{colour}" stroke-width="2.2"{dash_attr} stroke-linejoin="miter"/>'
    ]
    ticks = "".join(
        f"M{_c(x(p.months))} {_c(y(p.survival) - 4.5)}v9" for p in g.points if p.censored
    )
    if ticks:
        out.append(f'<path class="censored" d="{ticks}" stroke="{colour}" stroke-width="1.4"/>')
    out.append("</g>")
    return "".join(out)


def _at_risk(
    drawn: Sequence[GroupOutcome],
    labels: Sequence[str],
    ticks: Sequence[int],
    x: Scale,
    left: float,
    top: float,
) -> str:
    """Knees still followed and not yet worn off at each tick, one row per group."""
    out = [
        f'<g class="at-risk" font-size="{SMALL}"><text x="4" y="{_c(top + 10)}" '
        f'font-weight="700" fill="{INK}">Number at risk</text>'
    ]
    for i, (g, label) in enumerate(zip(drawn, labels, strict=True)):
        base = top + RISK_HEAD + i * RISK_ROW + 6
        colour, dash = style(i)
        out.append(_sample(4, base - 3.5, colour, dash, 16))
        out.append(
            f'<text x="24" y="{_c(base)}" fill="{INK}"><title>{_e(g.label)}</title>'
            f"{_e(label)}</text>"
        )
        out.append(f'<g text-anchor="middle" fill="{INK}" {HALO}>')
        out.extend(
            f'<text x="{_c(x(t))}" y="{_c(base)}">{g.curve.at_risk(t * MONTH_DAYS)}</text>'
            for t in ticks
        )
        out.append("</g>")
    out.append("</g>")
    return "".join(out)
