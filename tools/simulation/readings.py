"""One noisy reading of a patient's knee: item answers as the patient would give them, scored by
the product's own scoring.

Each subscale's true level gets Gaussian noise (SD ``sd`` points on pain and function,
``stiffness_sd`` on stiffness), is kept within 0-100, and is rounded to the instrument's raw
steps (pain 5 items: 5 points a step; stiffness 2 items: 12.5; function 17 items: about 1.47).
The raw sum is spread over the items as the demo generator does (``tools.synthetic.answers``):
harder activities score higher. The patients of the issue that asked for this simulation are
defined by pain, function and stiffness only, so by default no patient global is recorded; with
``with_global`` it tracks true pain with its own noise of SD ``sd`` (a second noisy look at pain,
which the 2-of-3 responder rule counts). Every form is complete, so every reading is valid.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from typing import NamedTuple

from followup.domain.instrument import ITEM_KEYS, SUBSCALES, default_instrument
from followup.domain.records import ScoredAssessment
from followup.domain.scoring import score

from ..synthetic.answers import ItemAnswers
from .kinds import Kind

PAIN_RAW_MAX, STIFFNESS_RAW_MAX, FUNCTION_RAW_MAX = (s.raw_max for s in SUBSCALES)


class Noise(NamedTuple):
    """Per-reading noise: SD in points on pain and function (and patient global), and on
    stiffness."""

    sd: float = 8.0
    stiffness_sd: float = 15.0
    with_global: bool = False


class Reading(NamedTuple):
    """One form: its day, what it was for (``baseline``, a timepoint label, ``confirm``), the
    24 item answers in instrument order and the patient global."""

    on: date
    purpose: str
    answers: tuple[int, ...]
    patient_global: int | None


@cache
def instrument_version() -> str:
    """The version string stored with every scored form."""
    return default_instrument().version


def _raw(level: float, sd: float, raw_max: int, rng: random.Random) -> int:
    """A noisy level rounded to the subscale's raw steps."""
    noisy = min(100.0, max(0.0, level + rng.gauss(0.0, sd)))
    return round(noisy * raw_max / 100)


def take_reading(
    kind: Kind, day: int, on: date, purpose: str, noise: Noise, rng: random.Random
) -> Reading:
    """The patient's answers on ``on``, ``day`` days after the (first) treatment."""
    raw = (
        _raw(kind.pain_on(day), noise.sd, PAIN_RAW_MAX, rng),
        _raw(kind.stiffness_on(day), noise.stiffness_sd, STIFFNESS_RAW_MAX, rng),
        _raw(kind.function_on(day), noise.sd, FUNCTION_RAW_MAX, rng),
    )
    answers = ItemAnswers(rng).items(raw)
    patient_global = None
    if noise.with_global:
        patient_global = round(min(100.0, max(0.0, kind.pain_on(day) + rng.gauss(0.0, noise.sd))))
    return Reading(on, purpose, tuple(a for a in answers if a is not None), patient_global)


def scored(reading: Reading, assessment_id: int) -> ScoredAssessment:
    """The reading as the rules see it, scored by ``followup.domain.scoring``."""
    s = score(dict(zip(ITEM_KEYS, reading.answers, strict=True)), instrument_version())
    return ScoredAssessment(
        assessment_id,
        reading.on,
        s.pain.score,
        s.stiffness.score,
        s.function.score,
        s.total,
        reading.patient_global,
    )
