"""The columns of the files the generator writes, and how a value becomes a CSV cell.

The four data files are exactly what ``followup import`` reads (DESIGN.md 7); the manifest holds
each patient's archetype and is written to a separate file, never among the patient data.
"""

from __future__ import annotations

PAIN_ITEMS = tuple(f"p{i}" for i in range(1, 6))
STIFFNESS_ITEMS = ("s1", "s2")
FUNCTION_ITEMS = tuple(f"f{i}" for i in range(1, 18))
ITEM_KEYS = PAIN_ITEMS + STIFFNESS_ITEMS + FUNCTION_ITEMS

PATIENT_COLUMNS = (
    "patient_id",
    "name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "timezone",
    "site",
    "smoker",
    "diabetes",
    "bmi",
    "activity",
)
TREATMENT_COLUMNS = (
    "treatment_id",
    "patient_id",
    "knee",
    "treated_on",
    "product",
    "cells_millions",
    "route",
    "kl_grade",
    "booster_of",
    "banked_doses",
)
ASSESSMENT_COLUMNS = (
    "patient_id",
    "knee",
    "assessed_on",
    "source",
    *ITEM_KEYS,
    "pain_nrs",
    "global",
    "adverse_event",
    "note",
)
CONTACT_COLUMNS = ("patient_id", "contacted_at", "outcome", "note")
MANIFEST_COLUMNS = (
    "patient_id",
    "archetype",
    "expected_flag",
    "index_knee",
    "index_treatment_id",
    "booster",
    "both_knees",
    "timezone",
)
CSV_FILES = {
    "patients.csv": PATIENT_COLUMNS,
    "treatments.csv": TREATMENT_COLUMNS,
    "assessments.csv": ASSESSMENT_COLUMNS,
    "contacts.csv": CONTACT_COLUMNS,
}


def yes_no(flag: bool) -> str:
    """A yes/no cell, as the import expects for smoker, diabetes and the manifest's flags."""
    return "yes" if flag else "no"


def number(value: float | None) -> str | None:
    """A decimal without a trailing ``.0`` (None stays None: an empty cell)."""
    if value is None:
        return None
    return str(int(value)) if value == int(value) else str(value)
