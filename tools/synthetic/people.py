"""Synthetic patients: name, birth date, sex, contact details, time zone and risk factors.

Phone numbers come from ranges reserved for fiction (US 555-01xx, UK Ofcom drama numbers,
Australian ACMA fictitious numbers) and e-mail addresses use the reserved example.com /
example.org domains, so no generated contact detail can reach a real person.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from .csv_layout import number, yes_no
from .draws import weighted
from .names import ABROAD_TZ_WEIGHTS, NAMES, TZ_CULTURES

CLINIC_TZ = "America/Chicago"

US_AREA_CODES = {
    "America/Chicago": ("312", "773", "630", "847", "708"),
    "America/New_York": ("212", "718", "917"),
    "America/Los_Angeles": ("213", "310", "818"),
}
# Letters that Unicode does not decompose into an ASCII base letter plus an accent.
ASCII_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "ß": "ss", "đ": "d", "Đ": "D"})


def _ascii(text: str) -> str:
    """Lower-case ASCII letters, digits and dots only (for e-mail local parts)."""
    folded = unicodedata.normalize("NFKD", text.translate(ASCII_FOLD))
    return "".join(c for c in folded.lower() if c.isascii() and (c.isalnum() or c == "."))


def _fictional_phone(rng: random.Random, tz: str) -> str:
    """A phone number from a range reserved for fiction; empty now and then (not recorded)."""
    if rng.random() < 0.04:
        return ""
    if tz == "Europe/London":
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    if tz == "Australia/Sydney":
        return f"+61 2 5550 {rng.randint(0, 9999):04d}"
    area = rng.choice(US_AREA_CODES.get(tz, US_AREA_CODES[CLINIC_TZ]))
    return f"+1-{area}-555-01{rng.randint(0, 99):02d}"


def _email(rng: random.Random, given: str, family: str) -> str:
    """An example.com / example.org address built from the name; empty now and then."""
    if rng.random() < 0.07:
        return ""
    local = f"{_ascii(given)}.{_ascii(family)}"
    if rng.random() < 0.4:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(('example.com', 'example.com', 'example.org'))}"


@dataclass
class Person:
    """One synthetic patient's demographics (the patients.csv row)."""

    patient_id: str
    name: str
    birth_date: date
    sex: str
    phone: str
    email: str
    timezone: str
    site: str
    smoker: bool
    diabetes: bool
    bmi: float
    activity: str

    def row(self) -> list[object]:
        """The row in PATIENT_COLUMNS order."""
        return [
            self.patient_id,
            self.name,
            self.birth_date.isoformat(),
            self.sex,
            self.phone,
            self.email,
            self.timezone,
            self.site,
            yes_no(self.smoker),
            yes_no(self.diabetes),
            number(self.bmi),
            self.activity,
        ]


def make_person(rng: random.Random, patient_id: str, anchor: date, abroad: bool) -> Person:
    """A synthetic patient living in the clinic's time zone or, when ``abroad``, elsewhere."""
    tz = weighted(rng, ABROAD_TZ_WEIGHTS) if abroad else CLINIC_TZ
    female, male, families = NAMES[weighted(rng, TZ_CULTURES[tz])]
    sex = rng.choices(("F", "M", "X"), weights=(58, 41, 1))[0]
    given = rng.choice(female if sex == "F" or (sex == "X" and rng.random() < 0.5) else male)
    family = rng.choice(families)
    age_days = round(rng.triangular(40, 85, 63) * 365.25)
    birth = anchor - timedelta(days=age_days)
    bmi = round(min(48.0, max(18.5, rng.gauss(29.5, 5.0))), 1)
    return Person(
        patient_id=patient_id,
        name=f"{given} {family}",
        birth_date=birth,
        sex=sex,
        phone=_fictional_phone(rng, tz),
        email=_email(rng, given, family),
        timezone=tz,
        site="main" if abroad or rng.random() < 0.68 else "north",
        smoker=rng.random() < 0.12,
        diabetes=rng.random() < min(0.35, 0.06 + 0.012 * max(0.0, bmi - 25)),
        bmi=bmi,
        activity=rng.choices(("low", "moderate", "high_impact"), weights=(35, 50, 15))[0],
    )
