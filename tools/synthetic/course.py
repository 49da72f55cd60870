"""An episode's course as rule set ``followup-2026.2`` reads it, kept while its visits are drawn.

The readings of a real knee are noisy (WOMAC's individual error is about 8 points a reading), and
the demo shows that noise; yet every archetype must raise exactly the flag it promises. So the
generator keeps, reading by reading, what the rules will see (DESIGN.md 2.3): the baseline B the
rules compare with (a booster's is its chain's first), each domain's best level N (the mean of
its two lowest readings from day 28, set on the later one), whether the domain responded, its
signal level T, the Theil-Sen trend of the readings after N was set, and stiffness's own best.
A *quiet* reading (a knee holding its relief) is then nudged down, a raw step at a time, until it
neither reaches T, nor makes a worsening trend, nor is a second returning-stiffness reading; a
*signal* is placed at or above T with a margin. Because each reading is checked against exactly
the readings before it, the flags are what was meant on every day, not only at the anchor.

The generator must not import the app (it exists to exercise the app's rules), so the few
numbers it needs are copied here; the check that counts is ``tools/check_demo_flags.py`` (and the
demo manifest test), which run the product's own rules over the generated data.
"""

from __future__ import annotations

import math

RAW_MAX = (20, 8, 68)  # pain, stiffness, function
PHASE_START_DAY = 28  # the response phase: readings from this day after treatment
DETECTABLE_CHANGE = 18.0  # T >= N + 18 points
FRACTION_LOST = 0.40
BASELINE_FRACTION = 0.80  # "back within 20 % of baseline"
RESPONDING_POINTS, RESPONDING_FRACTION = 15.0, 0.20
TREND_READINGS = 3
STIFFNESS_RISE = 37.5  # 3 of 8 raw points
# Margins kept from the rules' lines, so imputed items and rounding never land on them.
QUIET_BELOW_SIGNAL = 5.0  # points
QUIET_SLOPE = 7.0 / 90  # points a day (the rule: worse than 10 per 90 days)
SIGNAL_ABOVE = 2.0  # points


ITEM_SLICES = ((0, 5), (5, 7), (7, 24))
INVALID_WHEN_MISSING = (2, 2, 4)  # DESIGN.md 2.1


def points(raw: float, d: int) -> float:
    """A raw subscale sum as normalised points (0-100), computed as the app scores it."""
    return raw * 100 / RAW_MAX[d]


def scores(answers: list[int | None]) -> tuple[float | None, ...]:
    """A form's pain, stiffness and function points as the app scores them: each missing item
    replaced by the mean of its subscale's answered items, None when too many are missing."""
    found: list[float | None] = []
    for d, (first, end) in enumerate(ITEM_SLICES):
        items = answers[first:end]
        answered = [a for a in items if a is not None]
        if len(items) - len(answered) >= INVALID_WHEN_MISSING[d]:
            found.append(None)
        else:
            found.append(points(sum(answered) * len(items) / len(answered), d))
    return tuple(found)


def raw_at_least(value: float, d: int) -> int:
    """The smallest raw sum of subscale ``d`` scoring at least ``value`` points."""
    return min(RAW_MAX[d], max(0, math.ceil(value * RAW_MAX[d] / 100 - 1e-9)))


def best_level(values: list[float], days: list[int]) -> tuple[float, int]:
    """The mean of the two lowest values (of equal ones the earlier first) and the later day."""
    ranked = sorted(range(len(values)), key=lambda i: (values[i], i))[:2]
    return sum(values[i] for i in ranked) / len(ranked), max(days[i] for i in ranked)


def theil_sen_slope(days: list[int], values: list[float]) -> float | None:
    """The median of the pairwise slopes (pairs on one day skipped), points a day."""
    slopes = sorted(
        (values[j] - values[i]) / (days[j] - days[i])
        for i in range(len(days))
        for j in range(i + 1, len(days))
        if days[j] != days[i]
    )
    if not slopes:
        return None
    mid = len(slopes) // 2
    return slopes[mid] if len(slopes) % 2 else (slopes[mid - 1] + slopes[mid]) / 2


class Course:
    """The observed course of one episode while its visits are rendered, in date order.

    ``start`` is where this episode's own course starts (its pre-treatment raw sums);
    ``baseline`` what the rules compare with (the same, or a booster's chain's first baseline).
    """

    def __init__(
        self, start: tuple[int, ...], baseline: tuple[int, ...], global_: int | None
    ) -> None:
        self.start = start
        self.baseline = baseline
        self.baseline_global = global_
        self.days: tuple[list[int], ...] = ([], [], [])
        self.values: tuple[list[float], ...] = ([], [], [])

    def record(self, values: tuple[float | None, ...], day: int) -> None:
        """Note a form's scores as the rules read them (None: invalid); only response-phase
        readings count."""
        if day < PHASE_START_DAY:
            return
        for d in range(3):
            if values[d] is not None:
                self.days[d].append(day)
                self.values[d].append(values[d])  # type: ignore[arg-type]

    # -- what the rules see -----------------------------------------------------------------

    def best(self, d: int, extra: tuple[int, float] | None = None) -> tuple[float, int] | None:
        """Domain ``d``'s best level N and the day it was set on (with ``extra`` (day, points)
        as one more reading); None before any reading in the phase."""
        days, values = list(self.days[d]), list(self.values[d])
        if extra is not None:
            days.append(extra[0])
            values.append(extra[1])
        return best_level(values, days) if values else None

    def second_lowest(self, d: int) -> float | None:
        """The higher of the two lowest readings: a reading above it leaves N where it is."""
        values = sorted(self.values[d])[:2]
        return values[-1] if values else None

    def threshold(self, d: int, best: float) -> float:
        """T = max(N + 18, min(N + 0.40 x I, 0.80 x B))."""
        base = points(self.baseline[d], d)
        gain = base - best
        return max(
            best + DETECTABLE_CHANGE, min(best + FRACTION_LOST * gain, BASELINE_FRACTION * base)
        )

    def responding(self, d: int, best: float) -> bool:
        """I >= max(15, 0.20 x B): only a responding domain can signal or trend."""
        base = points(self.baseline[d], d)
        return base - best >= max(RESPONDING_POINTS, RESPONDING_FRACTION * base)

    def signal_level(self, d: int) -> float | None:
        """T for the next reading, from the readings so far (None without any)."""
        found = self.best(d)
        return None if found is None else self.threshold(d, found[0])

    # -- quiet readings -----------------------------------------------------------------------

    def _stirs(self, d: int, day: int, value: float) -> bool:
        """Whether ``value`` on ``day`` would signal or make a worsening trend in domain ``d``."""
        best, best_day = self.best(d, (day, value))  # type: ignore[misc]
        if not self.responding(d, best):
            return False
        if day > best_day and value >= self.threshold(d, best) - QUIET_BELOW_SIGNAL:
            return True
        after = [(x, v) for x, v in zip(self.days[d], self.values[d], strict=True) if x > best_day]
        if day > best_day:
            after.append((day, value))
        if len(after) < TREND_READINGS:
            return False
        slope = theil_sen_slope([x for x, _ in after], [v for _, v in after])
        return slope is not None and slope > QUIET_SLOPE

    def _stiffness_returns(self, day: int, value: float) -> bool:
        """Whether ``value`` would be the second of two stiffness readings far above its best."""
        if not self.values[1]:
            return False
        best, best_day = self.best(1, (day, value))  # type: ignore[misc]
        prev_day, prev = self.days[1][-1], self.values[1][-1]
        limit = best + STIFFNESS_RISE - QUIET_BELOW_SIGNAL
        return prev_day > best_day and prev >= limit and value >= limit

    def stirs(self, values: tuple[float | None, ...], day: int) -> bool:
        """Whether a form scoring ``values`` on ``day`` would stir anything (see ``quiet``)."""
        if day < PHASE_START_DAY:
            return False
        if any(values[d] is not None and self._stirs(d, day, values[d]) for d in (0, 2)):  # type: ignore[arg-type]
            return True
        return values[1] is not None and self._stiffness_returns(day, values[1])

    def quiet(self, raw: list[int], day: int) -> list[int]:
        """``raw`` nudged down until it stirs nothing: a knee holding its relief."""
        if day < PHASE_START_DAY:
            return raw
        for d in (0, 2):
            while raw[d] > 0 and self._stirs(d, day, points(raw[d], d)):
                raw[d] -= 1
        while raw[1] > 0 and self._stiffness_returns(day, points(raw[1], 1)):
            raw[1] -= 1
        return raw

    # -- signals ------------------------------------------------------------------------------

    def signal_raw(self, d: int, wanted: float) -> int:
        """A raw sum for a signal in domain ``d``: ``wanted`` points, and at least the signal
        level (set by the readings before it) plus a margin."""
        level = self.signal_level(d)
        floor = wanted if level is None else max(wanted, level + SIGNAL_ABOVE)
        return raw_at_least(floor, d)
