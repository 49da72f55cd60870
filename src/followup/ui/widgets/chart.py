"""Trajectory charts: one knee, pain and function side by side, 0 (best) to 100 (worst), with
the episode's baseline, best value and signal threshold drawn, and the treatments marked. The
exact numbers are printed under each chart: a terminal chart is only a few rows tall."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static
from textual_plotext import PlotextPlot

from followup.services.trajectory import DOMAINS, KneeTrajectory
from followup.ui.widgets.formatting import product

SERIES_COLOUR = "cyan"
REFERENCE_COLOURS = {"baseline": "red", "best": "green", "threshold": "orange"}  # plotext names
LEGEND_STYLES = {"baseline": "red", "best": "green", "threshold": "dark_orange"}  # rich names
TREATMENT_COLOUR = "magenta"


def _ticks(first: date, last: date, count: int = 4) -> tuple[list[int], list[str]]:
    span = max((last - first).days, 1)
    days = sorted({round(span * i / (count - 1)) for i in range(count)})
    return days, [(first + timedelta(days=d)).strftime("%b %y") for d in days]


class DomainChart(PlotextPlot):
    """One domain (pain or function) of one knee over time."""

    def __init__(self, trajectory: KneeTrajectory, domain: str, today: date) -> None:
        super().__init__(classes="domain-chart")
        self.trajectory = trajectory
        self.domain = domain
        self.today = today

    def on_mount(self) -> None:
        self.draw()

    def render(self) -> RenderResult:
        """The plot at the size it is drawn at, its title fitted to that width (set here, not
        when drawn: the first draw can come before the layout has given the chart its width)."""
        self.plt.title(self.title())
        return super().render()

    def title(self) -> str:
        """The full title where it fits, else just the domain: at 80 columns two charts side
        by side leave too little room, and "Pain" or "Function" must still show."""
        full = f"{self.trajectory.knee.capitalize()} knee · {self.domain} (0 best, 100 worst)"
        return full if self.size.width >= len(full) + 8 else self.domain.capitalize()

    def draw(self) -> None:
        """Draw the knee's scores over time with its treatments and reference levels."""
        t = self.trajectory
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        # Up to today, so a knee that stopped being followed shows the gap.
        dates = [p.assessed_on for p in t.points] + [d for _i, d, _p in t.treatments]
        dates.append(self.today)
        first, last = min(dates), max(dates)
        shown = [p for p in t.points if getattr(p, self.domain) is not None]
        xs = [(p.assessed_on - first).days for p in shown]
        ys = [getattr(p, self.domain) for p in shown]
        if xs:
            plt.plot(xs, ys, marker="braille", color=SERIES_COLOUR)
            plt.scatter(xs, ys, marker="dot", color=SERIES_COLOUR)
        for _id, treated_on, _product in t.treatments:
            plt.vline((treated_on - first).days, TREATMENT_COLOUR)
        ref = t.references.get(self.domain)
        if ref is not None:
            plt.hline(ref.baseline, REFERENCE_COLOURS["baseline"])
            if ref.best is not None:
                plt.hline(ref.best, REFERENCE_COLOURS["best"])
            if ref.threshold is not None:
                plt.hline(ref.threshold, REFERENCE_COLOURS["threshold"])
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100])
        ticks, labels = _ticks(first, last)
        plt.xticks(ticks, labels)
        plt.xlim(-1, max((last - first).days, 1) + 1)
        self.refresh()


def legend(trajectory: KneeTrajectory, domain: str) -> Text:
    """The reference values in words, coloured like their lines (two short lines)."""
    ref = trajectory.references.get(domain)
    text = Text()
    latest = trajectory.points[-1] if trajectory.points else None
    if latest is not None:
        text.append(f"● latest {getattr(latest, domain):.0f}", style=SERIES_COLOUR)
        text.append(f" ({latest.assessed_on.isoformat()})  ")
    text.append("│ treatment", style=TREATMENT_COLOUR)
    text.append("\n")
    if ref is None:
        text.append("no baseline: gain-based rules cannot run", style="dim")
        return text
    text.append(f"━ before treatment {ref.baseline:.0f}", style=LEGEND_STYLES["baseline"])
    text.append(f" ({ref.baseline_on.isoformat()})  ")
    if ref.best is not None:
        text.append(f"━ best level {ref.best:.0f}", style=LEGEND_STYLES["best"])
        text.append("  ")
    if ref.threshold is not None:
        text.append(f"━ signal level {ref.threshold:.0f}", style=LEGEND_STYLES["threshold"])
    return text


class KneeCharts(Vertical):
    """Pain and function of one knee."""

    def __init__(self, trajectory: KneeTrajectory, today: date) -> None:
        super().__init__(classes="knee-charts")
        self.trajectory = trajectory
        self.today = today

    def compose(self) -> ComposeResult:
        t = self.trajectory
        treatments = ", ".join(f"{d.isoformat()} {product(p)}" for _i, d, p in t.treatments)
        yield Label(
            f"{t.knee.capitalize()} knee · {len(t.points)} valid assessments · treated: "
            f"{treatments}",
            classes="chart-title",
            markup=False,
        )
        with Horizontal(classes="chart-row"):
            for domain in DOMAINS:
                with Vertical(classes="chart-cell"):
                    yield DomainChart(t, domain, self.today)
                    yield Static(legend(t, domain), classes="chart-legend")
