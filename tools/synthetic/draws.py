"""Small random draws shared by the generator's modules.

All of them take the patient's own ``random.Random``: the order of draws is what makes a cohort
reproducible, so none of them may draw more or fewer numbers than they do now. ``pick`` and
``noise`` run for every item answer of a 100,000-patient cohort, hence their cheap forms.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    """One key of ``weights``, drawn with probability proportional to its value."""
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """``rng.choice`` without its rejection-sampling overhead (hot path)."""
    return options[int(rng.random() * len(options))]


def noise(rng: random.Random, sd: float) -> float:
    """Cheap zero-mean noise with standard deviation ``sd`` (triangular; gauss is slower)."""
    return (rng.random() + rng.random() - 1.0) * sd * 2.449489742783178


def clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to ``low`` .. ``high``."""
    return low if value < low else high if value > high else value
