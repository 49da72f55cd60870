"""The index treatment: which product, route and grade, and how long before the anchor date.

The index knee's latest treatment carries the patient's archetype, so its age at the anchor date
must let the archetype show: a wearing-off knee needs time to respond and fade, a knee that is
not meant to be due a booster must be treated less long ago than its booster window opens
(earlier for high KL grades, smokers and IV treatments), and a due-this-week knee needs a
timepoint falling due in the coming week.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .archetypes import AGE_RANGES
from .draws import weighted
from .schedule import BOOSTER_MARGIN_DAYS, SCHEDULE, booster_window_day
from .treatments import IV_PRODUCTS, KL_WEIGHTS, NON_RESPONDER_PRODUCT_WEIGHTS, PRODUCT_WEIGHTS


@dataclass(frozen=True)
class IndexPlan:
    """What the index knee is treated with, and how many days before the anchor date."""

    product: str
    route: str
    kl_grade: int | None
    age: int
    forced_open: str = ""  # due_this_week: the timepoint left open at the anchor


def draw_kl_grade(rng: random.Random) -> int | None:
    """A Kellgren-Lawrence grade as seen in the clinic (None: not recorded)."""
    return rng.choices(tuple(KL_WEIGHTS), weights=tuple(KL_WEIGHTS.values()))[0]


def plan_index_treatment(
    rng: random.Random, anchor: date, archetype: str, booster: bool, smoker: bool
) -> IndexPlan:
    """Product, route, grade and age of the index treatment that fit ``archetype``.

    Grades and routes are redrawn until an age of the archetype's range fits before the booster
    window opens; after 40 tries a KL 2 intra-articular knee, whose window opens late, is used.
    """
    product = _product(rng, archetype, booster)
    for _ in range(40):
        route, kl = _route(rng, product, booster), draw_kl_grade(rng)
        age, forced_open = _age(rng, anchor, archetype, kl, route, smoker)
        if age is not None:
            return IndexPlan(product, route, kl, age, forced_open)
    age, forced_open = _age(rng, anchor, archetype, 2, "intra_articular", smoker)
    return IndexPlan(product, "intra_articular", 2, age or 30, forced_open)


def _product(rng: random.Random, archetype: str, booster: bool) -> str:
    """Boosters come from cryopreserved culture-expanded cells; otherwise the clinic's mix."""
    if booster:
        return "adsc_cultured"
    weights = NON_RESPONDER_PRODUCT_WEIGHTS if archetype == "non_responder" else PRODUCT_WEIGHTS
    return weighted(rng, weights)


def _route(rng: random.Random, product: str, booster: bool) -> str:
    """Now and then a cell product is given intravenously; a booster never is."""
    iv = product in IV_PRODUCTS and not booster and rng.random() < 0.07
    return "iv" if iv else "intra_articular"


def _age(
    rng: random.Random, anchor: date, arch: str, kl: int | None, route: str, smoker: bool
) -> tuple[int | None, str]:
    """Days since the index treatment (None when this grade cannot fit the archetype), and the
    timepoint a due-this-week knee leaves open."""
    opens = booster_window_day(kl, route, smoker)
    if arch == "booster_window":
        return opens + BOOSTER_MARGIN_DAYS + rng.randint(0, 240), ""
    if arch == "due_this_week":
        return _due_this_week_age(rng, anchor, opens - BOOSTER_MARGIN_DAYS)
    low, high = AGE_RANGES[arch]
    high = min(high, opens - BOOSTER_MARGIN_DAYS)
    if low > high:
        return None, ""
    return rng.randint(low, high), ""


def _due_this_week_age(rng: random.Random, anchor: date, max_age: int) -> tuple[int | None, str]:
    """An age at which a timepoint is due within 7 days and its window includes the anchor."""
    for _ in range(20):
        tp = rng.choice(SCHEDULE[:8])  # 2w .. 24m
        due = anchor + timedelta(days=rng.randint(0, min(6, tp.window)))
        if tp.months:
            treated = due - relativedelta(months=tp.months)
        else:
            treated = due - timedelta(days=tp.days)
        age = (anchor - treated).days
        # Month arithmetic clips to the month's end, so going back and forth can miss ``due``.
        if tp.due(treated) == due and 10 <= age <= max_age:
            return age, tp.label
    return None, ""
