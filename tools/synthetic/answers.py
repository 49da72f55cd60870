"""Item answers that follow a target course: from a target level per subscale to 0-4 answers.

Each visit gets a target level per subscale (pain, stiffness, function) with a little noise; the
raw sums are then spread over the items. The normalised scores (raw / max x 100, DESIGN.md 2.1)
therefore follow the intended course, and the flag rules of DESIGN.md 2.3 fire for the archetype
meant to raise them: signals are placed against the *observed* baseline and best values while
the answers are generated, so noise can neither create nor hide a signal.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from .draws import clamp, noise, pick
from .visits import RESPONSE_PHASE_DAY, Episode, Visit

# Subscales are indexed 0, 1, 2 throughout: pain, stiffness, function.
ITEM_COUNTS = (5, 2, 17)
RAW_MAX = (20, 8, 68)
NOISE_SD = (0.35, 0.3, 0.9)  # raw units
# A stable phase stays within best + this many raw units: pain never rises above its best (one
# 5-point step between close self-reports would read as a Theil-Sen trend), stiffness stays
# under the 25-point rule, function within 3 points.
PLATEAU_CAP = (0, 1, 2)
HARD_ITEMS = ((1, 0, 2), (0,), (0, 1, 4, 15, 2, 7, 12))  # items that usually score highest
# ItemAnswers.items picks one of them with a single getrandbits(6).
ORDERINGS_PER_SUBSCALE = 64


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
SIGNAL_FLOOR_POINTS = 13.0  # signals sit this far above the best (rule: >= 10)
TREND_MAX_LOSS = 0.42  # a trend stays below the signal rule's 50 % loss
TREND_MIN_RATE = 11.0  # points per 90 days (rule: > 10)


class Course:
    """Observed baseline and response-phase best of an episode while its visits are rendered."""

    def __init__(self, baseline: tuple[int, ...], global_: int | None) -> None:
        self.baseline = baseline
        self.baseline_global = global_
        self.best: list[int | None] = [None, None, None]
        self.best_day: list[int] = [0, 0, 0]

    def capped(self, raw: list[int]) -> list[int]:
        """Keep a stable phase from drifting up into a signal: at most best + PLATEAU_CAP."""
        return [
            r if b is None else min(r, b + cap)
            for r, b, cap in zip(raw, self.best, PLATEAU_CAP, strict=True)
        ]

    def record(self, raw: tuple[int, ...], day: int) -> None:
        """Note a valid response-phase value (the first lowest is the best)."""
        if day < RESPONSE_PHASE_DAY:
            return
        for d in range(3):
            if self.best[d] is None or raw[d] < self.best[d]:
                self.best[d] = raw[d]
                self.best_day[d] = day


def to_raw(points: float, d: int) -> float:
    """Normalised points (0-100) of subscale ``d`` as a raw sum of its items."""
    return points * RAW_MAX[d] / 100


class ItemAnswers:
    """Turns an episode's planned visits into item answers following the intended course.

    The methods named after a phase (``respond``, ``signal``, ...) give a visit's raw subscale
    sums; ``items`` spreads the sums over the items.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noisy(self, level_raw: float, d: int) -> int:
        """A raw level of subscale ``d`` with noise, rounded and kept within the scale."""
        value = round(level_raw + noise(self.rng, NOISE_SD[d]))
        return int(clamp(value, 0, RAW_MAX[d]))

    def baseline(self, targets: tuple[float, ...]) -> tuple[int, ...]:
        """Raw sums of a baseline visit from its normalised target levels."""
        return tuple(self.noisy(to_raw(t, d), d) for d, t in enumerate(targets))

    def respond(self, ep: Episode, course: Course, day: int) -> list[int]:
        """On the way from baseline to the target best (reached at ``peak_day``), then level."""
        frac = 1.0 if day >= ep.peak_day else max(0.0, day / ep.peak_day) ** 0.5
        raw = []
        for d in range(3):
            b = course.baseline[d]
            level = b - frac * (b - to_raw(ep.best_target[d], d))
            raw.append(self.noisy(level, d))
        return course.capped(raw) if day >= RESPONSE_PHASE_DAY else raw

    def signal(self, ep: Episode, course: Course, day: int, loss: float) -> list[int]:
        """Pain and function ``loss`` of the improvement back, at least SIGNAL_FLOOR_POINTS."""
        raw = self.respond(ep, course, day)
        for d in (0, 2):
            best, b = course.best[d], course.baseline[d]
            if best is None:
                continue
            rise = max(loss * (b - best), to_raw(SIGNAL_FLOOR_POINTS, d))
            raw[d] = int(min(RAW_MAX[d], math.ceil(best + rise) + pick(self.rng, (0, 0, 1))))
        if course.best[1] is not None:
            raw[1] = min(RAW_MAX[1], course.best[1] + pick(self.rng, (0, 1, 1)))
        return raw

    def trend(self, ep: Episode, course: Course, day: int, rate: float) -> list[int]:
        """Function worsening steadily from its best, never losing half the improvement."""
        raw = self.respond(ep, course, day)
        best = course.best[2]
        if best is not None:
            last_day = (ep.visits[-1].on - ep.treatment.treated_on).days
            span = max(1, last_day - course.best_day[2])
            room = TREND_MAX_LOSS * (course.baseline[2] - best) * 100 / RAW_MAX[2]
            rate = max(TREND_MIN_RATE, min(rate, room * 90 / span))
            rise = to_raw(rate * (day - course.best_day[2]) / 90, 2)
            raw[2] = int(min(RAW_MAX[2], round(best + rise)))
        return raw

    def stiff_return(self, ep: Episode, course: Course, day: int) -> list[int]:
        """A responder's pain and function with stiffness 2-3 raw units above its best."""
        raw = self.respond(ep, course, day)
        if course.best[1] is not None:
            raw[1] = min(RAW_MAX[1], course.best[1] + self.rng.choice((2, 3)))
        return raw

    def flare(self, course: Course) -> list[int]:
        """Clearly worse than baseline: pain up 7-8 raw units (35-40 points)."""
        b = course.baseline
        return [
            min(RAW_MAX[0], b[0] + self.rng.choice((7, 8))),
            min(RAW_MAX[1], b[1] + 1),
            min(RAW_MAX[2], b[2] + self.rng.randint(4, 10)),
        ]

    def nonresp(self, course: Course) -> list[int]:
        """Around the baseline, function drifting slightly worse."""
        b = course.baseline
        return [
            int(clamp(b[0] + self.rng.choice((-1, 0, 0, 1, 1)), 0, RAW_MAX[0])),
            int(clamp(b[1] + self.rng.choice((-1, 0, 0, 1)), 0, RAW_MAX[1])),
            int(clamp(round(b[2] + self.rng.gauss(1.5, 2.0)), max(0, b[2] - 3), RAW_MAX[2])),
        ]

    def raw_for(self, ep: Episode, course: Course, visit: Visit) -> tuple[int, ...]:
        """A visit's raw subscale sums, by its phase."""
        day = (visit.on - ep.treatment.treated_on).days
        if visit.phase == "signal":
            raw = self.signal(ep, course, day, visit.amount)
        elif visit.phase == "trend":
            raw = self.trend(ep, course, day, visit.amount)
        elif visit.phase == "stiff_return":
            raw = self.stiff_return(ep, course, day)
        elif visit.phase == "flare":
            raw = self.flare(course)
        elif visit.phase == "nonresp":
            raw = self.nonresp(course)
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
