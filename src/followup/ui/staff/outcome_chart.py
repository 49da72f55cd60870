"""Kaplan-Meier durability curves drawn in the terminal (``textual-plotext``): one step curve per
group, 0-100 % still holding against months since treatment, with the number still followed (at
risk) in rows under the curve, aligned with the month ticks, and a legend naming each group with
its responders and wear-offs.

A terminal is often read without colour (a printout, a colour-blind reader, a monochrome
session), so every group has its own marker character as well as its own colour, and the
legend, the at-risk rows and the tables name the group by both. A terminal row is several
percent high, so curves often run through the same cells: there they take turns, cell by cell
("•x•x"), rather than the last one drawn hiding the others. Censored knees can be shown as ``|``
ticks on the curves; with many censored knees the ticks crowd out the markers, so they are off
until asked for.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual_plotext import PlotextPlot

from followup.reports.outcomes import median_text
from followup.reports.survival_chart import tick_step
from followup.services.outcome_model import MONTH_DAYS, GroupOutcome

# Okabe-Ito hues (black and yellow left out: invisible on one of the two themes), then two more.
COLOURS = (
    (86, 180, 233),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (213, 94, 0),
    (0, 114, 178),
    (150, 150, 150),
    (170, 130, 255),
)
MARKERS = ("•", "x", "o", "*", "#", "+", "@", "%", "&")
CENSOR_TICK = "|"
Y_TICKS = (0, 25, 50, 75, 100)
# The y labels of both plots have this width, so their drawing areas line up column for column.
LABEL_WIDTH = 4


@dataclass(frozen=True)
class CurveStyle:
    """How one group is drawn: its marker character and its colour."""

    marker: str
    colour: tuple[int, int, int]

    @property
    def rich(self) -> str:
        """The colour as a Rich style."""
        r, g, b = self.colour
        return f"rgb({r},{g},{b})"


def curve_style(index: int) -> CurveStyle:
    """The style of the ``index``-th group (markers and colours repeat only after nine)."""
    return CurveStyle(MARKERS[index % len(MARKERS)], COLOURS[index % len(COLOURS)])


def month_axis(groups: Sequence[GroupOutcome]) -> tuple[float, list[int]]:
    """The longest follow-up of any curve (months, at least 6) and the month ticks up to it."""
    longest = max(((g.curve.last_time or 0) / MONTH_DAYS for g in groups), default=0.0)
    longest = max(longest, 6.0)
    step = tick_step(longest)
    return longest, list(range(0, int(longest) + 1, step))


def _cell(value: float, low: float, high: float, cells: int) -> int:
    """The cell plotext puts ``value`` in (its own rounding: ``utility.get_matrix_data``)."""
    return math.floor(round(0.5 + (cells - 1) * (value - low) / (high - low), 8))


def curve_cells(
    group: GroupOutcome, width: int, height: int, x_limits: tuple[float, float]
) -> set[tuple[int, int]]:
    """The (column, row) cells of a drawing area ``width`` x ``height`` (y 0-100 %) that the
    group's step curve passes through: flat to each time, then straight down."""
    low, high = x_limits
    months = [p.months for p in group.points]
    last = months[-1]
    found = set()
    for col in range(width):
        at = low + col * (high - low) / (width - 1)
        if 0 <= at <= last:
            point = group.points[bisect_right(months, at) - 1]
            found.add((col, _cell(point.survival * 100, 0, 100, height)))
    for before, point in pairwise(group.points):
        if point.survival != before.survival:
            col = _cell(point.months, low, high, width)
            top = _cell(before.survival * 100, 0, 100, height)
            bottom = _cell(point.survival * 100, 0, 100, height)
            found.update((col, row) for row in range(bottom, top + 1))
    return found


def _x_limits(longest: float) -> tuple[float, float]:
    # A little room either side, so a number centred on month 0 or on the last tick is not cut.
    pad = longest * 0.04
    return -pad, longest + pad


class SurvivalChart(PlotextPlot):
    """The curves. ``show`` gives it the groups; they are placed cell by cell at each render
    (the cells depend on the size), so that where two curves run through the same cells they
    take turns, marker by marker, and neither hides the other."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.groups: tuple[GroupOutcome, ...] = ()
        self.censor_ticks = False

    def show(self, groups: Sequence[GroupOutcome], censor_ticks: bool) -> None:
        """Draw these groups (in this order: the order sets each one's style)."""
        self.groups = tuple(groups)
        self.censor_ticks = censor_ticks
        self.refresh()

    def render(self) -> RenderResult:
        self.draw()
        return super().render()

    def drawing_area(self) -> tuple[int, int]:
        """Columns and rows plotext leaves for the data (``_build``: two axes and the y labels
        across; two axes, the tick labels and the x label down)."""
        return self.size.width - 2 - LABEL_WIDTH, self.size.height - 4

    def draw(self) -> None:
        """Draw each group's share still relieved over the months since treatment."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        longest, ticks = month_axis(self.groups)
        x_limits = _x_limits(longest)
        width, height = self.drawing_area()
        if width > 1 and height > 1:
            self._draw_curves(x_limits, width, height)
        plt.ylim(0, 100)
        plt.yticks(list(Y_TICKS), [f"{y}%".rjust(LABEL_WIDTH) for y in Y_TICKS])
        plt.xlim(*x_limits)
        plt.xticks(ticks, [str(t) for t in ticks])
        plt.xlabel("months since treatment")

    def _draw_curves(self, x_limits: tuple[float, float], width: int, height: int) -> None:
        low, high = x_limits
        owners: dict[tuple[int, int], list[int]] = {}
        for i, g in enumerate(self.groups):
            if g.responders:
                for cell in curve_cells(g, width, height, x_limits):
                    owners.setdefault(cell, []).append(i)
        mine: dict[int, list[tuple[int, int]]] = {}
        for (col, row), sharing in owners.items():
            mine.setdefault(sharing[(col + row) % len(sharing)], []).append((col, row))
        for i, cells in sorted(mine.items()):
            style = curve_style(i)
            xs = [low + col * (high - low) / (width - 1) for col, _row in cells]
            ys = [row * 100 / (height - 1) for _col, row in cells]
            self.plt.scatter(xs, ys, marker=style.marker, color=style.colour)
        if self.censor_ticks:
            for i, g in enumerate(self.groups):
                cut = [p for p in g.points if p.censored]
                if cut:
                    self.plt.scatter([p.months for p in cut], [p.survival * 100 for p in cut],
                                     marker=CENSOR_TICK, color=curve_style(i).colour)  # fmt: skip


class AtRiskRows(PlotextPlot):
    """Under the curves: how many knees each curve still followed at each month tick, one row
    per group, named by its marker. Drawn as a plot of the same width and x range as the curves
    so the numbers stand under their ticks."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.groups: tuple[GroupOutcome, ...] = ()

    def show(self, groups: Sequence[GroupOutcome]) -> None:
        """Rows for these groups (those with a curve); the widget's height follows."""
        self.groups = tuple(groups)
        self.styles.height = max(1, sum(1 for g in self.groups if g.responders)) + 2
        self.refresh()

    def render(self) -> RenderResult:
        # Drawn at each render: a number's background is fixed when it is placed, and must be
        # the current theme's (the plot's own "auto" theme paints the surface colour).
        self.draw()
        return super().render()

    def draw(self) -> None:
        """Draw how many knees are still followed at each month, per group."""
        background = Color.parse(self.app.theme_variables["surface"]).rgb
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        longest, ticks = month_axis(self.groups)
        rows = [(i, g) for i, g in enumerate(self.groups) if g.responders]
        plt.xlim(*_x_limits(longest))
        plt.xticks([], [])
        plt.ylim(0.5, max(len(rows), 1) + 0.5)
        heights = [len(rows) - n for n in range(len(rows))]
        plt.yticks(heights, [f"{curve_style(i).marker} ".rjust(LABEL_WIDTH) for i, _g in rows])
        for height, (i, g) in zip(heights, rows, strict=True):
            followed = dict(g.at_risk)
            colour = curve_style(i).colour
            for month in ticks:
                plt.text(str(followed.get(month, 0)), month, height, color=colour,
                         background=background, alignment="center")  # fmt: skip


def legend(groups: Sequence[GroupOutcome]) -> Text:
    """One line per group: its marker in its colour, its name, responders, wear-offs, median."""
    text = Text()
    for i, g in enumerate(groups):
        style = curve_style(i)
        if i:
            text.append("\n")
        text.append(f"{style.marker}{style.marker} {g.label}", style=f"bold {style.rich}")
        if not g.responders:
            text.append(": no confirmed responders, so no curve", style="dim")
            continue
        text.append(
            f": {g.responders} responder{'s' if g.responders != 1 else ''}, "
            f"{g.wear_offs} wore off, median {median_text(g)}"
        )
    return text
