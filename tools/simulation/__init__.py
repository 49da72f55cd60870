"""The flag-rule simulation's parts (the command and its full description:
``tools/simulate_flags.py``): the kinds of patient and their true courses (``kinds``), noisy
readings (``readings``), each patient's follow-up with its visits and confirmation calls
(``history``), the rules run over it day by day (``evaluation``), the tables (``table``) and the
check through the real command line (``via_cli``)."""

from __future__ import annotations

from collections.abc import Sequence

from followup.domain.rules import RuleSet

from .evaluation import Outcome, evaluate_history
from .history import History, simulate_patient
from .kinds import KINDS, Kind
from .readings import Noise
from .table import KindRow, rows_by_kind

__all__ = [
    "KINDS",
    "History",
    "Kind",
    "KindRow",
    "Noise",
    "Outcome",
    "evaluate_history",
    "rows_by_kind",
    "simulate",
    "simulate_patient",
]


def simulate(
    patients: int, seed: int, noise: Noise, rules: RuleSet, kinds: Sequence[Kind] = KINDS
) -> tuple[list[History], list[Outcome]]:
    """``patients`` patients of each kind (the first ``patients`` of each: a patient is the
    same in a small run as in a large one), followed and evaluated."""
    histories = [
        simulate_patient(kind, i, seed, noise, rules) for kind in kinds for i in range(patients)
    ]
    return histories, [evaluate_history(h, rules) for h in histories]
