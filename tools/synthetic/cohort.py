"""The cohort: archetypes and traits shared out over the patients, and the CSV files written.

The generator is seeded: the same ``(n_patients, anchor, seed)`` always gives the same files,
byte for byte. Each patient has its own ``random.Random`` derived from the seed and the patient
number, and patients are produced one at a time, so a 100,000-patient cohort streams straight
to disk. All dates are on or before the anchor date.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .archetypes import (
    ABROAD_SHARE,
    ARCHETYPE_WEIGHTS,
    BOOSTER_ARCHETYPES,
    BOOSTER_SHARE,
    BOTH_KNEES_SHARE,
    ONE_KNEE_ARCHETYPES,
)
from .csv_layout import CSV_FILES, MANIFEST_COLUMNS
from .patient import PatientBuilder, PatientRecords, Traits

DEFAULT_ANCHOR = date(2026, 11, 21)


def _quota(n: int, weights: dict[str, float]) -> list[str]:
    """``n`` labels in the given proportions (largest remainder), unshuffled."""
    total = sum(weights.values())
    exact = {k: n * w / total for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)
    for k in by_remainder[: n - sum(counts.values())]:
        counts[k] += 1
    return [k for k in weights for _ in range(counts[k])]


@dataclass(frozen=True)
class Cohort:
    """A lazily generated synthetic cohort; iterate it to get one ``PatientRecords`` at a time."""

    n_patients: int
    anchor: date = DEFAULT_ANCHOR
    seed: int = 1
    app_user_share: float = 1 / 3  # share of patients who also self-report between timepoints

    def traits(self) -> list[Traits]:
        """Per-patient archetype and attributes in exact proportions, deterministically shuffled."""
        rng = random.Random(f"followup-cohort:{self.seed}:{self.n_patients}")
        n = self.n_patients
        archetypes = _quota(n, ARCHETYPE_WEIGHTS)
        rng.shuffle(archetypes)
        eligible = [i for i, a in enumerate(archetypes) if a in BOOSTER_ARCHETYPES]
        boosters = set(rng.sample(eligible, min(len(eligible), round(BOOSTER_SHARE * n))))
        two = [i for i, a in enumerate(archetypes) if a not in ONE_KNEE_ARCHETYPES]
        both = set(rng.sample(two, min(len(two), round(BOTH_KNEES_SHARE * n))))
        abroad = set(rng.sample(range(n), round(ABROAD_SHARE * n)))
        share = self.app_user_share
        seen: dict[str, int] = {}
        traits = []
        for i, a in enumerate(archetypes):
            # The patient's rank among those of its archetype picks a variant of its course.
            variant = seen[a] = seen.get(a, -1) + 1
            traits.append(Traits(a, i in boosters, i in both, i in abroad, share, variant))
        return traits

    def __iter__(self) -> Iterator[PatientRecords]:
        """Patients in id order; treatment ids are numbered across the cohort."""
        pid_width = max(4, len(str(self.n_patients)))
        tid_width = max(5, len(str(3 * self.n_patients)))
        counter = 0

        def new_treatment_id() -> str:
            nonlocal counter
            counter += 1
            return f"T{counter:0{tid_width}d}"

        for i, traits in enumerate(self.traits()):
            rng = random.Random(f"followup-patient:{self.seed}:{i}")
            patient_id = f"P{i + 1:0{pid_width}d}"
            yield PatientBuilder(rng, self.anchor, patient_id, traits, new_treatment_id).build()


def generate_cohort(
    n_patients: int, anchor: date = DEFAULT_ANCHOR, seed: int = 1, *, app_user_share: float = 1 / 3
) -> Cohort:
    """A deterministic synthetic cohort of ``n_patients`` with every date on or before ``anchor``.

    ``app_user_share`` is the share of patients who also send self-reports between timepoints
    (about 8 assessments per patient at the default, more with a higher share).
    """
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    if not 0 <= app_user_share <= 1:
        raise ValueError("app_user_share must be between 0 and 1")
    return Cohort(n_patients, anchor, seed, app_user_share)


def write_csvs(
    cohort: Cohort, out_dir: str | Path, manifest_path: str | Path | None = None
) -> dict[str, int]:
    """Stream the cohort into patients/treatments/assessments/contacts CSVs (DESIGN.md 7).

    The archetype manifest goes to ``manifest_path`` (default ``out_dir/manifest.csv``), never
    into the patient data. Returns the number of data rows written per file. Rows hold strings,
    ints and None (written as an empty cell: not recorded).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest_file = Path(manifest_path) if manifest_path else out / "manifest.csv"
    names = (*CSV_FILES, "manifest")
    counts = dict.fromkeys(names, 0)
    paths = [out / name for name in CSV_FILES] + [manifest_file]
    headers = [*CSV_FILES.values(), MANIFEST_COLUMNS]
    handles = [p.open("w", newline="", encoding="utf-8") for p in paths]
    try:
        writers = [csv.writer(h, lineterminator="\n") for h in handles]
        for writer, header in zip(writers, headers, strict=True):
            writer.writerow(header)
        for rec in cohort:
            groups = ([rec.patient], rec.treatments, rec.assessments, rec.contacts, [rec.manifest])
            for name, writer, rows in zip(names, writers, groups, strict=True):
                writer.writerows(rows)
                counts[name] += len(rows)
    finally:
        for h in handles:
            h.close()
    return counts
