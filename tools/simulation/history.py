"""One simulated patient's follow-up: treatments, the forms they fill in and the confirmation
calls the rules ask for, in the order a clinic would see them.

- The first treatment falls on a day of the year from ``START`` (drawn per patient), one knee.
  A kind with a booster gets a second treatment of the same knee on ``booster_day`` with
  ``booster_of`` set; its episode starts that day and the first one ends.
- A baseline form on each treatment's day or up to 14 days before (never missed).
- The schedule is the product's (``schedule.timepoints_for``). Each patient misses each
  scheduled visit with a probability drawn once per patient between 10 % and 20 %; a visit that
  happens falls around its due day (normal, SD half the window) within the window. Before a
  booster, the pre-booster form stands in for a visit due in the last 14 days before it.
- After every form, each episode is asked for its open confirmation call
  (``flags.confirmation_call``, rule set 2026.2; the earlier rules have none). A new call is
  answered with probability 0.85, on its due day plus a small jitter within its window; the
  coordinator makes it only if it is still open that day (a visit may have served it, or the
  run may have ended). Every call made counts, answered or not. An answered call serves a
  scheduled visit whose window overlaps the call's (as the rules let it).
- Nothing happens after the horizon (the close of the last judged visit's window); no review
  decision is ever made.
- An answered confirmation call stands in for a scheduled visit only when its reading falls in
  that visit's window (a timepoint is done by a form in its window).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count

from followup.domain import flags
from followup.domain.records import EpisodeInput, ScoredAssessment, TreatmentRecord
from followup.domain.rules import RuleSet
from followup.domain.schedule import Timepoint, timepoints_for
from followup.store.episodes import episodes_of_knee

from .kinds import Kind
from .readings import Noise, Reading, scored, take_reading

START = date(2020, 1, 6)
KNEE = "left"
PRODUCT = "adsc_cultured"
KL_GRADE = 2
BASELINE_UP_TO_DAYS_BEFORE = 14
MISSED_VISITS = (0.10, 0.20)
CALL_ANSWERED = 0.85
# The last days before a treatment whose scheduled visit the pre-treatment form stands in for.
FORM_STANDS_IN_DAYS = 14

ConfirmationRule = Callable[[EpisodeInput, date, RuleSet], Timepoint | None]


def confirmation_rule() -> ConfirmationRule | None:
    """The rules' confirmation call, when the rule set has one (2026.2 on)."""
    return getattr(flags, "confirmation_call", None)


@dataclass
class ConfirmationCall:
    """A confirmation call the rules asked for: its window, the day the coordinator planned to
    call, whether the patient answers, and whether the call was made (still open that day)."""

    treatment_id: str
    due_on: date
    window_start: date
    window_end: date
    planned_on: date | None
    answered: bool
    made: bool = False


@dataclass
class History:
    """What happened to one simulated patient up to the horizon (``end``)."""

    patient_id: str
    kind: Kind
    treatments: list[TreatmentRecord]
    end: date
    missed_share: float
    readings: list[Reading] = field(default_factory=list)
    assessments: list[ScoredAssessment] = field(default_factory=list)
    calls: list[ConfirmationCall] = field(default_factory=list)

    @property
    def treated_on(self) -> date:
        """The first treatment's day (day 0 of the kind's course)."""
        return self.treatments[0].treated_on

    @property
    def calls_made(self) -> int:
        """Confirmation calls the coordinator made (answered or not)."""
        return sum(c.made for c in self.calls)

    @property
    def years(self) -> float:
        """Patient-years followed."""
        return (self.end - self.treated_on).days / 365.25

    def day(self, days: int) -> date:
        """The date ``days`` after the first treatment."""
        return self.treated_on + timedelta(days=days)

    def episodes(self, rules: RuleSet) -> list[EpisodeInput]:
        """The knee's episodes as the product builds them (``store.episodes.episodes_of_knee``)."""
        return episodes_of_knee(self.treatments, self.assessments, False, {}, rules)


def patient_id(kind: Kind, index: int) -> str:
    """``linear_wear_off-0007``: the kind is visible wherever the patient shows up."""
    return f"{kind.name}-{index:04d}"


def patient_random(seed: int, kind: Kind, index: int) -> random.Random:
    """Each patient's own random stream: a patient is the same whoever else is simulated."""
    return random.Random(f"{seed}/{kind.name}/{index}")


def treatments_of(kind: Kind, pid: str, first: date) -> list[TreatmentRecord]:
    """The first treatment and, for a kind with one, the maintenance booster."""
    first_t = TreatmentRecord(f"{pid}-T1", pid, KNEE, first, PRODUCT, kl_grade=KL_GRADE)
    if kind.booster_day is None:
        return [first_t]
    booster = TreatmentRecord(
        f"{pid}-T2",
        pid,
        KNEE,
        first + timedelta(days=kind.booster_day),
        PRODUCT,
        kl_grade=KL_GRADE,
        booster_of=first_t.id,
        banked_doses=1,
    )
    return [first_t, booster]


class FollowUp:
    """Plays one patient's follow-up day by day: forms as they come, calls as the rules ask."""

    def __init__(
        self,
        history: History,
        noise: Noise,
        rules: RuleSet,
        rng: random.Random,
        confirm: ConfirmationRule | None,
    ) -> None:
        self.h, self.noise, self.rules, self.rng, self.confirm = history, noise, rules, rng, confirm
        self._events: list[tuple[date, int, str, object]] = []
        self._order = count()
        self._days_with_form: set[date] = set()
        self._calls_seen: set[tuple[str, date]] = set()

    def _plan(self, on: date, what: str, detail: object) -> None:
        if on <= self.h.end:
            heapq.heappush(self._events, (on, next(self._order), what, detail))

    def plan_visits(self) -> None:
        """Baseline forms and the scheduled visits the patient will keep."""
        h, rng = self.h, self.rng
        for i, t in enumerate(h.treatments):
            nxt = h.treatments[i + 1].treated_on if i + 1 < len(h.treatments) else None
            before = rng.randint(0, BASELINE_UP_TO_DAYS_BEFORE)
            self._plan(t.treated_on - timedelta(days=before), "form", "baseline")
            for tp in timepoints_for(t.treated_on, nxt, self.rules):
                if nxt is not None and tp.due_on > nxt - timedelta(days=FORM_STANDS_IN_DAYS + 1):
                    continue
                if rng.random() < h.missed_share:
                    continue
                # Around the due day, SD half the window (as planned, before any cut).
                sd_days = max((tp.due_on - tp.window_start).days / 2, 1)
                on = tp.due_on + timedelta(days=round(rng.gauss(0.0, sd_days)))
                self._plan(min(max(on, tp.window_start), tp.window_end), "visit", tp)

    def run(self) -> History:
        """Process the planned forms and calls in date order."""
        while self._events:
            on, _, what, detail = heapq.heappop(self._events)
            if what == "form":
                self._form(on, str(detail))
            elif what == "visit":
                assert isinstance(detail, Timepoint)
                if not self._done(detail):
                    self._form(on, detail.label)
            else:
                assert isinstance(detail, ConfirmationCall)
                self._call(on, detail)
        return self.h

    def _done(self, tp: Timepoint) -> bool:
        """Whether a form already falls in the timepoint's window, or an answered confirmation
        call's window overlaps it (the rules let that call serve the timepoint)."""
        return any(tp.window_start <= r.on <= tp.window_end for r in self.h.readings) or any(
            c.made
            and c.answered
            and c.planned_on is not None
            and tp.window_start <= c.planned_on <= tp.window_end
            for c in self.h.calls
        )

    def _form(self, on: date, purpose: str) -> None:
        h = self.h
        if on in self._days_with_form:
            return  # one form a day: the visit was served by the other one
        self._days_with_form.add(on)
        reading = take_reading(h.kind, (on - h.treated_on).days, on, purpose, self.noise, self.rng)
        h.readings.append(reading)
        h.assessments.append(scored(reading, len(h.assessments) + 1))
        self._ask_for_calls(on)

    def _ask_for_calls(self, on: date) -> None:
        """Note each newly opened confirmation call and plan when the coordinator makes it."""
        if self.confirm is None:
            return
        for ep in self.h.episodes(self.rules):
            if ep.treatment.treated_on > on:
                continue
            tp = self.confirm(ep, on, self.rules)
            key = (ep.treatment.id, tp.window_start) if tp is not None else None
            if tp is None or key in self._calls_seen:
                continue
            self._calls_seen.add(key)
            answered = self.rng.random() < CALL_ANSWERED
            jitter = abs(round(self.rng.gauss(0.0, 2.0)))
            planned = max(tp.due_on + timedelta(days=jitter), on + timedelta(days=1))
            planned = min(planned, tp.window_end)
            call = ConfirmationCall(
                ep.treatment.id, tp.due_on, tp.window_start, tp.window_end, None, answered
            )
            self.h.calls.append(call)
            if planned > on and planned >= tp.window_start:
                call.planned_on = planned
                self._plan(planned, "call", call)

    def _call(self, on: date, call: ConfirmationCall) -> None:
        """Make the call if the rules still have it open today."""
        assert self.confirm is not None
        ep = next(e for e in self.h.episodes(self.rules) if e.treatment.id == call.treatment_id)
        tp = self.confirm(ep, on, self.rules)
        if tp is None or tp.window_start != call.window_start:
            return  # served by another form, or dropped
        call.made = True
        if call.answered:
            self._form(on, "confirm")


def simulate_patient(kind: Kind, index: int, seed: int, noise: Noise, rules: RuleSet) -> History:
    """One patient of ``kind`` (the ``index``-th), deterministic for ``seed``."""
    rng = patient_random(seed, kind, index)
    pid = patient_id(kind, index)
    first = START + timedelta(days=rng.randrange(365))
    history = History(
        pid,
        kind,
        treatments_of(kind, pid, first),
        first + timedelta(days=kind.horizon),
        rng.uniform(*MISSED_VISITS),
    )
    follow_up = FollowUp(history, noise, rules, rng, confirmation_rule())
    follow_up.plan_visits()
    return follow_up.run()
