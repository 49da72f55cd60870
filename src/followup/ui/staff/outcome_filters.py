"""What the Outcomes screen analyses: the grouping and the filters (``OutcomeOptions``), and the
small dialog that changes the filters (product, KL grade range, smoking, route, site).

The options are plain values the screen hands to ``services.outcomes.build_outcomes``; the
dialog only collects them. A clinician limited to one site sees that site only: the site filter
is fixed for them, as the review queue is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.outcomes import (
    GROUPINGS,
    PRODUCT_NAMES,
    ROUTE_NAMES,
    SMOKER_NAMES,
    kl_grade_keys,
)
from followup.services.sites import SiteView, list_sites
from followup.ui.staff.base import StaffModal
from followup.ui.widgets.plain_table import plain

# The order ``g`` steps through: the groupings, then all knees together.
GROUPING_CYCLE: tuple[str | None, ...] = (*GROUPINGS, None)
GROUPING_NAMES = {
    "product": "product",
    "kl_grade": "KL grade",
    "smoker": "smoking",
    "route": "route",
    "site": "site",
    None: "none (all knees together)",
}
ANY = "any"


@dataclass(frozen=True)
class OutcomeOptions:
    """The grouping (``by``; None: all knees as one group) and the filters (None or empty: any).
    ``kl_grades`` holds group keys ("1"-"4", "unknown")."""

    by: str | None = "product"
    product: str | None = None
    kl_grades: tuple[str, ...] = ()
    smoker: str | None = None
    route: str | None = None
    site: str | None = None

    def only(self) -> dict[str, list[str]]:
        """The filters as ``build_outcomes`` takes them."""
        chosen: dict[str, list[str]] = {}
        for grouping, value in (
            ("product", self.product),
            ("smoker", self.smoker),
            ("route", self.route),
            ("site", self.site),
        ):
            if value:
                chosen[grouping] = [value]
        if self.kl_grades:
            chosen["kl_grade"] = list(self.kl_grades)
        return chosen

    def next_grouping(self) -> OutcomeOptions:
        """The same filters, grouped by the next grouping in ``GROUPING_CYCLE``."""
        at = GROUPING_CYCLE.index(self.by)
        return replace(self, by=GROUPING_CYCLE[(at + 1) % len(GROUPING_CYCLE)])

    def filters_text(self) -> str:
        """The filters in words ("all knees" when none)."""
        parts = []
        if self.product:
            parts.append(PRODUCT_NAMES.get(self.product, self.product))
        if self.kl_grades:
            parts.append(kl_text(self.kl_grades))
        if self.smoker:
            parts.append(SMOKER_NAMES.get(self.smoker, self.smoker).lower())
        if self.route:
            parts.append(ROUTE_NAMES.get(self.route, self.route).lower())
        if self.site:
            parts.append(f"site {self.site}")
        return ", ".join(parts) if parts else "all knees"


def kl_text(grades: tuple[str, ...]) -> str:
    """'KL 2-3', 'KL 1, 4', 'KL 2, unknown'."""
    numbers = [int(g) for g in grades if g.isdigit()]
    words = []
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        words.append(f"{numbers[0]}-{numbers[-1]}")
    elif len(numbers) == 2 and numbers[1] == numbers[0] + 1:
        words.append(f"{numbers[0]}-{numbers[1]}")
    else:
        words += [str(n) for n in numbers]
    words += [g for g in grades if not g.isdigit()]
    return "KL " + ", ".join(words)


def _kl_input_text(grades: tuple[str, ...]) -> str:
    return kl_text(grades).removeprefix("KL ") if grades else ""


def _choices(names: dict[str, str]) -> list[tuple[str, str]]:
    return [("any", ANY), *((label, key) for key, label in names.items())]


def _select(
    choices: list[tuple[str, str]], value: str | None, widget_id: str, fixed: bool = False
) -> Select[str]:
    """A one-line choice ("any" when ``value`` is None); ``fixed``: shown but not changeable."""
    return Select(
        choices,
        value=value or ANY,
        allow_blank=False,
        compact=True,
        id=widget_id,
        disabled=fixed,
    )


class SitesRead(Message):
    """The sites were read for the site filter."""

    def __init__(self, sites: list[SiteView]) -> None:
        super().__init__()
        self.sites = sites


class FilterDialog(StaffModal):
    """Changes the filters; Enter or Apply applies, Escape cancels, Ctrl+R clears them all.
    Dismisses with the new ``OutcomeOptions`` (the grouping kept), or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="outcome_filters.cancel", tooltip="Cancel"),
        Binding(
            "ctrl+r",
            "clear",
            "Clear filters",
            id="outcome_filters.clear",
            tooltip="Set every filter back to any",
        ),
    ]

    def __init__(self, options: OutcomeOptions, fixed_site: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.options = options
        self.fixed_site = fixed_site

    def compose(self) -> ComposeResult:
        o = self.options
        with Vertical(classes="dialog outcome-filters"):
            yield Label("Which knees to analyse", classes="dialog-title")
            with Grid(classes="filter-grid"):
                yield Label("Product")
                yield _select(_choices(PRODUCT_NAMES), o.product, "filter-product")
                yield Label("KL grade")
                yield Input(
                    _kl_input_text(o.kl_grades),
                    placeholder="any, or 2-3, 2,3, 4, unknown",
                    compact=True,
                    id="filter-kl",
                )
                yield Label("Smoking")
                yield _select(_choices(SMOKER_NAMES), o.smoker, "filter-smoker")
                yield Label("Route")
                yield _select(_choices(ROUTE_NAMES), o.route, "filter-route")
                yield Label("Site")
                site = self.fixed_site or o.site
                choices = [(site, site)] if site else [("any", ANY)]
                yield _select(choices, site, "filter-site", fixed=self.fixed_site is not None)
            yield Static("", id="filter-problem", classes="problem", markup=False)
            yield Static(
                "Tab: next field · Enter: open a list, or apply from the grade field · "
                "Ctrl+R: clear all · Escape: cancel",
                classes="hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", compact=True, id="apply")
                yield Button("Cancel", compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-product", Select).focus()
        if self.fixed_site is None:
            self._read_sites(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="outcome-sites",
          description="Listing the sites")  # fmt: skip
    def _read_sites(self, ctx: Context) -> None:
        self.post_message(SitesRead(list_sites(ctx)))

    def on_sites_read(self, message: SitesRead) -> None:
        select = self.query_one("#filter-site", Select)
        current = select.value
        options = [("any", ANY), *((plain(f"{s.name} ({s.id})"), s.id) for s in message.sites)]
        select.set_options(options)
        known = {value for _label, value in options}
        select.value = current if current in known else ANY

    def _chosen(self) -> OutcomeOptions:
        """The options as entered; a FollowupError names a KL grade that cannot be read."""

        def value(widget_id: str) -> str | None:
            chosen = self.query_one(widget_id, Select).value
            return None if chosen in (ANY, Select.NULL) else str(chosen)

        typed = self.query_one("#filter-kl", Input).value.strip()
        grades = () if typed.lower() in ("", ANY) else kl_grade_keys(typed)
        return replace(
            self.options,
            product=value("#filter-product"),
            kl_grades=grades,
            smoker=value("#filter-smoker"),
            route=value("#filter-route"),
            site=self.fixed_site or value("#filter-site"),
        )

    def _apply(self) -> None:
        try:
            chosen = self._chosen()
        except FollowupError as exc:
            self.query_one("#filter-problem", Static).update(str(exc))
            self.query_one("#filter-kl", Input).focus()
            return
        self.dismiss(chosen)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self._apply()
        else:
            self.dismiss(None)

    def action_clear(self) -> None:
        for widget_id in ("#filter-product", "#filter-smoker", "#filter-route"):
            self.query_one(widget_id, Select).value = ANY
        if self.fixed_site is None:
            self.query_one("#filter-site", Select).value = ANY
        self.query_one("#filter-kl", Input).value = ""
        self.query_one("#filter-problem", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["GROUPING_CYCLE", "GROUPING_NAMES", "FilterDialog", "OutcomeOptions", "kl_text"]
