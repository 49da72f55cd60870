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
# The domains the gain-based rules judge (stiffness has a rule of its own).
DOMAINS = ("pain", "function")


class ScoredAssessment(NamedTuple):
    """One assessment of one knee, already scored. Entered-in-error ones never reach the rules.
    A subscale too incomplete to score is None, never 0, so validity is judged per domain."""

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
        """Every subscale valid (the total is)."""
        return self.total is not None

    @property
    def counts_for_follow_up(self) -> bool:
        """Pain and function both valid: what a scheduled (or confirmation) call needs."""
        return self.pain is not None and self.function is not None

    def value(self, domain: str) -> float | None:
        """The normalised score of ``domain`` (pain, function, stiffness), None when invalid."""
        return getattr(self, domain)  # type: ignore[no-any-return]


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
    """A review decision in force on a flag of this episode (amended or reopened ones are not
    passed to the rules). ``until``: a ``booster_scheduled`` decision's stated day."""

    kind: str
    decision: str
    decided_at: datetime
    until: date | None = None


class EpisodeInput(NamedTuple):
    """Everything the rules need about one episode (a treatment until the next one of that knee).

    ``assessments`` are the knee's assessments from 90 days before the treatment up to (not
    including) the next treatment's date, in date order, any "as of" filtering not yet applied.
    For a booster (``treatment.booster_of`` set), ``chain_treated_on`` is the date of the first
    treatment of its chain and ``chain_forms`` the knee's assessments of that treatment's
    baseline look-back, whose baseline the booster keeps.
    """

    treatment: TreatmentRecord
    next_treated_on: date | None
    smoker: bool
    assessments: tuple[ScoredAssessment, ...]
    decisions: tuple[DecisionRecord, ...] = ()
    chain_treated_on: date | None = None
    chain_forms: tuple[ScoredAssessment, ...] = ()
    next_treatment_id: str | None = None

    def superseded_as_of(self, as_of: date) -> str | None:
        """Why the episode is over on ``as_of`` ("superseded by treatment T2 on 2026-05-01"),
        or None while it is the knee's latest."""
        nxt = self.next_treated_on
        if nxt is None or nxt > as_of:
            return None
        which = f"treatment {self.next_treatment_id}" if self.next_treatment_id else "a treatment"
        return f"superseded by {which} on {nxt.isoformat()}"
