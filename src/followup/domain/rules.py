"""The versioned rule set: every flag threshold and the follow-up schedule (DESIGN.md 2.2, 2.3).

The defaults live in ``rules.toml`` beside this module: a ``version`` string, one table per rule
family (``[baseline]``, ``[signal]``, ``[durability]``, ...) holding its thresholds, and an array
of ``[[schedule]]`` tables, one per follow-up timepoint. A clinic overrides any of it with its own
TOML file: tables are merged key by key over the defaults, an array (the schedule) replaces the
default one whole.

Thresholds are configuration, not code, and the rule set's ``version`` is recorded in every flag,
so a reviewer can tell which rules raised it. Reading and merging the files is ``rule_file.py``.
Every table below is a pydantic model that states each key's type and range once: an unknown key,
a value of the wrong type (``true`` or ``14.5`` for a number of days) or out of range is an error
naming the file and the key, so a typo cannot silently leave a default in force.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property
from typing import Annotated, Literal, NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)

# A month is at least 28 days: used to check that a window never opens before the treatment.
_SHORTEST_MONTH_DAYS = 28

Days = Annotated[int, Field(ge=0, le=36500)]  # whole days, up to a century
Points = Annotated[float, Field(gt=0, le=100)]  # on the 0-100 score scale
Fraction = Annotated[float, Field(gt=0, le=1)]  # a share: more than none, at most all
Months = Annotated[float, Field(gt=0, le=1200)]  # of expected relief, up to a century
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KLGrade = Literal["0", "1", "2", "3", "4"]  # Kellgren-Lawrence grade, as a TOML key


class _Rules(BaseModel):
    """One table of the rule file: unknown keys are errors, values are taken as written (no
    ``true`` for a number, no 14.5 for a whole number; an integer is fine for a fraction), and
    a loaded rule set never changes under the flags it raised."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BaselineRules(_Rules):
    """Baseline = the latest valid assessment from ``lookback_days`` before the treatment up to
    and including the treatment day."""

    lookback_days: Days

    @cached_property
    def lookback(self) -> timedelta:
        """``lookback_days`` as a timedelta."""
        return timedelta(days=self.lookback_days)


class ResponseRules(_Rules):
    """The response phase starts ``phase_start_day`` days after the treatment (time to effect)."""

    phase_start_day: Days

    @cached_property
    def phase_start(self) -> timedelta:
        """``phase_start_day`` as a timedelta."""
        return timedelta(days=self.phase_start_day)


class ResponderRules(_Rules):
    """OMERACT-OARSI (Pham 2004): a high improvement in pain or function, or a moderate one in
    ``moderate_needed`` of pain, function and patient global; *confirmed* when met at
    ``confirm_readings`` assessments (one lucky reading made a fifth of simulated
    non-responders "responders")."""

    high_fraction: Fraction
    high_points: Points
    moderate_fraction: Fraction
    moderate_points: Points
    moderate_needed: Annotated[int, Field(ge=1, le=3)]
    confirm_readings: Annotated[int, Field(ge=1, le=10)]


class BestLevelRules(_Rules):
    """A domain's best level: the mean of its ``readings`` lowest values in the response phase
    (the single minimum of noisy readings is biased low, so regression to the mean looked like
    wearing off)."""

    readings: Annotated[int, Field(ge=1, le=10)]


class RespondingRules(_Rules):
    """A domain responded when its improvement from baseline is at least ``min_points`` and at
    least ``min_fraction`` of baseline (Tubach 2005 MCII plus an allowance for the best level's
    bias); only a responding domain can signal or trend."""

    min_points: Points
    min_fraction: Fraction


class SignalRules(_Rules):
    """A signal: at least ``detectable_change_points`` above the best level (the individual
    minimal detectable change), and either ``fraction_lost`` of the improvement lost or back to
    ``baseline_fraction`` of baseline (Maricar 2020)."""

    detectable_change_points: Points
    fraction_lost: Fraction
    baseline_fraction: Fraction


class WearingOffRules(_Rules):
    """Wearing off: an unbroken run of signals spanning at least ``min_run_days``."""

    min_run_days: Days


class ConfirmationRules(_Rules):
    """A first signal asks for a confirmation call from ``opens_after_days`` to
    ``closes_after_days`` after the run's start (a second reading soon, instead of at the next
    scheduled visit months later)."""

    opens_after_days: Days
    closes_after_days: Days

    @model_validator(mode="after")
    def _closes_after_it_opens(self) -> ConfirmationRules:
        if self.closes_after_days < self.opens_after_days:
            raise ValueError("closes_after_days must not be before opens_after_days")
        return self


class PossibleWearingOffRules(_Rules):
    """Possible wearing off: a Theil-Sen trend over at least ``min_points_after_best``
    assessments after the best level was set, worse than ``slope_points`` per ``slope_days``;
    or stiffness ``stiffness_rise_points`` above its own best level at its latest
    ``stiffness_readings`` readings while pain and function hold."""

    min_points_after_best: Annotated[int, Field(ge=2, le=1000)]
    slope_points: Points
    slope_days: Annotated[int, Field(ge=1, le=36500)]
    stiffness_rise_points: Points
    stiffness_readings: Annotated[int, Field(ge=1, le=10)]

    @cached_property
    def slope_per_day(self) -> float:
        """The trend threshold in points per day."""
        return self.slope_points / self.slope_days


class NoResponseRules(_Rules):
    """No response: judged from day ``after_days`` once the visit from day ``visit_from_day`` is
    in, or from day ``late_after_days`` with any assessment from day ``late_visit_from_day``."""

    after_days: Days
    visit_from_day: Days
    late_after_days: Days
    late_visit_from_day: Days


class BoosterWindowRules(_Rules):
    """The booster window opens ``lead_days`` before the expected relief runs out."""

    lead_days: Days


def _by_grade(table: dict[str, float]) -> dict[str, float]:
    """In grade order whatever the file's order, so equal tables print alike."""
    return dict(sorted(table.items()))


class DurabilityRules(_Rules):
    """Expected months of relief: by Kellgren-Lawrence grade, for an unknown grade, for the
    intravenous route (whatever the grade); a smoker's relief lasts ``smoker_factor`` of that."""

    months_by_kl_grade: Annotated[
        dict[KLGrade, Annotated[float, Field(gt=0)]], AfterValidator(_by_grade)
    ]
    unknown_kl_months: Months
    iv_months: Months
    smoker_factor: Fraction

    def __hash__(self) -> int:
        table = frozenset(self.months_by_kl_grade.items())  # a dict is not hashable itself
        return hash((table, self.unknown_kl_months, self.iv_months, self.smoker_factor))

    def months_for_grade(self, kl_grade: int | None) -> float | None:
        """Months for a known grade, None when the grade is unknown or not in the table."""
        return None if kl_grade is None else self.months_by_kl_grade.get(str(kl_grade))


class SafetyRules(_Rules):
    """A flare: pain ``flare_points`` worse than baseline within ``flare_within_days``."""

    flare_points: Points
    flare_within_days: Days

    @cached_property
    def flare_within(self) -> timedelta:
        """``flare_within_days`` as a timedelta."""
        return timedelta(days=self.flare_within_days)


class DecisionRules(_Rules):
    """A ``booster_scheduled`` decision keeps its flag closed for ``booster_scheduled_days``
    (unless the clinician states another day), then the knee is looked at again."""

    booster_scheduled_days: Days


class TimepointRule(NamedTuple):
    """One scheduled follow-up: due ``months`` + ``days`` after treatment, +/- ``window_days``.
    A plain tuple, so a schedule is a cheap key for the plans computed from it."""

    label: str
    months: int
    days: int
    window_days: int

    def due_on(self, treated_on: date) -> date:
        """Month arithmetic clips to the month's end (31 Jan + 1 month = 28/29 Feb)."""
        return treated_on + relativedelta(months=self.months) + timedelta(days=self.days)


class ScheduleStep(_Rules):
    """One ``[[schedule]]`` table: a follow-up due ``weeks``, ``months`` or ``days`` (exactly one)
    after the treatment, with a window of +/- ``window_days`` around the due date."""

    label: Text
    weeks: Annotated[int, Field(ge=1, le=1200)] | None = None
    months: Annotated[int, Field(ge=1, le=1200)] | None = None
    days: Annotated[int, Field(ge=1, le=36500)] | None = None
    window_days: Annotated[int, Field(ge=0, le=3650)]

    @model_validator(mode="after")
    def _one_offset_and_window_after_treatment(self) -> ScheduleStep:
        if [self.weeks, self.months, self.days].count(None) != 2:
            raise ValueError(f"{self.label!r} needs exactly one of weeks, months, days")
        rule = self.rule
        # A follow-up window opening on the treatment day or earlier would count the
        # pre-treatment (baseline) visit as a follow-up.
        if rule.window_days >= rule.days + rule.months * _SHORTEST_MONTH_DAYS:
            raise ValueError(
                f"window_days {self.window_days} would open the window of {self.label!r} "
                "on or before the treatment day"
            )
        return self

    @property
    def rule(self) -> TimepointRule:
        """The step as months and days after the treatment."""
        days = (self.weeks or 0) * 7 + (self.days or 0)
        return TimepointRule(self.label, self.months or 0, days, self.window_days)


class Schedule(RootModel[tuple[ScheduleStep, ...]]):
    """The follow-up timepoints in due order, as the ``[[schedule]]`` array lists them."""

    model_config = ConfigDict(frozen=True, strict=True)

    # Not strict here only: a TOML array arrives as a list. Each step's table stays strict.
    root: Annotated[tuple[ScheduleStep, ...], Field(min_length=1, strict=False)]

    @model_validator(mode="after")
    def _labels_unique_and_in_due_order(self) -> Schedule:
        reference = date(2001, 1, 31)  # a month end, so uneven month arithmetic shows up
        seen: set[str] = set()
        previous: date | None = None
        for tp in self.timepoints:
            if tp.label in seen:
                raise ValueError(f"label {tp.label!r} appears twice")
            seen.add(tp.label)
            due = tp.due_on(reference)
            if previous is not None and due <= previous:
                raise ValueError(f"{tp.label!r} must come after the one before it")
            previous = due
        return self

    @cached_property
    def timepoints(self) -> tuple[TimepointRule, ...]:
        """The steps as TimepointRules, in due order."""
        return tuple(step.rule for step in self.root)


class RuleSet(_Rules):
    """Every threshold of DESIGN.md 2.3 plus the schedule, under one version string."""

    version: Text
    baseline: BaselineRules
    response: ResponseRules
    responder: ResponderRules
    best_level: BestLevelRules
    responding: RespondingRules
    signal: SignalRules
    wearing_off: WearingOffRules
    confirmation: ConfirmationRules
    possible_wearing_off: PossibleWearingOffRules
    no_response: NoResponseRules
    booster_window: BoosterWindowRules
    durability: DurabilityRules
    safety: SafetyRules
    decisions: DecisionRules
    schedule: Schedule
