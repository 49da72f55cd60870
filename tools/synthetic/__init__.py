"""Deterministic synthetic cohorts for followup: the demo data set and the benchmark cohort.

Every person, phone number and e-mail address here is invented. Each patient follows one
trajectory *archetype* (durable responder, wearing off, safety signal, lapsed follow-up, ...;
see ``ARCHETYPE_WEIGHTS``); archetypes are only written to a separate manifest file, never into
the patient data, so tests can compare the app's flags with what the generator intended.

The modules, in the order a patient is made:

- ``cohort``: archetypes and traits shared out over the cohort; writing the CSV files
- ``patient``: one patient's treatments, visits, assessments and calls
- ``people`` and ``names``: demographics, fictional phone numbers and e-mail addresses
- ``index_treatment`` and ``treatments``: product, route, grade and timing of the injections
- ``schedule``: follow-up timepoints and booster windows
- ``visits``, ``trajectories`` and ``targets``: the planned visits and the archetype's course
- ``answers`` and ``forms``: item answers that follow the course; the filled-in forms
- ``calls``: call attempts around phone visits and missed windows
- ``archetypes``, ``csv_layout``, ``notes`` and ``draws``: shared tables and helpers

Usage::

    from tools.synthetic import generate_cohort, write_csvs
    write_csvs(generate_cohort(2000, seed=1), "bench/out/cohort2000")
"""

from __future__ import annotations

from .archetypes import ARCHETYPE_WEIGHTS, EXPECTED_FLAG
from .cohort import DEFAULT_ANCHOR, Cohort, generate_cohort, write_csvs
from .csv_layout import CSV_FILES, MANIFEST_COLUMNS
from .patient import PatientRecords, Traits
from .people import CLINIC_TZ

__all__ = [
    "ARCHETYPE_WEIGHTS",
    "CLINIC_TZ",
    "CSV_FILES",
    "DEFAULT_ANCHOR",
    "EXPECTED_FLAG",
    "MANIFEST_COLUMNS",
    "Cohort",
    "PatientRecords",
    "Traits",
    "generate_cohort",
    "write_csvs",
]
