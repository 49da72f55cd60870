"""The versioned rule set: every flag threshold and the follow-up schedule (DESIGN.md 2.2, 2.3).

The defaults live in ``rules.toml`` beside this module; a clinic overrides them with its own TOML
file. Thresholds are configuration, not code, and the rule set's ``version`` is recorded in every
flag so a reviewer can tell which rules raised it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta

DEFAULT_RULES_FILE = "rules.toml"
# A month is at least 28 days: used to check that a window never opens before the treatment.
_SHORTEST_MONTH_DAYS = 28


class RulesError(ValueError):
    """A rule file is unreadable or holds a wrong key, type or value (the message names both)."""


# Day counts are also offered as timedeltas (computed once: the rules run per episode, and a
# timedelta costs more to build than to look up).


@dataclass(frozen=True)
class BaselineRules:
    lookback_days: int

    @cached_property
    def lookback(self) -> timedelta:
        return timedelta(days=self.lookback_days)


@dataclass(frozen=True)
class ResponseRules:
    phase_start_day: int

    @cached_property
    def phase_start(self) -> timedelta:
        return timedelta(days=self.phase_start_day)


@dataclass(frozen=True)
class ResponderRules:
    """OMERACT-OARSI (Pham 2004): a high improvement in pain or function, or a moderate one in
    ``moderate_needed`` of pain, function and patient global."""

    high_fraction: float
    high_points: float
    moderate_fraction: float
    moderate_points: float
    moderate_needed: int


@dataclass(frozen=True)
class SignalRules:
    min_rise_points: float
    fraction_lost: float
    baseline_fraction: float


@dataclass(frozen=True)
class WearingOffRules:
    min_run_days: int


@dataclass(frozen=True)
class PossibleWearingOffRules:
    min_points_after_best: int
    slope_points: float
    slope_days: int
    stiffness_rise_points: float

    @cached_property
    def slope_per_day(self) -> float:
        return self.slope_points / self.slope_days


@dataclass(frozen=True)
class NoResponseRules:
    after_days: int
    assessment_from_day: int

    @cached_property
    def after(self) -> timedelta:
        return timedelta(days=self.after_days)

    @cached_property
    def assessment_from(self) -> timedelta:
        return timedelta(days=self.assessment_from_day)


@dataclass(frozen=True)
class BoosterWindowRules:
    lead_days: int


@dataclass(frozen=True)
class DurabilityRules:
    """Expected months of relief; ``months_by_kl_grade`` maps grade (1-4) to months. Hashed once:
    it keys the booster-date cache."""

    months_by_kl_grade: tuple[tuple[int, float], ...]
    unknown_kl_months: float
    iv_months: float
    smoker_factor: float
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (self.months_by_kl_grade, self.unknown_kl_months, self.iv_months, self.smoker_factor)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    def months_for_grade(self, kl_grade: int | None) -> float | None:
        """Months for a known grade, None when the grade is unknown or not in the table."""
        for grade, months in self.months_by_kl_grade:
            if grade == kl_grade:
                return months
        return None


@dataclass(frozen=True)
class SafetyRules:
    flare_points: float
    flare_within_days: int

    @cached_property
    def flare_within(self) -> timedelta:
        return timedelta(days=self.flare_within_days)


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


@dataclass(frozen=True)
class Schedule:
    """The follow-up timepoints in due order. Hashed once: it keys the schedule's date cache."""

    timepoints: tuple[TimepointRule, ...]
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self.timepoints))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True)
class RuleSet:
    """Every threshold of DESIGN.md 2.3 plus the schedule, under one version string. Hashed
    once."""

    version: str
    baseline: BaselineRules
    response: ResponseRules
    responder: ResponderRules
    signal: SignalRules
    wearing_off: WearingOffRules
    possible_wearing_off: PossibleWearingOffRules
    no_response: NoResponseRules
    booster_window: BoosterWindowRules
    durability: DurabilityRules
    safety: SafetyRules
    schedule: Schedule
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Hashed once: it keys per-treatment caches of the rules, called once per episode.
        fields = (self.version, self.baseline, self.response, self.responder, self.signal,
                  self.wearing_off, self.possible_wearing_off, self.no_response,
                  self.booster_window, self.durability, self.safety, self.schedule)  # fmt: skip
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        return self._hash


# --- validation -----------------------------------------------------------------------------------

Check = Callable[[Any, str], Any]


def _whole(low: int, high: int | None = None) -> Check:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RulesError(f"{where}: must be a whole number, got {value!r}")
        if value < low or (high is not None and value > high):
            span = f"{low}-{high}" if high is not None else f">= {low}"
            raise RulesError(f"{where}: must be {span}, got {value}")
        return value

    return check


def _number(low: float, high: float | None = None, *, low_open: bool = False) -> Check:
    def check(value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RulesError(f"{where}: must be a number, got {value!r}")
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            lower = f"> {low}" if low_open else f">= {low}"
            span = f"{lower} and <= {high}" if high is not None else lower
            raise RulesError(f"{where}: must be {span}, got {value}")
        return float(value)

    return check


def _grade_table(value: Any, where: str) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, dict):
        raise RulesError(f"{where}: must be a table of grade = months")
    table = []
    for grade, months in value.items():
        if grade not in {"0", "1", "2", "3", "4"}:
            raise RulesError(f"{where}.{grade}: grade must be 0-4")
        table.append((int(grade), _number(0, low_open=True)(months, f"{where}.{grade}")))
    return tuple(sorted(table))


_DAYS = _whole(0, 36500)
_POINTS = _number(0, 100, low_open=True)
_FRACTION = _number(0, 1, low_open=True)
_MONTHS = _number(0, 1200, low_open=True)

# section -> key -> check; the dataclass each section becomes.
_SECTIONS: dict[str, tuple[type, dict[str, Check]]] = {
    "baseline": (BaselineRules, {"lookback_days": _DAYS}),
    "response": (ResponseRules, {"phase_start_day": _DAYS}),
    "responder": (
        ResponderRules,
        {
            "high_fraction": _FRACTION,
            "high_points": _POINTS,
            "moderate_fraction": _FRACTION,
            "moderate_points": _POINTS,
            "moderate_needed": _whole(1, 3),
        },
    ),
    "signal": (
        SignalRules,
        {"min_rise_points": _POINTS, "fraction_lost": _FRACTION, "baseline_fraction": _FRACTION},
    ),
    "wearing_off": (WearingOffRules, {"min_run_days": _DAYS}),
    "possible_wearing_off": (
        PossibleWearingOffRules,
        {
            "min_points_after_best": _whole(2, 1000),
            "slope_points": _POINTS,
            "slope_days": _whole(1, 36500),
            "stiffness_rise_points": _POINTS,
        },
    ),
    "no_response": (NoResponseRules, {"after_days": _DAYS, "assessment_from_day": _DAYS}),
    "booster_window": (BoosterWindowRules, {"lead_days": _DAYS}),
    "durability": (
        DurabilityRules,
        {
            "months_by_kl_grade": _grade_table,
            "unknown_kl_months": _MONTHS,
            "iv_months": _MONTHS,
            "smoker_factor": _FRACTION,
        },
    ),
    "safety": (SafetyRules, {"flare_points": _POINTS, "flare_within_days": _DAYS}),
}


def _build_section(name: str, raw: Any, source: str) -> Any:
    cls, checks = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise RulesError(f"{source}: {name}: must be a table")
    unknown = sorted(set(raw) - set(checks))
    if unknown:
        raise RulesError(f"{source}: {name}.{unknown[0]}: unknown key")
    values = {}
    for key, check in checks.items():
        if key not in raw:
            raise RulesError(f"{source}: {name}.{key}: missing")
        values[key] = check(raw[key], f"{source}: {name}.{key}")
    return cls(**values)


def _build_timepoint(raw: Any, where: str) -> TimepointRule:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table")
    unknown = sorted(set(raw) - {"label", "weeks", "months", "days", "window_days"})
    if unknown:
        raise RulesError(f"{where}.{unknown[0]}: unknown key")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise RulesError(f"{where}.label: must be a non-empty string")
    offsets = [k for k in ("weeks", "months", "days") if k in raw]
    if len(offsets) != 1:
        raise RulesError(f"{where} ({label}): needs exactly one of weeks, months, days")
    unit = offsets[0]
    amount = _whole(1, 1200 if unit != "days" else 36500)(raw[unit], f"{where}.{unit}")
    if "window_days" not in raw:
        raise RulesError(f"{where}.window_days: missing")
    window = _whole(0, 3650)(raw["window_days"], f"{where}.window_days")
    months = amount if unit == "months" else 0
    days = {"weeks": amount * 7, "days": amount}.get(unit, 0)
    if window >= days + months * _SHORTEST_MONTH_DAYS:
        raise RulesError(f"{where}.window_days: the window of {label} would open before treatment")
    return TimepointRule(label=label, months=months, days=days, window_days=window)


def _build_schedule(raw: Any, source: str) -> Schedule:
    if not isinstance(raw, list) or not raw:
        raise RulesError(f"{source}: schedule: must be a non-empty array of tables")
    timepoints = tuple(_build_timepoint(tp, f"{source}: schedule[{i}]") for i, tp in enumerate(raw))
    seen: set[str] = set()
    reference = date(2001, 1, 31)  # a month end, so uneven month arithmetic shows up
    previous: date | None = None
    for tp in timepoints:
        if tp.label in seen:
            raise RulesError(f"{source}: schedule: label {tp.label!r} appears twice")
        seen.add(tp.label)
        due = tp.due_on(reference)
        if previous is not None and due <= previous:
            raise RulesError(f"{source}: schedule: {tp.label} must come after the one before it")
        previous = due
    return Schedule(timepoints)


def build_rules(data: dict[str, Any], source: str) -> RuleSet:
    """Validate a complete parsed rule file and build the RuleSet; errors name ``source``."""
    unknown = sorted(set(data) - set(_SECTIONS) - {"version", "schedule"})
    if unknown:
        raise RulesError(f"{source}: {unknown[0]}: unknown key")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RulesError(f"{source}: version: must be a non-empty string")
    sections = {name: _build_section(name, data.get(name), source) for name in _SECTIONS}
    return RuleSet(
        version=version.strip(),
        schedule=_build_schedule(data.get("schedule"), source),
        **sections,
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else in the override (arrays too) replaces the default."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _default_data() -> dict[str, Any]:
    text = resources.files("followup.domain").joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
    return tomllib.loads(text)


@cache
def default_rules() -> RuleSet:
    """The packaged default rule set (read once)."""
    return build_rules(_default_data(), DEFAULT_RULES_FILE)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """A clinic's rule file merged over the defaults; without a path, the defaults.

    The override must set its own ``version`` (different from the default's): flags record the
    version, and two different rule sets under one name would make that record meaningless.
    Unknown keys are errors, so a typo cannot silently leave a default in force.
    """
    if path is None:
        return default_rules()
    source = str(path)
    try:
        with open(path, "rb") as fh:
            override = tomllib.load(fh)
    except OSError as exc:
        raise RulesError(f"{source}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from None
    if "version" not in override:
        raise RulesError(f"{source}: version: a clinic's rule file must name its own version")
    rules = build_rules(_merge(_default_data(), override), source)
    if rules.version == default_rules().version:
        raise RulesError(f"{source}: version: must differ from the default {rules.version!r}")
    return rules
