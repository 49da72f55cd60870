"""Planned assessments (visits) and treatment episodes: the plan a patient's rows are drawn from.

A patient's history is planned first (which knee is treated when, which visits happen, in which
phase of the course each one falls) and rendered into answers afterwards, because an archetype's
shape depends on visits that come later (a wearing-off run is the *last* few visits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .course import PHASE_START_DAY
from .schedule import Window
from .treatments import Treatment


@dataclass(slots=True)
class Visit:
    """One planned assessment of one knee."""

    on: date
    source: str
    phase: str = "respond"  # baseline respond plateau signal trend stiff_return flare nonresp
    amount: float = 0.0  # signal: fraction of the improvement lost; trend: points per 90 days
    adverse_event: str = ""
    note: str = ""
    invalid: bool = False  # two pain items left blank: the pain score is invalid
    domains: str = "pain function"  # signal: the domains that signal
    declined_stiffness: bool = False  # the stiffness questions left blank
    recorded: bool = True  # False: taken, but the form never reached the clinic's records
    confirms: bool = False  # a confirmation call's reading, about this knee only
    raw: tuple[int, ...] | None = None  # raw pain, stiffness, function sums, once rendered
    global_: int | None = None  # patient global assessment, filled in when rendered

    @property
    def shared(self) -> bool:
        """Whether the other knee, treated the same day, is assessed at this visit too."""
        return not self.invalid and not self.confirms and self.recorded


@dataclass(slots=True)
class Episode:
    """A treatment of one knee with its planned assessments and target course."""

    treatment: Treatment
    visits: list[Visit]
    best_target: tuple[float, ...]  # normalised target best (pain, stiffness, function)
    peak_day: int
    baseline: Visit | None = None  # a visit of the previous episode, for boosters
    chain_baseline: Visit | None = None  # a booster's chain's first baseline (the rules' B)
    missed: list[Window] = field(default_factory=list)
    open_windows: list[Window] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)  # assessments.csv rows, once rendered


def response_visits(ep: Episode) -> list[Visit]:
    """The episode's visits from PHASE_START_DAY on, its baseline left out."""
    start = ep.treatment.treated_on + timedelta(days=PHASE_START_DAY)
    return [v for v in ep.visits if v.on >= start and v.phase != "baseline"]
