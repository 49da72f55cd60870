"""Follow-up visits of one treatment: when each scheduled assessment is taken, which windows are
missed, and which are still open at the anchor date.

Visits fall near the due date, a little late more often than early, and are taken by phone,
self-report, in clinic or on paper. A lapsed patient stops answering from a given window on; a
due-this-week knee leaves one window open; an archetype whose story ends at a given visit has it
*pinned* to a day and nothing scheduled after it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .archetypes import FULL_COMPLIANCE
from .draws import pick
from .schedule import Window, schedule_windows
from .visits import Visit


class FollowUpPlanner:
    """Plans one patient's follow-up visits, with the patient's own random sequence."""

    def __init__(
        self, rng: random.Random, anchor: date, archetype: str, self_report_rate: float
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.arch = archetype
        self.self_report_rate = self_report_rate

    def source(self) -> str:
        """How a scheduled assessment is taken: app users self-report more, phone is usual."""
        r = self.rng.random()
        if r < self.self_report_rate:
            return "self_report"
        return "phone" if r < 0.93 else pick(self.rng, ("clinic", "paper"))

    def jittered(self, w: Window) -> date:
        """A date near the due date, inside the window, a little late more often than early."""
        width = (w.end - w.due).days
        offset = round(self.rng.triangular(-0.8 * width, 0.9 * width, 0))
        return w.due + timedelta(days=offset)

    def visits(
        self,
        treated: date,
        next_treated: date | None,
        lapse: int = 0,
        forced_open: str = "",
        pinned: tuple[str, date] | None = None,
    ) -> tuple[list[Visit], list[Window], list[Window]]:
        """Follow-up visits near the schedule, plus missed and still-open windows.

        ``lapse``: the latest closed windows missed; ``forced_open``: a window left open at the
        anchor; ``pinned``: (timepoint, day) of the latest visit, nothing scheduled after it.
        """
        until = self.anchor if next_treated is None else min(self.anchor, next_treated)
        windows = [w for w in schedule_windows(treated, until) if w.due < until or not next_treated]
        closed = [i for i, w in enumerate(windows) if w.end < self.anchor]
        protected = set(closed[-2:])
        first_missed = closed[-lapse] if lapse and len(closed) >= lapse else None
        after_pin = False
        visits, missed, still_open = [], [], []
        for i, w in enumerate(windows):
            skip_rate = 0.0 if self.arch in FULL_COMPLIANCE or i in protected else 0.04
            lapsed = first_missed is not None and i >= first_missed
            on = self.jittered(w)
            if pinned is not None and w.label == pinned[0]:
                on, after_pin = pinned[1], True
            elif after_pin:
                on = self.anchor + timedelta(days=1)  # planned so that none is due yet
            if next_treated is not None and on >= next_treated:
                on = next_treated - timedelta(days=1)
            if lapsed or w.label == forced_open or on > self.anchor:
                (missed if w.end < self.anchor else still_open).append(w)
                continue
            if self.rng.random() < skip_rate:
                missed.append(w)
                continue
            visits.append(Visit(on, self.source()))
        return visits, missed, still_open

    def baseline_visit(self, treated: date) -> Visit:
        """The pre-treatment assessment, up to 30 days before the injection."""
        on = treated - timedelta(days=self.rng.randint(0, 30))
        return Visit(on, "clinic" if self.rng.random() < 0.6 else "phone", phase="baseline")
