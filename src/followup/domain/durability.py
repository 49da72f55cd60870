"""How long a treatment's relief is expected to last, which opens the booster window (DESIGN 2.3).

By Kellgren-Lawrence grade (milder knees hold longer), 12 months for an intravenous treatment
whatever the grade (the cells do not stay in the joint), and halved for smokers, whose results
fade in about half the time. The smoker factor applies to the intravenous figure too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from dateutil.relativedelta import relativedelta

from followup.domain.rules import DurabilityRules, RuleSet

# The average month, for the fraction of a month left when durability is halved (9 / 2 = 4.5).
AVERAGE_MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class ExpectedDurability:
    """Expected months of relief and, in words, what they were based on."""

    months: float
    basis: str
    smoker_factor: float | None

    def ends_on(self, treated_on: date) -> date:
        """The day the expected relief runs out for a knee treated on ``treated_on``."""
        return durability_ends_on(treated_on, self.months)


def expected_durability(
    kl_grade: int | None, route: str, smoker: bool, rules: RuleSet
) -> ExpectedDurability:
    """The expected durability; a grade missing from the rule table counts as unknown."""
    return expected_durability_from(kl_grade, route, smoker, rules.durability)


def expected_durability_from(
    kl_grade: int | None, route: str, smoker: bool, table: DurabilityRules
) -> ExpectedDurability:
    """``expected_durability`` given only the durability table of a rule set."""
    if route == "iv":
        months, basis = table.iv_months, "intravenous route"
    else:
        by_grade = table.months_for_grade(kl_grade)
        if by_grade is None:
            months, basis = table.unknown_kl_months, "KL grade unknown"
        else:
            months, basis = by_grade, f"KL grade {kl_grade}"
    if smoker:
        return ExpectedDurability(months * table.smoker_factor, basis, table.smoker_factor)
    return ExpectedDurability(months, basis, None)


def expected_durability_months(
    kl_grade: int | None, route: str, smoker: bool, rules: RuleSet
) -> float:
    """Expected months of relief (may be fractional: a smoker's 9 months is 4.5)."""
    return expected_durability(kl_grade, route, smoker, rules).months


@cache
def durability_ends_on(treated_on: date, months: float) -> date:
    """treated_on + months: whole months by calendar (clipped to month ends), any
    fraction as that share of an average month, rounded to the nearest day (4.5 = 4 months + 15 d).
    Kept: a clinic has a few thousand treatment dates and a handful of durabilities.
    """
    whole = math.floor(months)
    extra_days = round((months - whole) * AVERAGE_MONTH_DAYS)
    return treated_on + relativedelta(months=whole) + timedelta(days=extra_days)
