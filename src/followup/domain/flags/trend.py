"""Theil-Sen trend lines: the median of pairwise slopes, robust to a single odd reading, which
is why a worsening trend is judged with it rather than with least squares."""

from __future__ import annotations

from collections.abc import Sequence


def theil_sen(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) of the Theil-Sen line: the median of pairwise slopes (pairs on one day
    skipped), and the median of y - slope x. None without two distinct days."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    slope = theil_sen_slope(xs, ys)
    return None if slope is None else (slope, theil_sen_intercept(xs, ys, slope))


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The median of the pairwise slopes; pairs with equal x are skipped."""
    if len(xs) != len(ys):
        raise ValueError("theil_sen_slope: xs and ys differ in length")
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs) - 1)
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    return median(slopes) if slopes else None


def theil_sen_intercept(xs: Sequence[float], ys: Sequence[float], slope: float) -> float:
    """The median of y - slope x."""
    return median([y - slope * x for x, y in zip(xs, ys, strict=True)])


def median(values: list[float]) -> float:
    """The median of a non-empty list (sorts it in place)."""
    values.sort()
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
