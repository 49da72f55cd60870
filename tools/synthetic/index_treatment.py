"""The index treatment: which product, route and grade, and how long before the anchor date.

The index knee's latest treatment carries the patient's archetype, so its age at the anchor date
must let the archetype show: a wearing-off knee needs time to respond and fade, a knee that is
not meant to be due a booster must be treated less long ago than its booster window opens
(earlier for high KL grades, smokers and IV treatments), a due-this-week knee needs a
timepoint falling due in the coming week, and an archetype whose story ends at a given visit
(``PINNED``) needs that visit a given number of days before the anchor with nothing scheduled
after it yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .archetypes import AGE_RANGES, CONFIRM_DUE_NOW_DAYS, LAPSED_WINDOWS, PINNED
from .draws import weighted
from .schedule import BOOSTER_MARGIN_DAYS, SCHEDULE, booster_window_day, schedule_windows
from .treatments import IV_PRODUCTS, KL_WEIGHTS, NON_RESPONDER_PRODUCT_WEIGHTS, PRODUCT_WEIGHTS


@dataclass(frozen=True)
class IndexPlan:
    """What the index knee is treated with, and how many days before the anchor date."""

    product: str
    route: str
    kl_grade: int | None
    age: int
    forced_open: str = ""  # due_this_week: the timepoint left open at the anchor
    pinned: tuple[str, date] | None = None  # (timepoint, day) of the latest visit
    min_banked: int = 0  # cryopreserved doses the knee must have left


def draw_kl_grade(rng: random.Random) -> int | None:
    """A Kellgren-Lawrence grade as seen in the clinic (None: not recorded)."""
    return rng.choices(tuple(KL_WEIGHTS), weights=tuple(KL_WEIGHTS.values()))[0]


def plan_index_treatment(
    rng: random.Random, anchor: date, archetype: str, booster: bool, smoker: bool, variant: int = 0
) -> IndexPlan:
    """Product, route, grade and age of the index treatment that fit ``archetype``.

    Grades and routes are redrawn until an age of the archetype's range fits before the booster
    window opens; after 40 tries a KL 2 intra-articular knee, whose window opens late, is used.
    ``variant`` (the patient's rank among its archetype's) picks a variant of the course.
    """
    banked = _banked_doses_needed(archetype, variant)
    product = "adsc_cultured" if banked else _product(rng, archetype, booster)
    for _ in range(40):
        route = "intra_articular" if banked else _route(rng, product, booster)
        kl = draw_kl_grade(rng)
        age, forced_open, pinned = _age(rng, anchor, archetype, kl, route, smoker, variant)
        if age is not None:
            return IndexPlan(product, route, kl, age, forced_open, pinned, banked)
    age, forced_open, pinned = _age(rng, anchor, archetype, 2, "intra_articular", smoker, variant)
    return IndexPlan(product, "intra_articular", 2, age or 30, forced_open, pinned, banked)


def _banked_doses_needed(archetype: str, variant: int) -> int:
    """The booster story needs banked doses to thaw; one booster-window knee shows some left."""
    if archetype == "booster_story":
        return 2
    return 1 if archetype == "booster_window" and variant == 0 else 0


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
    rng: random.Random,
    anchor: date,
    arch: str,
    kl: int | None,
    route: str,
    smoker: bool,
    variant: int,
) -> tuple[int | None, str, tuple[str, date] | None]:
    """Days since the index treatment (None when this grade cannot fit the archetype), the
    timepoint a due-this-week knee leaves open, and the pinned latest visit."""
    opens = booster_window_day(kl, route, smoker)
    if arch == "booster_window":
        return opens + BOOSTER_MARGIN_DAYS + rng.randint(0, 240), "", None
    if arch == "due_this_week":
        return (*_due_this_week_age(rng, anchor, opens - BOOSTER_MARGIN_DAYS), None)
    if arch in PINNED:
        labels, days_before = PINNED[arch]
        if arch == "confirmation_due" and variant % 2:
            days_before = CONFIRM_DUE_NOW_DAYS
        age, pinned = _pinned_age(rng, anchor, labels, days_before, opens - BOOSTER_MARGIN_DAYS)
        return age, "", pinned
    if arch == "possible_wearing_off_trend":
        # 11-13 weeks after the 3-month visit: a steady best at 6 weeks and 3 months, then a
        # few monthly self-reports rising, still below the signal level.
        treated = anchor - timedelta(days=rng.randint(81, 97)) - relativedelta(months=3)
        age = (anchor - treated).days
        return (age if age <= opens - BOOSTER_MARGIN_DAYS else None), "", None
    low, high = AGE_RANGES[arch]
    high = min(high, opens - BOOSTER_MARGIN_DAYS)
    if low > high:
        return None, "", None
    age = rng.randint(low, high)
    if arch in LAPSED_WINDOWS and _near_a_window_edge(anchor, anchor - timedelta(days=age)):
        return None, "", None
    return age, "", None


def _near_a_window_edge(anchor: date, treated: date) -> bool:
    """Whether a window of the treatment opens or closes within a week of the anchor: the
    demo is loaded on any day, and month lengths then move window edges by a day or two, which
    must not decide whether a lapsed patient's window has closed."""
    edges = [
        d for w in schedule_windows(treated, anchor + timedelta(days=8)) for d in (w.start, w.end)
    ]
    return any(abs((d - anchor).days) <= 7 for d in edges)


def _pinned_age(
    rng: random.Random,
    anchor: date,
    labels: tuple[str, ...],
    days_before: tuple[int, int],
    max_age: int,
) -> tuple[int | None, tuple[str, date] | None]:
    """An age whose ``labels`` timepoint visit falls ``days_before`` the anchor (within 3 days
    of its due date) and whose next timepoint's window has not opened by the anchor."""
    by_label = {tp.label: i for i, tp in enumerate(SCHEDULE)}
    for _ in range(40):
        i = by_label[rng.choice(labels)]
        tp, following = SCHEDULE[i], SCHEDULE[i + 1]
        visit = anchor - timedelta(days=rng.randint(*days_before))
        due = visit - timedelta(days=rng.randint(-3, 3))
        treated = due - relativedelta(months=tp.months)
        age = (anchor - treated).days
        # Month arithmetic clips to the month's end, so going back and forth can miss ``due``.
        if tp.due(treated) != due or age > max_age:
            continue
        if following.due(treated) - timedelta(days=following.window) <= anchor:
            continue
        return age, (tp.label, visit)
    return None, None


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
