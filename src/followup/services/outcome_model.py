"""The outcomes read model: plain dataclasses a report, the command line or a screen draws from,
with every figure also as JSON. Times are in months (an average month of 365.25 / 12 days);
curves are step points, each holding from its time to the next point's.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from followup.domain.outcomes.episodes import (
    LATEST_ASSESSMENT,
    LOST,
    NO_BASELINE,
    RESPONDER_MONTHS,
    RETREATED,
    RETREATED_EARLY,
    TOO_RECENT,
    WEARING_OFF,
    EpisodeOutcome,
)
from followup.domain.outcomes.logrank import LogRank
from followup.domain.outcomes.proportions import Proportion, wilson
from followup.domain.outcomes.survival import Median, SurvivalCurve, kaplan_meier

MONTH_DAYS = 365.25 / 12
SURVIVAL_MONTHS = (6, 12, 24, 36)
AT_RISK_EVERY_MONTHS = 3
LEFT_OUT_REASONS = (NO_BASELINE, TOO_RECENT, RETREATED_EARLY)
ENDINGS = (WEARING_OFF, RETREATED, LOST, LATEST_ASSESSMENT)
# A group with fewer counted knees than this gets a caution on its responder rates.
FEW_KNEES = 10


def months(days: float | None) -> float | None:
    """Days as months (None stays None)."""
    return None if days is None else days / MONTH_DAYS


@dataclass(frozen=True)
class ResponderRate:
    """Responders by ``months`` after treatment (None: by the analysis day), among the counted
    knees whose window had closed; ``not_judged``: counted knees whose window is still open."""

    months: int | None
    proportion: Proportion
    not_judged: int


@dataclass(frozen=True)
class SurvivalAt:
    """The share still holding at ``months`` with its confidence limits (None beyond the
    longest follow-up) and how many were still followed then."""

    months: int
    survival: float | None
    lower: float | None
    upper: float | None
    at_risk: int


@dataclass(frozen=True)
class CurvePoint:
    """One step of a curve: from ``months`` on, the share still holding and its band; who was at
    risk there and how many wore off or were censored at that time."""

    months: float
    survival: float
    lower: float | None
    upper: float | None
    at_risk: int
    events: int
    censored: int


@dataclass(frozen=True)
class RetreatmentSummary:
    """The counted knees treated again by the analysis day: how soon (months, among those
    re-treated) and how many banked doses those treatments drew."""

    retreated: int
    boosters: int
    median_months: float | None
    shortest_months: float | None
    longest_months: float | None
    doses_drawn: int
    drew_from_bank: int
    doses_not_recorded: int


@dataclass(frozen=True)
class GroupOutcome:
    """Everything reported for one group of episodes (or for all of them)."""

    key: str
    label: str
    episodes: int
    counted: int
    left_out: dict[str, int]
    responder_rates: tuple[ResponderRate, ...]  # by 3, 6, 12 months, then overall
    curve: SurvivalCurve  # in days, for the statistics
    durability_days: tuple[int, ...]
    durability_events: tuple[bool, ...]
    endings: dict[str, int]
    median: Median  # months
    survival_at: tuple[SurvivalAt, ...]
    at_risk: tuple[tuple[int, int], ...]  # (months, knees still followed)
    points: tuple[CurvePoint, ...]
    retreatment: RetreatmentSummary
    cautions: tuple[str, ...]

    @property
    def responders(self) -> int:
        """Confirmed responders: the knees the durability curve follows."""
        return self.curve.subjects

    @property
    def wear_offs(self) -> int:
        """Confirmed wear-offs: the curve's events."""
        return self.curve.events

    def as_json(self) -> dict[str, Any]:
        """Every figure of the group."""
        m = self.median
        return {
            "key": self.key,
            "label": self.label,
            "episodes": self.episodes,
            "counted": self.counted,
            "left_out": self.left_out,
            "responder_rates": [
                {
                    "by_months": r.months,
                    "responders": r.proportion.count,
                    "knees": r.proportion.total,
                    "rate": r.proportion.share,
                    "ci_lower": r.proportion.lower,
                    "ci_upper": r.proportion.upper,
                    "not_judged_yet": r.not_judged,
                }
                for r in self.responder_rates
            ],
            "durability": {
                "responders": self.responders,
                "wear_offs": self.wear_offs,
                "endings": self.endings,
                "median_months": m.estimate,
                "median_ci_lower_months": m.lower,
                "median_ci_upper_months": m.upper,
                "survival_at": [
                    {
                        "months": s.months,
                        "survival": s.survival,
                        "ci_lower": s.lower,
                        "ci_upper": s.upper,
                        "at_risk": s.at_risk,
                    }
                    for s in self.survival_at
                ],
                "at_risk": [{"months": t, "knees": n} for t, n in self.at_risk],
                "curve": [
                    {
                        "months": p.months,
                        "survival": p.survival,
                        "ci_lower": p.lower,
                        "ci_upper": p.upper,
                        "at_risk": p.at_risk,
                        "wear_offs": p.events,
                        "censored": p.censored,
                    }
                    for p in self.points
                ],
            },
            "retreatment": vars(self.retreatment),
            "cautions": list(self.cautions),
        }


@dataclass(frozen=True)
class OutcomesReport:
    """The whole analysis as of a day: all counted knees, the groups, and the test between them."""

    as_of: date
    generated_at: datetime
    rule_set_version: str
    by: str | None
    only: dict[str, tuple[str, ...]]
    responder_months: tuple[int, ...]
    overall: GroupOutcome
    groups: tuple[GroupOutcome, ...]
    log_rank: LogRank | None
    log_rank_note: str | None
    response_means: str
    wearing_off_means: str
    baseline_lookback_days: int

    def as_json(self) -> dict[str, Any]:
        """Every figure of the report."""
        test = self.log_rank
        return {
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "rule_set": self.rule_set_version,
            "by": self.by,
            "only": {k: list(v) for k, v in self.only.items()},
            "confidence": 0.95,
            "definitions": {
                "confirmed_response": self.response_means,
                "confirmed_wearing_off": self.wearing_off_means,
                "baseline_lookback_days": self.baseline_lookback_days,
                "minimum_follow_up": "the 3-month visit window closed",
                "ci_survival": "Greenwood variance, log-log transform",
                "ci_median": "Brookmeyer-Crowley, log-log transform",
                "ci_rate": "Wilson score",
                "month_days": MONTH_DAYS,
            },
            "overall": self.overall.as_json(),
            "groups": [g.as_json() for g in self.groups],
            "log_rank": None
            if test is None
            else {
                "chi_square": test.chi_square,
                "df": test.df,
                "p_value": test.p_value,
                "groups": [
                    {"key": g.key, "observed": o, "expected": e}
                    for g, o, e in zip(
                        [g for g in self.groups if g.curve.subjects],
                        test.observed,
                        test.expected,
                        strict=True,
                    )
                ],
            },
            "log_rank_note": self.log_rank_note,
        }


def group_outcome(
    key: str, label: str, outcomes: Sequence[EpisodeOutcome], few_events: int
) -> GroupOutcome:
    """The figures of one group of episode outcomes."""
    counted = [o for o in outcomes if o.counted]
    left_out = Counter(o.left_out for o in outcomes if not o.counted)
    rates = []
    for by in (*RESPONDER_MONTHS, None):
        if by is None:
            judged = [o.responded_on is not None for o in counted]
        else:
            judged = [s for o in counted if (s := o.responder_by[by]) is not None]
        rates.append(
            ResponderRate(by, wilson(sum(judged), len(judged)), len(counted) - len(judged))
        )
    lasting = [o.durability for o in counted if o.durability is not None]
    days = tuple(d.days for d in lasting)
    events = tuple(d.event for d in lasting)
    curve = kaplan_meier(days, events)
    med = curve.median()
    last = curve.last_time or 0
    at_risk = tuple(
        (m, curve.at_risk(m * MONTH_DAYS))
        for m in range(0, int(last / MONTH_DAYS) + 1, AT_RISK_EVERY_MONTHS)
    )
    survival_at = []
    for m in SURVIVAL_MONTHS:
        found = curve.at(m * MONTH_DAYS)
        s, lo, hi = found if found is not None else (None, None, None)
        survival_at.append(SurvivalAt(m, s, lo, hi, curve.at_risk(m * MONTH_DAYS)))
    return GroupOutcome(
        key=key,
        label=label,
        episodes=len(outcomes),
        counted=len(counted),
        left_out={r: left_out.get(r, 0) for r in LEFT_OUT_REASONS},
        responder_rates=tuple(rates),
        curve=curve,
        durability_days=days,
        durability_events=events,
        endings={e: sum(d.reason == e for d in lasting) for e in ENDINGS},
        median=Median(months(med.estimate), months(med.lower), months(med.upper)),
        survival_at=tuple(survival_at),
        at_risk=at_risk,
        points=_points(curve),
        retreatment=_retreatment(counted),
        cautions=_cautions(len(counted), curve, few_events),
    )


def _points(curve: SurvivalCurve) -> tuple[CurvePoint, ...]:
    start = CurvePoint(0.0, 1.0, 1.0, 1.0, curve.subjects, 0, 0)
    return (start,) + tuple(
        CurvePoint(
            s.time / MONTH_DAYS, s.survival, s.lower, s.upper, s.at_risk, s.events, s.censored
        )
        for s in curve.steps
    )


def _retreatment(counted: Sequence[EpisodeOutcome]) -> RetreatmentSummary:
    again = [o.retreatment for o in counted if o.retreatment is not None]
    gaps = [r.days / MONTH_DAYS for r in again]
    drawn = [r.banked_doses_drawn for r in again if r.banked_doses_drawn is not None]
    return RetreatmentSummary(
        retreated=len(again),
        boosters=sum(r.booster for r in again),
        median_months=statistics.median(gaps) if gaps else None,
        shortest_months=min(gaps, default=None),
        longest_months=max(gaps, default=None),
        doses_drawn=sum(drawn),
        drew_from_bank=sum(1 for d in drawn if d > 0),
        doses_not_recorded=len(again) - len(drawn),
    )


def _cautions(counted: int, curve: SurvivalCurve, few_events: int) -> tuple[str, ...]:
    """Plain-language warnings against over-reading a small group."""
    found = []
    if counted == 0:
        found.append("No knee in this group can be counted yet.")
    elif counted < FEW_KNEES:
        found.append(
            f"Only {counted} knee{'s' if counted != 1 else ''} counted: the responder rates are "
            "rough; their intervals show how rough."
        )
    if counted and not curve.subjects:
        found.append("No confirmed responders, so no durability curve.")
    elif curve.subjects and not curve.events:
        found.append(
            f"No confirmed wear-off yet among {curve.subjects} responder"
            f"{'s' if curve.subjects != 1 else ''}: the curve cannot fall and no median can be "
            "given; it says only that relief has held so far."
        )
    elif curve.subjects and curve.events < few_events:
        found.append(
            f"Only {curve.events} confirmed wear-off{'s' if curve.events != 1 else ''} among "
            f"{curve.subjects} responder{'s' if curve.subjects != 1 else ''}: the curve and its "
            "median are rough; read the band, not the line."
        )
    return tuple(found)
