"""Injections: which product, route, cell dose and Kellgren-Lawrence grade a treated knee gets.

The product mix follows a regenerative-medicine clinic (mostly culture-expanded adipose stem
cells); the mix for non-responders leans towards PRP and hyaluronic acid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .csv_layout import number

PRODUCT_WEIGHTS = {
    "adsc_cultured": 36,
    "bmac": 20,
    "umbilical_cord": 18,
    "prp": 15,
    "hyaluronic_acid": 8,
    "adsc_uncultured": 3,
}
NON_RESPONDER_PRODUCT_WEIGHTS = {
    "adsc_cultured": 20,
    "bmac": 15,
    "umbilical_cord": 12,
    "prp": 30,
    "hyaluronic_acid": 23,
}
KL_WEIGHTS = {1: 7, 2: 33, 3: 38, 4: 16, None: 6}
IV_PRODUCTS = ("adsc_cultured", "umbilical_cord")


@dataclass(slots=True)
class Treatment:
    """One injection into one knee (the treatments.csv row)."""

    treatment_id: str
    patient_id: str
    knee: str
    treated_on: date
    product: str
    cells_millions: float | None
    route: str
    kl_grade: int | None
    booster_of: str | None = None
    banked_doses: int | None = None

    def row(self) -> list[object]:
        """The row in TREATMENT_COLUMNS order."""
        return [
            self.treatment_id,
            self.patient_id,
            self.knee,
            self.treated_on.isoformat(),
            self.product,
            number(self.cells_millions),
            self.route,
            self.kl_grade,
            self.booster_of,
            self.banked_doses,
        ]


def cells_for(rng: random.Random, product: str, route: str) -> float | None:
    """A plausible cell dose in millions (BMAC: total nucleated cells); None for PRP and HA."""
    if product == "adsc_cultured":
        return float(rng.choice((100, 150, 200) if route == "iv" else (10, 20, 25, 30, 50, 100)))
    if product == "umbilical_cord":
        return float(rng.choice((50, 100) if route == "iv" else (10, 20, 25, 50)))
    if product == "bmac":
        return round(min(2500.0, max(200.0, rng.gauss(900, 350))), 0)
    if product == "adsc_uncultured":
        return round(rng.uniform(15, 60), 1)
    return None


def initial_banked_doses(rng: random.Random, product: str) -> int | None:
    """Cryopreserved doses left after a first culture-expanded treatment; None otherwise."""
    if product != "adsc_cultured":
        return None
    return rng.choice((0, 1, 2, 2, 3, 3, 4))
