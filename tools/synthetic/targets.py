"""Target levels of an episode: how bad the knee is at baseline and how good it gets at best.

Levels are normalised points (0-100, higher is worse) per subscale: pain, stiffness, function.
A responding episode ends up at least 15 points better on every subscale (22 for partial
responders, whose relative gain is smaller), so it meets the OMERACT-OARSI responder criterion
at its best, and at more than one reading despite the noise: rule set 2026.2 confirms a response
only at two.
"""

from __future__ import annotations

import random


def baseline_targets(rng: random.Random, arch: str) -> tuple[float, float, float]:
    """Pre-treatment pain, stiffness and function levels for a patient of archetype ``arch``."""
    if arch == "safety_flare":  # room above baseline for the flare to show
        pain = rng.uniform(35, 55)
    else:
        pain = rng.uniform(45, 75)
    if arch == "possible_wearing_off_trend":  # a large gain leaves room for a visible trend
        function = rng.uniform(64, 76)
    else:
        function = rng.uniform(40, 72)
    return pain, rng.uniform(45, 75), function


def best_targets(rng: random.Random, base: tuple[float, ...], arch: str) -> tuple[float, ...]:
    """The best levels an episode reaches from ``base``; ``arch`` may also be ``pre_booster``."""
    least = 15.0  # points better at the peak, so the responder criterion holds after boosters
    if arch == "partial_responder":
        gains = [rng.uniform(0.3, 0.42) for _ in range(3)]
        least = 22.0  # the 2-of-3 criterion needs 10 points in each: clear of the noise
    elif arch == "possible_wearing_off_trend":
        gains = [rng.uniform(0.55, 0.7), rng.uniform(0.5, 0.7), 0.74]
    elif arch == "pre_booster":  # leaves room for the booster to improve things further
        gains = [rng.uniform(0.45, 0.58) for _ in range(3)]
    else:
        gains = [rng.uniform(0.55, 0.75) for _ in range(3)]
    return tuple(max(0.0, min(b * (1 - g), b - least)) for b, g in zip(base, gains, strict=True))
