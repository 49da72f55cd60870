"""Plain, immutable records the rules work on. Services build these from the database; the rules
never see ORM rows. Scores are normalised 0-100 (higher = worse), None when invalid."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

KNEES = ("left", "right")
SOURCES = ("phone", "self_report", "clinic", "paper")
PRODUCTS = (
    "adsc_cultured",
    "adsc_uncultured",
    "bmac",
    "umbilical_cord",
    "prp",
    "hyaluronic_acid",
    "corticosteroid",
    "other",
)
# What the clinic calls each product, in full (screens, the packet, reports) and short (chart
# markers, narrow columns): one name per product everywhere.
PRODUCT_NAMES = {
    "adsc_cultured": "Adipose MSCs, culture-expanded",
    "adsc_uncultured": "Adipose cells, uncultured (SVF)",
    "bmac": "Bone-marrow concentrate",
    "umbilical_cord": "Umbilical-cord cells",
    "prp": "PRP",
    "hyaluronic_acid": "Hyaluronic acid",
    "corticosteroid": "Corticosteroid",
    "other": "Other",
}
PRODUCT_SHORT_NAMES = {
    "adsc_cultured": "ADSC",
    "adsc_uncultured": "SVF",
    "bmac": "BMAC",
    "umbilical_cord": "UC",
    "prp": "PRP",
    "hyaluronic_acid": "HA",
    "corticosteroid": "steroid",
    "other": "other",
}
ROUTES = ("intra_articular", "iv")
CONTACT_OUTCOMES = ("reached", "voicemail", "no_answer", "wrong_number", "declined")
DECISIONS = ("booster_scheduled", "continue_monitoring", "refer", "dismissed")
LEVELS = ("urgent", "action", "watch")


class ScoredAssessment(NamedTuple):
    """One assessment of one knee, already scored. Entered-in-error ones never reach the rules.

    The records here are NamedTuples rather than frozen dataclasses: whole-cohort evaluation
    builds about a million of them, and tuples are several times cheaper to create."""

    id: int
    assessed_on: date
    pain: float | None
    stiffness: float | None
    function: float | None
    total: float | None
    patient_global: int | None = None
    adverse_event: str | None = None

    @property
    def valid(self) -> bool:
        """Valid = every subscale valid (the total is). Invalid forms are ignored by the rules."""
        return self.total is not None


class TreatmentRecord(NamedTuple):
    """One injection into one knee on one date."""

    id: str
    patient_id: str
    knee: str
    treated_on: date
    product: str
    route: str = "intra_articular"
    kl_grade: int | None = None
    cells_millions: float | None = None
    booster_of: str | None = None
    banked_doses: int | None = None


class DecisionRecord(NamedTuple):
    """A review decision already taken on a flag of this episode."""

    kind: str
    decision: str
    decided_at: datetime


class EpisodeInput(NamedTuple):
    """Everything the rules need about one episode (a treatment until the next one of that knee).

    ``assessments`` are the knee's assessments from 90 days before the treatment up to (not
    including) the next treatment's date, in date order, any "as of" filtering not yet applied.
    """

    treatment: TreatmentRecord
    next_treated_on: date | None
    smoker: bool
    assessments: tuple[ScoredAssessment, ...]
    decisions: tuple[DecisionRecord, ...] = ()
