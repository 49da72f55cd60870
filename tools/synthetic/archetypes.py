"""The trajectory archetypes: which courses the cohort's patients follow, and in what proportions.

Each patient follows one archetype (durable responder, wearing off, safety signal, lapsed
follow-up, ...) on the index knee's latest treatment. ``EXPECTED_FLAG`` is what the app's flag
rules (rule set ``followup-2026.2``) should say about that knee at the anchor date; the manifest
records it so tests can check the app against the generator's intent: it is the only flag open on
the index knee, and ``OTHER_KNEE_FLAGS`` names what the patient's other knee may show.

Three roads lead to ``possible_wearing_off`` (DESIGN.md 2.3): a first signal whose confirmation
call window closed unanswered, a worsening trend below the signal level, and returning stiffness.
Two archetypes are there for the demo loader's story (``services/demo.py``): a wearing-off knee
with banked doses for which a booster is scheduled and then recorded, and a wearing-off knee
whose decision is reopened; the loader, not the generator, makes those decisions.
"""

from __future__ import annotations

ARCHETYPE_WEIGHTS = {
    "durable_responder": 0.365,
    "partial_responder": 0.09,
    "wearing_off": 0.06,
    "possible_wearing_off_unconfirmed": 0.02,
    "possible_wearing_off_trend": 0.02,
    "returning_stiffness": 0.02,
    "confirmation_due": 0.017,
    "non_responder": 0.045,
    "safety_adverse_event": 0.025,
    "safety_flare": 0.02,
    "lapsed_overdue": 0.04,
    "lapsed_lost": 0.035,
    "booster_window": 0.06,
    "due_this_week": 0.09,
    "no_baseline": 0.015,
    "booster_story": 0.005,
    "reopen_story": 0.005,
}
EXPECTED_FLAG = {
    "durable_responder": "",
    "partial_responder": "",
    "wearing_off": "wearing_off",
    "possible_wearing_off_unconfirmed": "possible_wearing_off",
    "possible_wearing_off_trend": "possible_wearing_off",
    "returning_stiffness": "possible_wearing_off",
    "confirmation_due": "",  # a confirmation call on the worklist, no flag yet
    "non_responder": "no_response",
    "safety_adverse_event": "safety",
    "safety_flare": "safety",
    "lapsed_overdue": "overdue",
    "lapsed_lost": "lost_to_follow_up",
    "booster_window": "booster_window",
    "due_this_week": "due",
    "no_baseline": "no_baseline",
    "booster_story": "wearing_off",
    "reopen_story": "wearing_off",
}
# What each archetype's course is, in the words of the demo's README.
ARCHETYPE_TEXT = {
    "durable_responder": "pain and function 55-75 % better by 3-6 months (boosted knees: 15+ "
    "points below the pre-booster level), and staying there, with everyday ups and downs",
    "partial_responder": "a smaller but real improvement (30-42 %, 22+ points): a responder "
    "by OMERACT-OARSI (two of pain, function and global 20 % and 10 points better)",
    "wearing_off": "a confirmed responder whose pain or function came back to its signal "
    "level: mostly at a scheduled visit confirmed by the confirmation call two weeks later; "
    "now and then the call went unanswered and the next visit confirmed it",
    "possible_wearing_off_unconfirmed": "a confirmed responder with one signal at its latest "
    "visit (9-18 months); the confirmation call 14-28 days later rang out, and no visit is "
    "due since",
    "possible_wearing_off_trend": "a steady best at 6 weeks and 3 months, then self-reports "
    "every three weeks with function worse by about 13-15 points per 90 days, still below "
    "the signal level",
    "returning_stiffness": "pain and function holding; stiffness at the latest two visits 3+ "
    "of 8 raw points above its own best level",
    "confirmation_due": "a confirmed responder whose first signal was saved a few days before "
    "the anchor (or about two weeks before: the call is due now); the knee's current call is "
    "its confirmation call, no flag yet",
    "non_responder": "never meets the OMERACT-OARSI responder criterion; treated 215+ days "
    "ago, the 6-month visit in",
    "safety_adverse_event": "an adverse event recorded after the injection",
    "safety_flare": "pain 30+ points worse than before the injection within 60 days "
    "(post-injection flare); one patient declined the stiffness questions that day, so only "
    "pain is valid",
    "lapsed_overdue": "the latest closed timepoint window has no assessment",
    "lapsed_lost": "the latest two closed timepoint windows have no assessment",
    "booster_window": "a confirmed responder treated long enough ago that the expected "
    "durability (by KL grade, route, smoking) minus 60 days has passed, no booster yet",
    "due_this_week": "a timepoint due in the 7 days from the anchor, window open, not yet done",
    "no_baseline": "treated and followed up, but the pre-treatment form was never entered",
    "booster_story": "wear-off confirmed about a month before the anchor, banked doses left: "
    "the demo loader schedules a booster and records it",
    "reopen_story": "wear-off confirmed about a month before the anchor: the demo loader "
    "decides it and then reopens the decision",
}
# Flags that may be open on the patient's *other* knee (the index knee has only the expected
# one): the other knee, treated the same day, may be in its booster window too, and a patient
# who stopped answering stopped for both knees.
OTHER_KNEE_FLAGS = {
    "booster_window": {"booster_window"},
    "lapsed_overdue": {"overdue"},
    "lapsed_lost": {"lost_to_follow_up"},
}
# Archetypes whose index knee's current call is a confirmation call at the anchor.
CONFIRM_CALL = {"confirmation_due"}
# Days since the index treatment (upper bound further limited by the booster window). The
# archetypes whose latest visit is placed exactly (``PINNED``) and ``booster_window`` and
# ``due_this_week`` are timed in ``index_treatment``.
AGE_RANGES = {
    "durable_responder": (20, 1100),
    "partial_responder": (20, 800),
    "wearing_off": (300, 760),
    "returning_stiffness": (300, 700),  # two steady readings before the two stiff ones
    "non_responder": (215, 700),
    "safety_adverse_event": (20, 150),
    "safety_flare": (20, 150),
    "lapsed_overdue": (60, 900),
    "lapsed_lost": (120, 900),
    "no_baseline": (60, 700),
}
# The latest visit of these is placed on a given timepoint, this many days before the anchor
# (low, high), so that what follows it is certain: an unanswered confirmation call needs its
# window (14-28 days after the signal) closed with no visit due since; a confirmation call due
# now needs the signal a few days (or about two weeks) old; the story knees need their wear-off
# confirmed a month or so before the anchor, leaving the loader days to decide on.
PINNED = {
    "possible_wearing_off_unconfirmed": (("9m", "12m", "18m"), (33, 58)),
    "confirmation_due": (("9m", "12m", "18m"), (1, 5)),
    "booster_story": (("12m", "18m"), (50, 62)),
    "reopen_story": (("12m", "18m"), (50, 62)),
}
# confirmation_due patients with an odd variant: the signal is 15-19 days old, so its call's
# window is open today (the call is due, not upcoming).
CONFIRM_DUE_NOW_DAYS = (15, 19)
# Archetypes that never skip a scheduled assessment (the others skip about 4 % of them, but
# never in the latest two closed windows), so nothing but their course can decide their flag.
FULL_COMPLIANCE = {
    "wearing_off",
    "possible_wearing_off_unconfirmed",
    "possible_wearing_off_trend",
    "returning_stiffness",
    "confirmation_due",
    "non_responder",
    "safety_adverse_event",
    "safety_flare",
    "no_baseline",
    "booster_story",
    "reopen_story",
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
# A booster is judged against its chain's first baseline (rule set 2026.2), so a booster that
# never helped would still look like a responder: non-responders are never boosters; nor are the
# archetypes whose story is about the first treatment.
BOOSTER_ARCHETYPES = set(ARCHETYPE_WEIGHTS) - {
    "possible_wearing_off_trend",
    "safety_flare",
    "non_responder",
    "no_baseline",
    "booster_story",
    "reopen_story",
}
# The story patients and knees without a baseline keep to one knee, so their story is plain.
ONE_KNEE_ARCHETYPES = {"no_baseline", "booster_story", "reopen_story"}
BOOSTER_SHARE = 0.08
BOTH_KNEES_SHARE = 0.11
ABROAD_SHARE = 0.14
# How many of the latest closed windows a lapsed patient has missed.
LAPSED_WINDOWS = {"lapsed_overdue": 1, "lapsed_lost": 2}
