"""Deterministic synthetic cohorts for followup: the demo data set and the benchmark cohort.

Every person, phone number and e-mail address here is invented. Phones use ranges reserved for
fiction (US 555-01xx, UK Ofcom drama numbers, Australian ACMA fictitious numbers) and e-mails use
the reserved example.com / example.org domains.

The generator is stdlib only and seeded: the same ``(n_patients, anchor, seed)`` always gives the
same files. Each patient has its own ``random.Random`` derived from the seed and the patient number,
and patients are produced one at a time, so a 100,000-patient cohort streams straight to disk.

Each patient follows one trajectory *archetype* (durable responder, wearing off, safety signal,
lapsed follow-up, ...; see ``ARCHETYPE_WEIGHTS``). Archetypes are only written to a separate
manifest file, never into the patient data. Item answers are generated from a target level per
subscale (pain, stiffness, function) with a little noise; the normalised scores (raw / max x 100,
DESIGN.md 2.1) therefore follow the intended course, and the flag rules of DESIGN.md 2.3 fire for
the archetype that is meant to raise them (checked against the observed baseline and best values
while the answers are generated, so noise cannot create or hide a signal).

All dates are relative to an anchor date; nothing is dated after it.
"""

from __future__ import annotations

import calendar
import csv
import math
import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

DEFAULT_ANCHOR = date(2026, 11, 21)
CLINIC_TZ = "America/Chicago"

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

# --------------------------------------------------------------------------------------------
# Schedule (DESIGN.md 2.2) and durability (2.3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timepoint:
    """A follow-up timepoint: due ``days`` or ``months`` after treatment, +/- ``window`` days."""

    label: str
    days: int = 0
    months: int = 0
    window: int = 0

    def due(self, treated_on: date) -> date:
        """The due date of this timepoint for a treatment given on ``treated_on``."""
        if self.months:
            return add_months(treated_on, self.months)
        return treated_on + timedelta(days=self.days)


SCHEDULE = (
    Timepoint("2w", days=14, window=4),
    Timepoint("6w", days=42, window=7),
    Timepoint("3m", months=3, window=14),
    Timepoint("6m", months=6, window=21),
    Timepoint("9m", months=9, window=21),
    Timepoint("12m", months=12, window=30),
    Timepoint("18m", months=18, window=30),
    Timepoint("24m", months=24, window=45),
    Timepoint("36m", months=36, window=45),
    Timepoint("48m", months=48, window=45),
    Timepoint("60m", months=60, window=45),
)


@dataclass(frozen=True, slots=True)
class Window:
    """One timepoint of one treatment with its concrete dates."""

    label: str
    due: date
    start: date
    end: date


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clipped to the month's end (``relativedelta`` semantics)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def schedule_windows(treated_on: date, until: date) -> list[Window]:
    """The timepoint windows of a treatment that have opened by ``until``."""
    windows = []
    for tp in SCHEDULE:
        due = tp.due(treated_on)
        start = due - timedelta(days=tp.window)
        if start > until:
            break
        windows.append(Window(tp.label, due, start, due + timedelta(days=tp.window)))
    return windows


DURABILITY_MONTHS = {1: 36, 2: 36, 3: 24, 4: 9, None: 24}
IV_DURABILITY_MONTHS = 12
# The app may compute "durability - 60 days" slightly differently (e.g. 4 or 4.5 months for a
# smoker's KL4 knee), so archetypes keep this many days away from the booster window's opening.
BOOSTER_MARGIN_DAYS = 25


def booster_window_day(kl_grade: int | None, route: str, smoker: bool) -> int:
    """Approximate days after treatment when ``booster_window`` opens (durability - 60 days)."""
    months = IV_DURABILITY_MONTHS if route == "iv" else DURABILITY_MONTHS[kl_grade]
    if smoker:
        months /= 2
    return round(months * 30.4375) - 60


# --------------------------------------------------------------------------------------------
# Archetypes
# --------------------------------------------------------------------------------------------

ARCHETYPE_WEIGHTS = {
    "durable_responder": 0.40,
    "partial_responder": 0.10,
    "wearing_off": 0.065,
    "possible_wearing_off_latest": 0.025,
    "possible_wearing_off_trend": 0.025,
    "returning_stiffness": 0.025,
    "non_responder": 0.05,
    "safety_adverse_event": 0.028,
    "safety_flare": 0.022,
    "lapsed_overdue": 0.04,
    "lapsed_lost": 0.035,
    "booster_window": 0.065,
    "due_this_week": 0.10,
}
EXPECTED_FLAG = {
    "durable_responder": "",
    "partial_responder": "",
    "wearing_off": "wearing_off",
    "possible_wearing_off_latest": "possible_wearing_off",
    "possible_wearing_off_trend": "possible_wearing_off",
    "returning_stiffness": "possible_wearing_off",
    "non_responder": "no_response",
    "safety_adverse_event": "safety",
    "safety_flare": "safety",
    "lapsed_overdue": "overdue",
    "lapsed_lost": "lost_to_follow_up",
    "booster_window": "booster_window",
    "due_this_week": "due",
}
# Days since the index treatment (upper bound further limited by the booster window).
AGE_RANGES = {
    "durable_responder": (20, 1100),
    "partial_responder": (20, 800),
    "wearing_off": (300, 760),
    "possible_wearing_off_latest": (200, 700),
    "possible_wearing_off_trend": (195, 225),
    "returning_stiffness": (200, 700),
    "non_responder": (215, 700),
    "safety_adverse_event": (20, 150),
    "safety_flare": (20, 150),
    "lapsed_overdue": (60, 900),
    "lapsed_lost": (120, 900),
}
FULL_COMPLIANCE = {
    "wearing_off",
    "possible_wearing_off_latest",
    "possible_wearing_off_trend",
    "returning_stiffness",
    "non_responder",
    "safety_adverse_event",
    "safety_flare",
}
# Archetypes whose index knee may get extra between-timepoint self-reports from app users.
PORTAL_ARCHETYPES = {
    "durable_responder",
    "partial_responder",
    "booster_window",
    "due_this_week",
    "lapsed_overdue",
    "lapsed_lost",
    "non_responder",
}
APP_USER_RATE = 0.55  # self-report propensity (scheduled timepoints) of app users
BOOSTER_ARCHETYPES = set(ARCHETYPE_WEIGHTS) - {"possible_wearing_off_trend", "safety_flare"}
BOOSTER_SHARE = 0.08
BOTH_KNEES_SHARE = 0.11
ABROAD_SHARE = 0.14

# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# culture: (female given names, male given names, family names)
NAMES = {
    "english": (
        _names(
            "Mary Linda Susan Karen Nancy Deborah Sharon Carol Brenda Diane Janet Keisha Tamika"
        ),
        _names("James Robert Michael David Richard Thomas Gary Kevin Darnell Terrence Dale Wayne"),
        _names(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
            "Thompson White Harris Clark Lewis Walker Hall Young O'Brien O'Connor Whitfield "
            "Campbell-Reed Washington"
        ),
    ),
    "hispanic": (
        _names("María Guadalupe Rosa Carmen Sofía Lucía Ana Verónica Dolores Inés"),
        _names("José Luis Carlos Jesús Miguel Jorge Raúl Andrés Héctor Ramón"),
        _names(
            "García Martínez Rodríguez López Hernández González Pérez Sánchez Ramírez Núñez "
            "Ortiz Castillo Peña"
        ),
    ),
    "polish": (
        _names("Agnieszka Małgorzata Krystyna Barbara Ewa Halina"),
        _names("Łukasz Krzysztof Tomasz Andrzej Piotr Zbigniew"),
        _names("Kowalski Nowak Wiśniewski Wójcik Kamiński Lewandowski Zieliński"),
    ),
    "german": (
        _names("Ursula Monika Petra Sabine Renate Gisela Jutta"),
        _names("Jürgen Klaus Wolfgang Dieter Günter Stefan Uwe"),
        _names("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Groß"),
    ),
    "japanese": (
        _names("Keiko Yoko Michiko Hiroko Tomoko Naoko Yumi Sachiko"),
        _names("Hiroshi Takeshi Kenji Satoshi Makoto Yoshio Akira Osamu"),
        _names("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato"),
    ),
    "chinese": (
        _names("Mei Li Xiu Hui Ying Fang Lan"),
        _names("Wei Jian Ming Hao Jun Qiang Tao"),
        _names("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou"),
    ),
    "korean": (
        _names("Min-ji Seo-yeon Ji-hye Eun-ju Young-mi"),
        _names("Min-jun Seung-ho Dong-hyun Jae-won Sung-min"),
        _names("Kim Lee Park Choi Jung Kang Yoon"),
    ),
    "vietnamese": (
        _names("Linh Hương Lan Mai Thu"),
        _names("Minh Tuấn Hùng Dũng Quang"),
        _names("Nguyễn Trần Lê Phạm Hoàng Vũ"),
    ),
    "indian": (
        _names("Priya Lakshmi Anjali Sunita Kavita Meera Deepa Rekha"),
        _names("Rajesh Suresh Anil Vijay Sanjay Ramesh Arun Prakash"),
        _names("Sharma Patel Singh Kumar Reddy Iyer Nair Gupta Chatterjee Banerjee"),
    ),
    "arabic": (
        _names("Fatima Aisha Mariam Layla Noor Huda Salma"),
        _names("Mohammed Ahmed Omar Khalid Youssef Tariq Hassan"),
        _names("Al-Mansouri Al-Hashimi Haddad Khoury Nasser Saleh Al-Farsi"),
    ),
    "nigerian": (
        _names("Adaeze Ngozi Folake Funmilayo Chioma Yetunde"),
        _names("Chukwuemeka Oluwaseun Babatunde Emeka Adebayo Obinna"),
        _names("Okafor Adeyemi Okonkwo Balogun Eze Oyelaran"),
    ),
    "greek": (
        _names("Eleni Maria Dimitra Sofia Georgia"),
        _names("Georgios Dimitrios Konstantinos Nikolaos Ioannis"),
        _names("Papadopoulos Nikolaidis Georgiou Pappas Karalis"),
    ),
    "italian": (
        _names("Giuseppina Francesca Antonella Rosaria Paola"),
        _names("Giuseppe Salvatore Antonio Vincenzo Franco"),
        _names("Rossi Russo Esposito Romano Colombo Ricci Bianchi"),
    ),
    "turkish": (
        _names("Ayşe Fatma Emine Hatice Zeynep"),
        _names("Mehmet Mustafa Ahmet Hüseyin Murat"),
        _names("Yılmaz Kaya Demir Şahin Çelik Öztürk"),
    ),
    "portuguese": (
        _names("Maria Ana Francisca Antônia Adriana"),
        _names("João José Antônio Francisco Paulo"),
        _names("Silva Santos Oliveira Souza Pereira Conceição"),
    ),
}
TZ_CULTURES = {
    "America/Chicago": {
        "english": 44,
        "hispanic": 16,
        "polish": 8,
        "german": 4,
        "italian": 5,
        "greek": 3,
        "indian": 6,
        "chinese": 4,
        "korean": 3,
        "vietnamese": 2,
        "arabic": 3,
        "nigerian": 2,
    },
    "America/New_York": {"english": 50, "italian": 15, "hispanic": 15, "chinese": 10, "greek": 10},
    "America/Los_Angeles": {"english": 40, "hispanic": 30, "korean": 15, "chinese": 15},
    "America/Mexico_City": {"hispanic": 100},
    "America/Sao_Paulo": {"portuguese": 100},
    "Europe/London": {"english": 60, "indian": 25, "nigerian": 10, "polish": 5},
    "Europe/Berlin": {"german": 70, "turkish": 20, "polish": 10},
    "Asia/Tokyo": {"japanese": 100},
    "Asia/Seoul": {"korean": 100},
    "Asia/Dubai": {"arabic": 60, "indian": 40},
    "Asia/Kolkata": {"indian": 100},
    "Africa/Lagos": {"nigerian": 100},
    "Australia/Sydney": {"english": 60, "greek": 15, "vietnamese": 15, "chinese": 10},
}
ABROAD_TZ_WEIGHTS = {
    "America/New_York": 20,
    "America/Los_Angeles": 9,
    "Asia/Tokyo": 12,
    "Europe/London": 12,
    "Asia/Dubai": 10,
    "Australia/Sydney": 10,
    "Europe/Berlin": 9,
    "America/Mexico_City": 6,
    "Asia/Kolkata": 5,
    "Asia/Seoul": 3,
    "Africa/Lagos": 2,
    "America/Sao_Paulo": 2,
}
US_AREA_CODES = {
    "America/Chicago": ("312", "773", "630", "847", "708"),
    "America/New_York": ("212", "718", "917"),
    "America/Los_Angeles": ("213", "310", "818"),
}
ASCII_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "ß": "ss", "đ": "d", "Đ": "D"})


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


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
            _yes_no(self.smoker),
            _yes_no(self.diabetes),
            _number(self.bmi),
            self.activity,
        ]


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _number(value: float | None) -> str | None:
    """A decimal without a trailing ``.0`` (None stays None: an empty cell)."""
    if value is None:
        return None
    return str(int(value)) if value == int(value) else str(value)


def make_person(rng: random.Random, patient_id: str, anchor: date, abroad: bool) -> Person:
    """A synthetic patient living in the clinic's time zone or, when ``abroad``, elsewhere."""
    tz = _weighted(rng, ABROAD_TZ_WEIGHTS) if abroad else CLINIC_TZ
    female, male, families = NAMES[_weighted(rng, TZ_CULTURES[tz])]
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


# --------------------------------------------------------------------------------------------
# Treatments
# --------------------------------------------------------------------------------------------

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
            _number(self.cells_millions),
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


# --------------------------------------------------------------------------------------------
# Assessment plan and rendering
# --------------------------------------------------------------------------------------------

ITEM_COUNTS = (5, 2, 17)  # pain, stiffness, function
RAW_MAX = (20, 8, 68)
NOISE_SD = (0.35, 0.3, 0.9)  # raw units
# A stable phase stays within best + this many raw units: pain never rises above its best (one
# 5-point step between close self-reports would read as a Theil-Sen trend), stiffness stays
# under the 25-point rule, function within 3 points.
PLATEAU_CAP = (0, 1, 2)
HARD_ITEMS = ((1, 0, 2), (0,), (0, 1, 4, 15, 2, 7, 12))  # items that usually score highest
RESPONSE_PHASE_DAY = 28


def _item_orderings(n: int, hard: tuple[int, ...], count: int = 64) -> tuple[tuple[int, ...], ...]:
    """Random item orders, hard items first: extra points go to the first ones (fast to draw)."""
    rng = random.Random(f"item-orderings:{n}")
    rest = [i for i in range(n) if i not in hard]
    orders = []
    for _ in range(count):
        first, last = list(hard), list(rest)
        rng.shuffle(first)
        rng.shuffle(last)
        orders.append(tuple(first + last))
    return tuple(orders)


ITEM_ORDERINGS = tuple(_item_orderings(n, h) for n, h in zip(ITEM_COUNTS, HARD_ITEMS, strict=True))
SIGNAL_FLOOR_POINTS = 13.0  # signals sit this far above the best (rule: >= 10)
TREND_MAX_LOSS = 0.42  # a trend stays below the signal rule's 50 % loss
TREND_MIN_RATE = 11.0  # points per 90 days (rule: > 10)

ADVERSE_EVENTS = (
    "swelling and warmth for 3 days after injection",
    "knee swollen and tight for 2 days, settled with ice",
    "aching at the injection site for 48 hours",
    "effusion a week after injection; aspirated in clinic, culture negative",
    "bruising and tenderness at the fat-harvest site",
    "low-grade fever the evening after the injection, resolved next day",
    "hot, swollen knee 4 days after injection; seen same day, no infection",
)
NOTES = {
    "respond": (
        "walking further without the cane",
        "back to gardening most days",
        "managing stairs normally now",
        "started physiotherapy twice a week",
        "knee sore after a long-haul flight",
        "took ibuprofen on two days this week",
        "says the knee is much better than before the injection",
        "played 9 holes of golf last weekend",
    ),
    "signal": (
        "says the relief has been fading over the last few months",
        "stairs getting harder again",
        "asking whether a booster is due",
        "ache back most evenings",
    ),
    "trend": ("a bit more ache each month", "notices the knee more on long walks again"),
    "stiff_return": ("morning stiffness back, lasts about 40 minutes",),
    "nonresp": (
        "no real change since the injection",
        "still needs the cane on stairs",
        "disappointed; asking about other options",
    ),
    "flare": ("flare after the injection; advised rest, ice and paracetamol",),
}


@dataclass(slots=True)
class Visit:
    """One planned assessment of one knee."""

    on: date
    source: str
    phase: str = "respond"  # baseline respond signal trend stiff_return flare nonresp
    amount: float = 0.0  # signal: fraction of the improvement lost; trend: points per 90 days
    adverse_event: str = ""
    note: str = ""
    invalid: bool = False
    raw: tuple[int, ...] | None = None  # raw pain, stiffness, function sums, once rendered
    global_: int | None = None  # patient global assessment, filled in when rendered


@dataclass(slots=True)
class Episode:
    """A treatment of one knee with its planned assessments and target course."""

    treatment: Treatment
    visits: list[Visit]
    best_target: tuple[float, ...]  # normalised target best (pain, stiffness, function)
    peak_day: int
    baseline: Visit | None = None  # a visit of the previous episode, for boosters
    missed: list[Window] = field(default_factory=list)
    open_windows: list[Window] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)  # assessments.csv rows, once rendered


class _Course:
    """Observed baseline and response-phase best of an episode while its visits are rendered."""

    def __init__(self, baseline: tuple[int, ...], global_: int | None) -> None:
        self.baseline = baseline
        self.baseline_global = global_
        self.best: list[int | None] = [None, None, None]
        self.best_day: list[int] = [0, 0, 0]

    def capped(self, raw: list[int]) -> list[int]:
        """Keep a stable phase from drifting up into a signal: at most best + PLATEAU_CAP."""
        return [
            r if b is None else min(r, b + cap)
            for r, b, cap in zip(raw, self.best, PLATEAU_CAP, strict=True)
        ]

    def record(self, raw: tuple[int, ...], day: int) -> None:
        """Note a valid response-phase value (the first lowest is the best)."""
        if day < RESPONSE_PHASE_DAY:
            return
        for d in range(3):
            if self.best[d] is None or raw[d] < self.best[d]:
                self.best[d] = raw[d]
                self.best_day[d] = day


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _to_raw(points: float, d: int) -> float:
    return points * RAW_MAX[d] / 100


class _Renderer:
    """Turns an episode's planned visits into item answers following the intended course."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noisy(self, level_raw: float, d: int) -> int:
        value = round(level_raw + _noise(self.rng, NOISE_SD[d]))
        return int(_clamp(value, 0, RAW_MAX[d]))

    def baseline(self, targets: tuple[float, ...]) -> tuple[int, ...]:
        return tuple(self.noisy(_to_raw(t, d), d) for d, t in enumerate(targets))

    def respond(self, ep: Episode, course: _Course, day: int) -> list[int]:
        frac = 1.0 if day >= ep.peak_day else max(0.0, day / ep.peak_day) ** 0.5
        raw = []
        for d in range(3):
            b = course.baseline[d]
            level = b - frac * (b - _to_raw(ep.best_target[d], d))
            raw.append(self.noisy(level, d))
        return course.capped(raw) if day >= RESPONSE_PHASE_DAY else raw

    def signal(self, ep: Episode, course: _Course, day: int, loss: float) -> list[int]:
        raw = self.respond(ep, course, day)
        for d in (0, 2):
            best, b = course.best[d], course.baseline[d]
            if best is None:
                continue
            rise = max(loss * (b - best), _to_raw(SIGNAL_FLOOR_POINTS, d))
            raw[d] = int(min(RAW_MAX[d], math.ceil(best + rise) + _pick(self.rng, (0, 0, 1))))
        if course.best[1] is not None:
            raw[1] = min(RAW_MAX[1], course.best[1] + _pick(self.rng, (0, 1, 1)))
        return raw

    def trend(self, ep: Episode, course: _Course, day: int, rate: float) -> list[int]:
        """Function worsening steadily from its best, never losing half the improvement."""
        raw = self.respond(ep, course, day)
        best = course.best[2]
        if best is not None:
            last_day = (ep.visits[-1].on - ep.treatment.treated_on).days
            span = max(1, last_day - course.best_day[2])
            room = TREND_MAX_LOSS * (course.baseline[2] - best) * 100 / RAW_MAX[2]
            rate = max(TREND_MIN_RATE, min(rate, room * 90 / span))
            rise = _to_raw(rate * (day - course.best_day[2]) / 90, 2)
            raw[2] = int(min(RAW_MAX[2], round(best + rise)))
        return raw

    def stiff_return(self, ep: Episode, course: _Course, day: int) -> list[int]:
        raw = self.respond(ep, course, day)
        if course.best[1] is not None:
            raw[1] = min(RAW_MAX[1], course.best[1] + self.rng.choice((2, 3)))
        return raw

    def flare(self, course: _Course) -> list[int]:
        b = course.baseline
        return [
            min(RAW_MAX[0], b[0] + self.rng.choice((7, 8))),
            min(RAW_MAX[1], b[1] + 1),
            min(RAW_MAX[2], b[2] + self.rng.randint(4, 10)),
        ]

    def nonresp(self, course: _Course) -> list[int]:
        b = course.baseline
        return [
            int(_clamp(b[0] + self.rng.choice((-1, 0, 0, 1, 1)), 0, RAW_MAX[0])),
            int(_clamp(b[1] + self.rng.choice((-1, 0, 0, 1)), 0, RAW_MAX[1])),
            int(_clamp(round(b[2] + self.rng.gauss(1.5, 2.0)), max(0, b[2] - 3), RAW_MAX[2])),
        ]

    def raw_for(self, ep: Episode, course: _Course, visit: Visit) -> tuple[int, ...]:
        day = (visit.on - ep.treatment.treated_on).days
        if visit.phase == "signal":
            raw = self.signal(ep, course, day, visit.amount)
        elif visit.phase == "trend":
            raw = self.trend(ep, course, day, visit.amount)
        elif visit.phase == "stiff_return":
            raw = self.stiff_return(ep, course, day)
        elif visit.phase == "flare":
            raw = self.flare(course)
        elif visit.phase == "nonresp":
            raw = self.nonresp(course)
        else:
            raw = self.respond(ep, course, day)
        return tuple(raw)

    def items(self, raw: Sequence[int]) -> list[int | None]:
        """Spread each subscale's raw sum over its items, harder activities scoring higher."""
        answers: list[int | None] = []
        for d, total in enumerate(raw):
            n = ITEM_COUNTS[d]
            base, extra = divmod(total, n)
            values = [base] * n
            order = ITEM_ORDERINGS[d][self.rng.getrandbits(6)]
            for i in order[:extra]:
                values[i] += 1
            hard, easy = order[0], order[-1]
            if n > 2 and values[easy] > 0 and values[hard] < 4 and self.rng.random() < 0.5:
                values[easy] -= 1  # same sum, more natural shape
                values[hard] += 1
            answers.extend(values)
        return answers

    def skip_items(self, answers: list[int | None], raw: Sequence[int]) -> None:
        """Leave 1-3 items blank whose answer equals their subscale's mean (imputation ~exact)."""
        count = self.rng.choice((1, 1, 2, 3))
        pain_mean = round(raw[0] / 5)
        function_mean = round(raw[2] / 17)
        candidates = [i for i in range(7, 24) if answers[i] == function_mean]
        if self.rng.random() < 0.3:
            candidates = [i for i in range(5) if answers[i] == pain_mean][:1]
            count = 1
        for i in self.rng.sample(candidates, min(count, len(candidates))):
            answers[i] = None

    def invalidate(self, answers: list[int | None]) -> None:
        """A form with two or more pain items unanswered: its pain score is invalid."""
        for i in self.rng.sample(range(5), self.rng.choice((2, 2, 3))):
            answers[i] = None


def _noise(rng: random.Random, sd: float) -> float:
    """Cheap zero-mean noise with standard deviation ``sd`` (triangular; gauss is slower)."""
    return (rng.random() + rng.random() - 1.0) * sd * 2.449489742783178


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    """``rng.choice`` without its rejection-sampling overhead (hot path)."""
    return options[int(rng.random() * len(options))]


def _global_for(rng: random.Random, pain: float, function: float) -> int:
    return int(_clamp(round((pain + function) / 2 + _noise(rng, 6)), 0, 100))


def _nrs_for(rng: random.Random, pain: float) -> int:
    return int(_clamp(round(pain / 10 + _noise(rng, 0.8)), 0, 10))


# --------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------

CALL_NOTES = {
    "reached": (
        "completed questionnaire by phone",
        "completed questionnaire by phone",
        "completed questionnaire; reminded about the self-report link",
        "completed questionnaire; patient asked about booster costs",
        "completed questionnaire; spoke with spouse first",
    ),
    "voicemail": ("left voicemail with callback number", "left voicemail; will retry in 2 days"),
    "no_answer": ("no answer", "no answer; sent reminder e-mail", "rang out, no voicemail"),
    "wrong_number": ("number answered by someone else; e-mailed patient to confirm phone",),
    "declined": (
        "patient busy, asked to be called back later this week",
        "patient declined today's questions; prefers to self-report",
    ),
}


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def call_time(rng: random.Random, day: date, tz: str, anchor: date) -> datetime:
    """A call during the patient's local working hours, at the latest the day before the anchor:
    the demo is loaded at any hour of its anchor day, and a call later that day would be in the
    future then."""
    day = min(day, anchor - timedelta(days=1))
    at = time(9 + int(rng.random() * 9), 5 * int(rng.random() * 12))
    return datetime.combine(day, at, _zone(tz))


# --------------------------------------------------------------------------------------------
# Patient builder
# --------------------------------------------------------------------------------------------


@dataclass
class PatientRecords:
    """Everything generated for one patient, as CSV rows, plus its manifest row."""

    patient: list[object]
    treatments: list[list[object]]
    assessments: list[list[object]]
    contacts: list[list[object]]
    manifest: list[object]


@dataclass(frozen=True)
class Traits:
    """Cohort-level choices for one patient (drawn with quotas so small cohorts get them too)."""

    archetype: str
    booster: bool
    both_knees: bool
    abroad: bool
    app_user_share: float = 1 / 3


class _PatientBuilder:
    """Builds one patient's treatments, assessments and calls for a given archetype."""

    def __init__(
        self,
        rng: random.Random,
        anchor: date,
        patient_id: str,
        traits: Traits,
        new_treatment_id: Callable[[], str],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.traits = traits
        self.arch = traits.archetype
        self.new_treatment_id = new_treatment_id
        self.person = make_person(rng, patient_id, anchor, traits.abroad)
        app_user = rng.random() < traits.app_user_share
        self.self_report_rate = APP_USER_RATE if app_user else rng.choice((0.1, 0.3))
        self.renderer = _Renderer(rng)
        self.episodes: list[Episode] = []
        self.forced_open = ""  # due_this_week: the timepoint left open at the anchor
        self.lapse = {"lapsed_overdue": 1, "lapsed_lost": 2}.get(self.arch, 0)

    # -- treatment choices ---------------------------------------------------------------

    def _product(self) -> str:
        if self.traits.booster:
            return "adsc_cultured"
        weights = NON_RESPONDER_PRODUCT_WEIGHTS if self.arch == "non_responder" else PRODUCT_WEIGHTS
        return _weighted(self.rng, weights)

    def _route(self, product: str) -> str:
        iv = product in IV_PRODUCTS and not self.traits.booster and self.rng.random() < 0.07
        return "iv" if iv else "intra_articular"

    def _kl(self) -> int | None:
        return self.rng.choices(tuple(KL_WEIGHTS), weights=tuple(KL_WEIGHTS.values()))[0]

    def _treatment(self, knee: str, on: date, product: str, route: str, kl: int | None):
        return Treatment(
            treatment_id=self.new_treatment_id(),
            patient_id=self.person.patient_id,
            knee=knee,
            treated_on=on,
            product=product,
            cells_millions=cells_for(self.rng, product, route),
            route=route,
            kl_grade=kl,
            banked_doses=initial_banked_doses(self.rng, product),
        )

    # -- timing ----------------------------------------------------------------------------

    def _age(self, kl: int | None, route: str) -> int | None:
        """Days since the index treatment, or None when this grade cannot fit the archetype."""
        opens = booster_window_day(kl, route, self.person.smoker)
        if self.arch == "booster_window":
            return opens + BOOSTER_MARGIN_DAYS + self.rng.randint(0, 240)
        if self.arch == "due_this_week":
            return self._due_this_week_age(opens - BOOSTER_MARGIN_DAYS)
        low, high = AGE_RANGES[self.arch]
        high = min(high, opens - BOOSTER_MARGIN_DAYS)
        if low > high:
            return None
        return self.rng.randint(low, high)

    def _due_this_week_age(self, max_age: int) -> int | None:
        """An age at which a timepoint is due within 7 days and its window includes the anchor."""
        for _ in range(20):
            tp = self.rng.choice(SCHEDULE[:8])  # 2w .. 24m
            due = self.anchor + timedelta(days=self.rng.randint(0, min(6, tp.window)))
            if tp.months:
                treated = add_months(due, -tp.months)
            else:
                treated = due - timedelta(days=tp.days)
            age = (self.anchor - treated).days
            if tp.due(treated) == due and 10 <= age <= max_age:
                self.forced_open = tp.label
                return age
        return None

    def _plan_index_clinical(self) -> tuple[str, str, int | None, int]:
        product = self._product()
        for _ in range(40):
            route, kl = self._route(product), self._kl()
            age = self._age(kl, route)
            if age is not None:
                return product, route, kl, age
        return product, "intra_articular", 2, self._age(2, "intra_articular") or 30

    # -- visits ----------------------------------------------------------------------------

    def _source(self) -> str:
        r = self.rng.random()
        if r < self.self_report_rate:
            return "self_report"
        return "phone" if r < 0.93 else _pick(self.rng, ("clinic", "paper"))

    def _jittered(self, w: Window) -> date:
        """A date near the due date, inside the window, a little late more often than early."""
        width = (w.end - w.due).days
        offset = round(self.rng.triangular(-0.8 * width, 0.9 * width, 0))
        return w.due + timedelta(days=offset)

    def _followups(
        self, treated: date, next_treated: date | None, lapse: int = 0, forced_open: str = ""
    ) -> tuple[list[Visit], list[Window], list[Window]]:
        """Follow-up visits near the schedule, plus missed and still-open windows."""
        until = self.anchor if next_treated is None else min(self.anchor, next_treated)
        windows = [w for w in schedule_windows(treated, until) if w.due < until or not next_treated]
        closed = [i for i, w in enumerate(windows) if w.end < self.anchor]
        protected = set(closed[-2:])
        first_missed = closed[-lapse] if lapse and len(closed) >= lapse else None
        visits, missed, still_open = [], [], []
        for i, w in enumerate(windows):
            skip_rate = 0.0 if self.arch in FULL_COMPLIANCE or i in protected else 0.04
            lapsed = first_missed is not None and i >= first_missed
            on = self._jittered(w)
            if next_treated is not None and on >= next_treated:
                on = next_treated - timedelta(days=1)
            if lapsed or w.label == forced_open or on > self.anchor:
                (missed if w.end < self.anchor else still_open).append(w)
                continue
            if self.rng.random() < skip_rate:
                missed.append(w)
                continue
            visits.append(Visit(on, self._source()))
        return visits, missed, still_open

    def _baseline_visit(self, treated: date) -> Visit:
        on = treated - timedelta(days=self.rng.randint(0, 30))
        return Visit(on, "clinic" if self.rng.random() < 0.6 else "phone", phase="baseline")

    # -- targets ---------------------------------------------------------------------------

    def _baseline_targets(self) -> tuple[float, float, float]:
        if self.arch == "safety_flare":
            pain = self.rng.uniform(35, 55)
        else:
            pain = self.rng.uniform(45, 75)
        if self.arch == "possible_wearing_off_trend":
            function = self.rng.uniform(64, 76)
        else:
            function = self.rng.uniform(40, 72)
        return pain, self.rng.uniform(45, 75), function

    def _best_targets(self, base: tuple[float, ...], arch: str) -> tuple[float, ...]:
        least = 15.0  # points better at the peak, so the responder criterion holds after boosters
        if arch == "partial_responder":
            gains = [self.rng.uniform(0.3, 0.42) for _ in range(3)]
            least = 18.0
        elif arch == "possible_wearing_off_trend":
            gains = [self.rng.uniform(0.55, 0.7), self.rng.uniform(0.5, 0.7), 0.74]
        elif arch == "pre_booster":  # leaves room for the booster to improve things further
            gains = [self.rng.uniform(0.45, 0.58) for _ in range(3)]
        else:
            gains = [self.rng.uniform(0.55, 0.75) for _ in range(3)]
        return tuple(
            max(0.0, min(b * (1 - g), b - least)) for b, g in zip(base, gains, strict=True)
        )

    # -- building --------------------------------------------------------------------------

    def build(self) -> PatientRecords:
        """Generate the patient's treatments, assessments and calls."""
        knee = self.rng.choice(("left", "right"))
        product, route, kl, age = self._plan_index_clinical()
        treated = self.anchor - timedelta(days=age)
        if self.traits.booster:
            index = self._booster_history(knee, treated, kl)
        else:
            index = self._treatment(knee, treated, product, route, kl)
            self._index_episode(index, baseline=None)
        if self.traits.both_knees:
            self._second_knee(index)
        return self._records(index)

    def _index_episode(self, t: Treatment, baseline: Visit | None) -> Episode:
        visits, missed, still_open = self._followups(
            t.treated_on, None, self.lapse, self.forced_open
        )
        base: tuple[float, ...] = self._baseline_targets()
        if baseline is not None and baseline.raw is not None:
            base = tuple(100 * r / m for r, m in zip(baseline.raw, RAW_MAX, strict=True))
        ep = Episode(
            treatment=t,
            visits=visits,
            best_target=self._best_targets(base, self.arch),
            peak_day=self.rng.randint(60, 150),
            baseline=baseline,
            missed=missed,
            open_windows=still_open,
        )
        if baseline is None:
            ep.visits.insert(0, self._baseline_visit(t.treated_on))
            self._render_baseline(ep, base)
        if self.arch in PORTAL_ARCHETYPES and self.self_report_rate == APP_USER_RATE:
            self._portal_reports(ep)
        self._shape_index(ep)
        self._finish(ep)
        return ep

    def _booster_history(self, knee: str, treated: date, kl: int | None) -> Treatment:
        """An earlier culture-expanded treatment of the knee, then the booster from its bank."""
        gap = self.rng.choice((self.rng.randint(440, 505), self.rng.randint(620, 680)))
        first_on = treated - timedelta(days=gap)
        first = self._treatment(knee, first_on, "adsc_cultured", "intra_articular", kl)
        first.banked_doses = self.rng.randint(1, 4)
        visits, missed, _ = self._followups(first_on, treated)
        last_visit = max((v.on for v in visits), default=first_on)
        pre = Visit(
            max(treated - timedelta(days=self.rng.randint(0, 30)), last_visit + timedelta(days=20)),
            "clinic" if self.rng.random() < 0.6 else "phone",
        )
        if pre.on > treated:
            pre.on = treated
        base = self._baseline_targets()
        earlier = Episode(
            treatment=first,
            visits=[self._baseline_visit(first_on), *visits, pre],
            best_target=self._best_targets(base, "pre_booster"),
            peak_day=self.rng.randint(60, 150),
            missed=missed,
        )
        self._render_baseline(earlier, base)
        self._finish(earlier)  # the booster's baseline (``pre``) needs its values now
        booster = Treatment(
            treatment_id=self.new_treatment_id(),
            patient_id=self.person.patient_id,
            knee=knee,
            treated_on=treated,
            product="adsc_cultured",
            cells_millions=first.cells_millions,
            route="intra_articular",
            kl_grade=kl,
            booster_of=first.treatment_id,
            banked_doses=first.banked_doses - 1,
        )
        self._index_episode(booster, baseline=pre)
        return booster

    def _second_knee(self, index: Treatment) -> None:
        """The other knee, treated the same day (mostly) or a little later; a plain responder."""
        index_ep = next(e for e in self.episodes if e.treatment is index)
        knee = "left" if index.knee == "right" else "right"
        later = self.rng.random() < 0.25 and (self.anchor - index.treated_on).days > 90
        on = index.treated_on + timedelta(days=self.rng.randint(7, 60) if later else 0)
        kl = self._second_kl((self.anchor - on).days)
        product = index.product if index.route != "iv" else "adsc_cultured"
        t = self._treatment(knee, on, product, "intra_articular", kl)
        if index.banked_doses is not None and product == index.product and not later:
            t.banked_doses = max(0, index.banked_doses - 1)
        base = self._baseline_targets()
        arch = self.rng.choice(("durable_responder", "durable_responder", "partial_responder"))
        if later or index_ep.baseline is not None:
            visits, missed, still_open = self._followups(on, None, self.lapse)
            visits.insert(0, self._baseline_visit(on))
        else:
            visits = [Visit(v.on, v.source) for v in index_ep.visits if not v.invalid]
            missed, still_open = index_ep.missed, index_ep.open_windows
        visits[0].phase = "baseline"
        ep = Episode(
            treatment=t,
            visits=visits,
            best_target=self._best_targets(base, arch),
            peak_day=self.rng.randint(60, 150),
            missed=missed,
            open_windows=still_open,
        )
        self._render_baseline(ep, base)
        self._finish(ep)

    def _second_kl(self, age: int) -> int | None:
        """A grade whose booster window stays closed (unless the archetype wants it open)."""
        for _ in range(20):
            kl = self._kl()
            opens = booster_window_day(kl, "intra_articular", self.person.smoker)
            if self.arch == "booster_window" or age <= opens - BOOSTER_MARGIN_DAYS:
                return kl
        return 1

    # -- archetype shaping -----------------------------------------------------------------

    def _response_visits(self, ep: Episode) -> list[Visit]:
        start = ep.treatment.treated_on + timedelta(days=RESPONSE_PHASE_DAY)
        return [v for v in ep.visits if v.on >= start and v.phase != "baseline"]

    def _shape_index(self, ep: Episode) -> None:
        """Set the phases of the index episode's visits for the patient's archetype."""
        arch = self.arch
        resp = self._response_visits(ep)
        if arch == "wearing_off":
            self._signal_run(ep, resp, self.rng.choice((2, 2, 3)))
        elif arch == "possible_wearing_off_latest":
            self._signal_run(ep, resp, 1)
        elif arch == "possible_wearing_off_trend":
            self._trend(ep)
        elif arch == "returning_stiffness":
            self._stiffness_return(ep, resp)
        elif arch == "non_responder":
            for v in ep.visits:
                if v.phase != "baseline":
                    v.phase = "nonresp"
        elif arch == "safety_adverse_event":
            self._adverse_event(ep)
        elif arch == "safety_flare":
            self._flare(ep)
        if arch not in ("non_responder", "safety_flare", "safety_adverse_event"):
            self._maybe_invalid_form(ep)

    def _signal_run(self, ep: Episode, resp: list[Visit], length: int) -> None:
        """The last ``length`` response-phase visits signal; the best comes before them."""
        length = max(1, min(length, len(resp) - 2))
        run = resp[-length:]
        first_signal_day = (run[0].on - ep.treatment.treated_on).days
        before = (resp[-length - 1].on - ep.treatment.treated_on).days
        ep.peak_day = min(ep.peak_day, before, first_signal_day - 1)
        losses = sorted(self.rng.uniform(0.62, 0.95) for _ in run)
        for visit, loss in zip(run, losses, strict=True):
            visit.phase, visit.amount = "signal", loss
            if self.rng.random() < 0.35:
                visit.note = self.rng.choice(NOTES["signal"])

    def _trend(self, ep: Episode) -> None:
        """Best at the 3-month visit, then monthly self-reports with function steadily worse."""
        treated = ep.treatment.treated_on
        resp = self._response_visits(ep)
        peak = min(resp, key=lambda v: abs((v.on - treated).days - 91))
        ep.peak_day = (peak.on - treated).days
        taken = {v.on for v in ep.visits}
        on = peak.on + timedelta(days=self.rng.randint(21, 28))
        while on <= self.anchor:
            if all(abs((on - d).days) >= 10 for d in taken):
                ep.visits.append(Visit(on, "self_report"))
            on += timedelta(days=self.rng.randint(21, 28))
        ep.visits.sort(key=lambda v: v.on)
        rate = self.rng.uniform(13.0, 15.0)
        for v in ep.visits:
            if v.on > peak.on:
                v.phase, v.amount = "trend", rate

    def _portal_reports(self, ep: Episode) -> None:
        """Self-reports between timepoints: monthly in the first year, then quarterly.

        They never fall inside a missed or still-open window (that would complete it) nor after
        a lapsed patient stopped answering.
        """
        blocked = ep.missed + ep.open_windows
        stop = self.anchor + timedelta(days=1)
        if self.lapse and blocked:
            stop = min(w.start for w in blocked)
        taken = [v.on for v in ep.visits]
        treated = ep.treatment.treated_on
        on = treated + timedelta(days=self.rng.randint(25, 40))
        while on < stop and on <= self.anchor:
            free = all(abs((on - d).days) >= 20 for d in taken)
            if free and not any(w.start <= on <= w.end for w in blocked):
                ep.visits.append(Visit(on, "self_report"))
                taken.append(on)
            step = (28, 40) if (on - treated).days < 365 else (80, 110)
            on += timedelta(days=self.rng.randint(*step))
        ep.visits.sort(key=lambda v: v.on)

    def _stiffness_return(self, ep: Episode, resp: list[Visit]) -> None:
        count = 2 if len(resp) >= 4 and self.rng.random() < 0.5 else 1
        for v in resp[-count:]:
            v.phase = "stiff_return"
            if self.rng.random() < 0.5:
                v.note = NOTES["stiff_return"][0]

    def _early_check(self, ep: Episode, low: int, high: int) -> Visit:
        """A post-injection phone check a few days after treatment."""
        on = ep.treatment.treated_on + timedelta(days=self.rng.randint(low, high))
        visit = Visit(on, "phone")
        ep.visits.append(visit)
        ep.visits.sort(key=lambda v: v.on)
        return visit

    def _adverse_event(self, ep: Episode) -> None:
        early = [v for v in ep.visits if v.phase != "baseline"]
        if early and self.rng.random() < 0.5:
            visit = early[0]
        else:
            visit = self._early_check(ep, 2, 7)
        visit.adverse_event = self.rng.choice(ADVERSE_EVENTS)

    def _flare(self, ep: Episode) -> None:
        early = [v for v in ep.visits if v.phase != "baseline"]
        if early and self.rng.random() < 0.5:
            visit = early[0]
        else:
            visit = self._early_check(ep, 3, 9)
        visit.phase, visit.source = "flare", "phone"  # the coordinator calls the patient back
        visit.note = NOTES["flare"][0]

    def _maybe_invalid_form(self, ep: Episode) -> None:
        """Now and then a paper form comes back with pain items blank, a few days before a call."""
        if self.rng.random() >= 0.05:
            return
        resp = [v for v in self._response_visits(ep) if v.phase == "respond"]
        if not resp:
            return
        target = self.rng.choice(resp)
        on = target.on - timedelta(days=self.rng.randint(2, 5))
        if on <= ep.treatment.treated_on or any(v.on == on for v in ep.visits):
            return
        ep.visits.append(Visit(on, "paper", invalid=True, note="form returned incomplete"))
        ep.visits.sort(key=lambda v: v.on)

    # -- rendering ---------------------------------------------------------------------------

    def _render_baseline(self, ep: Episode, targets: tuple[float, ...]) -> None:
        """Values of the episode's own baseline visit (its first), needed before the rest."""
        visit = ep.visits[0]
        visit.phase = "baseline"
        visit.raw = self.renderer.baseline(targets)
        if self.rng.random() < 0.75:
            visit.global_ = _global_for(self.rng, 5 * visit.raw[0], 100 * visit.raw[2] / 68)

    def _finish(self, ep: Episode) -> None:
        """Render the episode's visits into assessment rows, in date order."""
        baseline = ep.baseline if ep.baseline is not None else ep.visits[0]
        assert baseline.raw is not None, "baselines are rendered first"
        course = _Course(baseline.raw, baseline.global_)
        treated = ep.treatment.treated_on
        for v in ep.visits:
            day = (v.on - treated).days
            if v.invalid:
                v.raw = tuple(self.renderer.respond(ep, course, day))
            elif v.phase != "baseline":
                v.raw = self.renderer.raw_for(ep, course, v)
                course.record(v.raw, day)
            ep.rows.append(self._assessment_row(ep, v, course))
        self.episodes.append(ep)

    def _assessment_row(self, ep: Episode, v: Visit, course: _Course) -> list[object]:
        raw = v.raw
        assert raw is not None, "visits are rendered before their row"
        answers = self.renderer.items(raw)
        if v.invalid:
            self.renderer.invalidate(answers)
        elif v.phase in ("respond", "baseline", "nonresp") and self.rng.random() < 0.03:
            self.renderer.skip_items(answers, raw)
        pain, function = 100 * raw[0] / 20, 100 * raw[2] / 68
        nrs = _nrs_for(self.rng, pain) if self.rng.random() < 0.55 else None
        global_ = self._global(v, course, pain, function)
        note = v.note or self._note(v)
        return [
            self.person.patient_id,
            ep.treatment.knee,
            v.on.isoformat(),
            v.source,
            *answers,
            nrs,
            global_,
            v.adverse_event,
            note,
        ]

    def _global(self, v: Visit, course: _Course, pain: float, function: float) -> int | None:
        if v.phase == "baseline" or self.rng.random() >= 0.65:
            return v.global_
        value = _global_for(self.rng, pain, function)
        if v.phase == "nonresp" and course.baseline_global is not None:
            value = max(value, course.baseline_global - 5)
        v.global_ = value
        return value

    def _note(self, v: Visit) -> str:
        notes = NOTES.get(v.phase)
        if notes and self.rng.random() < 0.08:
            return _pick(self.rng, notes)
        return ""

    # -- calls -----------------------------------------------------------------------------

    def _calls(self) -> list[list[object]]:
        """Call attempts around phone visits, in missed windows and for calls due now."""
        tz = self.person.timezone
        calls: list[tuple[datetime, str]] = []
        phone_days = sorted({v.on for e in self.episodes for v in e.visits if v.source == "phone"})
        for day in phone_days:
            calls += self._attempts_before(day, _pick(self.rng, (0, 0, 0, 1, 1, 2)))
            calls.append((call_time(self.rng, day, tz, self.anchor), "reached"))
        # Both knees treated the same day share their windows: one set of attempts per window.
        missed = {(w.start, w.end) for ep in self.episodes for w in ep.missed}
        still_open = {w.start for ep in self.episodes for w in ep.open_windows}
        for start, end in sorted(missed):
            tries = self.rng.randint(2, 4) if self.lapse else 1
            calls += self._attempts_in(start, min(end, self.anchor), tries)
        for start in sorted(still_open):
            calls += self._attempts_in(start, self.anchor, self.rng.choice((0, 1, 2)))
        # One call per minute: attempts moved off the anchor day can land on the same time.
        calls = sorted(dict(sorted(set(calls), reverse=True)).items())
        return [
            [self.person.patient_id, when.isoformat(), outcome, self._call_note(outcome)]
            for when, outcome in calls
        ]

    def _failed_outcome(self) -> str:
        r = self.rng.random()
        if r < 0.03:
            return "wrong_number"
        if r < 0.07 or (self.arch == "lapsed_lost" and r < 0.15):
            return "declined"
        return "voicemail" if r < 0.55 else "no_answer"

    def _attempts_before(self, day: date, count: int) -> list[tuple[datetime, str]]:
        out = []
        for back in sorted(self.rng.sample(range(1, 5), count)):
            when = call_time(
                self.rng, day - timedelta(days=back), self.person.timezone, self.anchor
            )
            out.append((when, self._failed_outcome()))
        return out

    def _attempts_in(self, start: date, end: date, count: int) -> list[tuple[datetime, str]]:
        span = (end - start).days
        if span < 0 or count == 0:
            return []
        days = sorted(self.rng.sample(range(span + 1), min(count, span + 1)))
        return [
            (
                call_time(self.rng, start + timedelta(days=d), self.person.timezone, self.anchor),
                self._failed_outcome(),
            )
            for d in days
        ]

    def _call_note(self, outcome: str) -> str:
        note = _pick(self.rng, CALL_NOTES[outcome])
        if outcome == "reached" and self.person.timezone != CLINIC_TZ and self.rng.random() < 0.3:
            note += f" (patient's local time, {self.person.timezone})"
        return note

    # -- output ----------------------------------------------------------------------------

    def _records(self, index: Treatment) -> PatientRecords:
        treatments = sorted((e.treatment for e in self.episodes), key=lambda t: t.treatment_id)
        rows = [row for ep in self.episodes for row in ep.rows]
        rows.sort(key=lambda r: (r[2], r[1]))
        manifest = [
            self.person.patient_id,
            self.arch,
            EXPECTED_FLAG[self.arch],
            index.knee,
            index.treatment_id,
            _yes_no(self.traits.booster),
            _yes_no(self.traits.both_knees),
            self.person.timezone,
        ]
        return PatientRecords(
            patient=self.person.row(),
            treatments=[t.row() for t in treatments],
            assessments=rows,
            contacts=self._calls(),
            manifest=manifest,
        )


# --------------------------------------------------------------------------------------------
# Cohort
# --------------------------------------------------------------------------------------------


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
        boosters = set(rng.sample(eligible, round(BOOSTER_SHARE * n)))
        both = set(rng.sample(range(n), round(BOTH_KNEES_SHARE * n)))
        abroad = set(rng.sample(range(n), round(ABROAD_SHARE * n)))
        share = self.app_user_share
        return [
            Traits(a, i in boosters, i in both, i in abroad, share)
            for i, a in enumerate(archetypes)
        ]

    def __iter__(self) -> Iterator[PatientRecords]:
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
            yield _PatientBuilder(rng, self.anchor, patient_id, traits, new_treatment_id).build()


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
