"""Item answers that follow a target course: from a target level per subscale to 0-4 answers.

Each visit gets a target level per subscale (pain, stiffness, function) with noise of about 4-6
points (half the individual error WOMAC is known for: the demo's charts look like real ones); the
raw sums are then spread over the items. The normalised scores (raw / max x 100, DESIGN.md 2.1)
therefore follow the intended course. What the flag rules of DESIGN.md 2.3 will make of each
reading is kept in a ``course.Course`` while the answers are drawn: a knee holding its relief is
kept clear of the signal level and of a worsening trend, and signals, trends and returning
stiffness are placed against the *observed* baseline and best level, so noise can neither create
nor hide a flag.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from .course import RAW_MAX, Course, points, raw_at_least
from .draws import clamp, noise, pick
from .visits import Episode, Visit

# Subscales are indexed 0, 1, 2 throughout: pain, stiffness, function.
ITEM_COUNTS = (5, 2, 17)
NOISE_SD = (0.8, 0.45, 2.7)  # raw units: about 4, 6 and 4 points
HARD_ITEMS = ((1, 0, 2), (0,), (0, 1, 4, 15, 2, 7, 12))  # items that usually score highest
# ItemAnswers.items picks one of them with a single getrandbits(6).
ORDERINGS_PER_SUBSCALE = 64
TREND_BELOW_SIGNAL = 3.5  # points: a trend stays this far below the signal level
TREND_MIN_RATE = 11.5  # points per 90 days (the rule: worse than 10)


def _item_orderings(
    n: int, hard: tuple[int, ...], count: int = ORDERINGS_PER_SUBSCALE
) -> tuple[tuple[int, ...], ...]:
    """Random item orders, hard items first: extra points go to the first ones (fast to draw)."""
    rng = random.Random(f"item-orderings:{n}")
    rest = [i for i in range(n) if i not in hard]
    orders = []
    for _ in range(count):
        first, last = list(hard), list(rest)
        rng.shuffle(first)
        rng.shuffle(last)
        orders.append(tuple(first + last))
    return tuple(orders)


ITEM_ORDERINGS = tuple(_item_orderings(n, h) for n, h in zip(ITEM_COUNTS, HARD_ITEMS, strict=True))


def to_raw(level: float, d: int) -> float:
    """Normalised points (0-100) of subscale ``d`` as a raw sum of its items."""
    return level * RAW_MAX[d] / 100


class ItemAnswers:
    """Turns an episode's planned visits into item answers following the intended course.

    The methods named after a phase (``respond``, ``signal``, ...) give a visit's raw subscale
    sums; ``items`` spreads the sums over the items.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noisy(self, level_raw: float, d: int, scale: float = 1.0) -> int:
        """A raw level of subscale ``d`` with noise, rounded and kept within the scale."""
        value = round(level_raw + noise(self.rng, scale * NOISE_SD[d]))
        return int(clamp(value, 0, RAW_MAX[d]))

    def baseline(self, targets: tuple[float, ...]) -> tuple[int, ...]:
        """Raw sums of a baseline visit from its normalised target levels."""
        return tuple(self.noisy(to_raw(t, d), d) for d, t in enumerate(targets))

    def level(self, ep: Episode, course: Course, day: int, d: int) -> float:
        """The raw level of subscale ``d`` on ``day``: from the start towards the target best
        (reached at ``peak_day``), then level."""
        frac = 1.0 if day >= ep.peak_day else max(0.0, day / ep.peak_day) ** 0.5
        b = course.start[d]
        return b - frac * (b - to_raw(ep.best_target[d], d))

    def respond(self, ep: Episode, course: Course, day: int, scale: float = 1.0) -> list[int]:
        """A knee responding or holding its relief: noisy, and quiet (see ``Course.quiet``)."""
        raw = [self.noisy(self.level(ep, course, day, d), d, scale) for d in range(3)]
        return course.quiet(raw, day)

    def signal(self, ep: Episode, course: Course, day: int, loss: float, domains: str) -> list[int]:
        """``loss`` of the improvement back in the ``domains`` ("pain", "function" or both), at
        or above the signal level; the rest as a responding knee."""
        raw = self.respond(ep, course, day)
        for d in (0, 2):
            if ("pain", "stiffness", "function")[d] not in domains:
                continue
            found = course.best(d)
            base = points(course.baseline[d], d)
            best = base if found is None else found[0]
            raw[d] = course.signal_raw(d, best + loss * (base - best))
            raw[d] = min(RAW_MAX[d], raw[d] + pick(self.rng, (0, 0, 1)))
        return raw

    def trend(self, ep: Episode, course: Course, day: int, rate: float, last: int) -> list[int]:
        """Function worsening steadily from its best level (``rate`` points per 90 days, slower
        when it would otherwise reach the signal level by the ``last`` day), pain holding."""
        raw = self.respond(ep, course, day)
        found = course.best(2)
        if found is None:
            return raw
        best, best_day = found
        level = course.threshold(2, best) - TREND_BELOW_SIGNAL
        span = max(1, last - best_day)
        rate = max(TREND_MIN_RATE, min(rate, (level - best) * 90 / span))
        value = best + rate * (day - best_day) / 90
        floor = (course.second_lowest(2) or best) + 100 / RAW_MAX[2]
        raw[2] = raw_at_least(min(max(value, floor), level), 2)
        return raw

    def stiff_return(self, ep: Episode, course: Course, day: int) -> list[int]:
        """A responder's pain and function holding, stiffness back 3+ raw units (37.5 points)
        above its own best level."""
        raw = self.respond(ep, course, day)
        found = course.best(1)
        if found is not None:
            raw[1] = min(RAW_MAX[1], math.ceil(to_raw(found[0], 1) + 3 - 1e-9))
        return raw

    def flare(self, course: Course) -> list[int]:
        """Clearly worse than before the injection: pain up 7-8 raw units (35-40 points)."""
        b = course.start
        return [
            min(RAW_MAX[0], b[0] + self.rng.choice((7, 8))),
            min(RAW_MAX[1], b[1] + 1),
            min(RAW_MAX[2], b[2] + self.rng.randint(4, 10)),
        ]

    def nonresp(self, course: Course) -> list[int]:
        """Around the baseline, function drifting slightly worse: never 10 points better."""
        b = course.start
        return [
            int(clamp(b[0] + self.rng.choice((-1, 0, 0, 1, 1)), 0, RAW_MAX[0])),
            int(clamp(b[1] + self.rng.choice((-1, 0, 0, 1)), 0, RAW_MAX[1])),
            int(clamp(round(b[2] + self.rng.gauss(1.5, 2.0)), max(0, b[2] - 3), RAW_MAX[2])),
        ]

    def raw_for(self, ep: Episode, course: Course, visit: Visit) -> tuple[int, ...]:
        """A visit's raw subscale sums, by its phase."""
        day = (visit.on - ep.treatment.treated_on).days
        if visit.phase == "signal":
            raw = self.signal(ep, course, day, visit.amount, visit.domains)
        elif visit.phase == "trend":
            last = (ep.visits[-1].on - ep.treatment.treated_on).days
            raw = self.trend(ep, course, day, visit.amount, last)
        elif visit.phase == "stiff_return":
            raw = self.stiff_return(ep, course, day)
        elif visit.phase == "flare":
            raw = self.flare(course)
        elif visit.phase == "nonresp":
            raw = self.nonresp(course)
        elif visit.phase == "plateau":  # a steady best level for a trend to rise from
            raw = self.respond(ep, course, day, scale=0.3)
        else:
            raw = self.respond(ep, course, day)
        return tuple(raw)

    def items(self, raw: Sequence[int]) -> list[int | None]:
        """Spread each subscale's raw sum over its items, harder activities scoring higher."""
        answers: list[int | None] = []
        for d, total in enumerate(raw):
            n = ITEM_COUNTS[d]
            base, extra = divmod(total, n)
            values = [base] * n
            order = ITEM_ORDERINGS[d][self.rng.getrandbits(6)]
            for i in order[:extra]:
                values[i] += 1
            hard, easy = order[0], order[-1]
            if n > 2 and values[easy] > 0 and values[hard] < 4 and self.rng.random() < 0.5:
                values[easy] -= 1  # same sum, more natural shape
                values[hard] += 1
            answers.extend(values)
        return answers

    def skip_items(self, answers: list[int | None], raw: Sequence[int]) -> None:
        """Leave 1-3 items blank whose answer equals their subscale's mean (imputation ~exact)."""
        count = self.rng.choice((1, 1, 2, 3))
        pain_mean = round(raw[0] / 5)
        function_mean = round(raw[2] / 17)
        candidates = [i for i in range(7, 24) if answers[i] == function_mean]
        if self.rng.random() < 0.3:
            candidates = [i for i in range(5) if answers[i] == pain_mean][:1]
            count = 1
        for i in self.rng.sample(candidates, min(count, len(candidates))):
            answers[i] = None

    def invalidate(self, answers: list[int | None]) -> None:
        """A form with two or more pain items unanswered: its pain score is invalid."""
        for i in self.rng.sample(range(5), self.rng.choice((2, 2, 3))):
            answers[i] = None
