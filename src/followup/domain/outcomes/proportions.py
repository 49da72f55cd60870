"""A share with its confidence interval: the responder rate.

The Wilson score interval (Wilson 1927; method 3 in Newcombe 1998) rather than the textbook
p +- z sqrt(p (1 - p) / n): that one collapses to a zero-width interval at 0/10 or 10/10 and
leaves [0, 1] for small groups, which is exactly where a small clinic's figures sit. Wilson's
stays inside [0, 1] and keeps honest width at the edges (0/10 gives 0 to 0.28).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from followup.domain.outcomes.survival import z_for


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``total`` with its share and confidence limits (None when total is 0)."""

    count: int
    total: int
    share: float | None
    lower: float | None
    upper: float | None


def wilson(count: int, total: int, confidence: float = 0.95) -> Proportion:
    """The share ``count / total`` with its Wilson score interval."""
    if total < 0 or not 0 <= count <= total:
        raise ValueError("need 0 <= count <= total")
    if total == 0:
        return Proportion(count, total, None, None, None)
    z = z_for(confidence)
    p = count / total
    z2n = z * z / total
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / total + z2n / (4 * total))
    # Exact at the edges: rounding must not put 0/n above 0 or n/n below 1.
    lower = 0.0 if count == 0 else max(0.0, centre - half)
    upper = 1.0 if count == total else min(1.0, centre + half)
    return Proportion(count, total, p, lower, upper)
