"""Deterministic synthetic cohorts for followup: the demo data set and the benchmark cohort.

Every person, phone number and e-mail address here is invented. Each patient follows one
trajectory *archetype* (durable responder, wearing off, safety signal, lapsed follow-up, ...;
see ``ARCHETYPE_WEIGHTS``); archetypes are only written to a separate manifest file, never into
the patient data, so tests can compare the app's flags with what the generator intended
(``tools/check_demo_flags.py`` does so for any seed and size, with the product's own rules).

The modules, in the order a patient is made:

- ``cohort``: archetypes and traits shared out over the cohort; writing the CSV files
- ``patient``: one patient's treatments, visits, assessments and calls
- ``people`` and ``names``: demographics, fictional phone numbers and e-mail addresses
- ``index_treatment`` and ``treatments``: product, route, grade and timing of the injections
- ``schedule`` and ``followups``: follow-up timepoints, booster windows, the visits taken
- ``visits``, ``trajectories`` and ``targets``: the planned visits and the archetype's course
- ``course``: what rule set 2026.2 will read of the course, kept while the answers are drawn
  (a knee holding its relief stays clear of every flag; signals land above the signal level)
- ``answers`` and ``forms``: item answers that follow the course; the filled-in forms
- ``calls``: call attempts around phone visits and missed windows
- ``archetypes``, ``csv_layout``, ``notes`` and ``draws``: shared tables and helpers

Usage::

    from tools.synthetic import generate_cohort, write_csvs
    write_csvs(generate_cohort(2000, seed=1), "bench/out/cohort2000")
"""

from __future__ import annotations

from .archetypes import (
    ARCHETYPE_TEXT,
    ARCHETYPE_WEIGHTS,
    CONFIRM_CALL,
    EXPECTED_FLAG,
    OTHER_KNEE_FLAGS,
)
from .cohort import DEFAULT_ANCHOR, Cohort, generate_cohort, write_csvs
from .csv_layout import CSV_FILES, MANIFEST_COLUMNS
from .patient import PatientRecords, Traits
from .people import CLINIC_TZ

__all__ = [
    "ARCHETYPE_TEXT",
    "ARCHETYPE_WEIGHTS",
    "CLINIC_TZ",
    "CONFIRM_CALL",
    "CSV_FILES",
    "DEFAULT_ANCHOR",
    "EXPECTED_FLAG",
    "MANIFEST_COLUMNS",
    "OTHER_KNEE_FLAGS",
    "Cohort",
    "PatientRecords",
    "Traits",
    "generate_cohort",
    "write_csvs",
]
