"""Free text as staff would write it: adverse events, assessment notes and call notes.

Notes are keyed by the visit's phase (how the knee is doing) or the call's outcome, so that what a
coordinator reads next to a score matches the score.
"""

from __future__ import annotations

ADVERSE_EVENTS = (
    "swelling and warmth for 3 days after injection",
    "knee swollen and tight for 2 days, settled with ice",
    "aching at the injection site for 48 hours",
    "effusion a week after injection; aspirated in clinic, culture negative",
    "bruising and tenderness at the fat-harvest site",
    "low-grade fever the evening after the injection, resolved next day",
    "hot, swollen knee 4 days after injection; seen same day, no infection",
)
# by visit phase (see Visit.phase)
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
# by call outcome
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
