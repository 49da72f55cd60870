"""The trajectory archetypes: which courses the cohort's patients follow, and in what proportions.

Each patient follows one archetype (durable responder, wearing off, safety signal, lapsed
follow-up, ...) on the index knee's latest treatment. ``EXPECTED_FLAG`` is what the app's flag
rules should say about that knee at the anchor date; the manifest records it so tests can check
the app against the generator's intent.
"""

from __future__ import annotations

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
# Archetypes that never skip a scheduled assessment (the others skip about 4 % of them, but
# never in the latest two closed windows), so nothing but their course can decide their flag.
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
# How many of the latest closed windows a lapsed patient has missed.
LAPSED_WINDOWS = {"lapsed_overdue": 1, "lapsed_lost": 2}
