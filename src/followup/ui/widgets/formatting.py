"""How clinical values read on screen: one place for labels, so every screen says "no answer"
for ``no_answer`` and shows a missing score as a dash rather than a misleading 0."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.text import Text

from followup.domain.records import PRODUCT_NAMES

OUTCOME_LABELS = {
    "reached": "reached",
    "voicemail": "voicemail",
    "no_answer": "no answer",
    "wrong_number": "wrong number",
    "declined": "declined",
}
DECISION_SHORT = {
    "booster_scheduled": "Booster",
    "continue_monitoring": "Monitor",
    "refer": "Refer",
    "dismissed": "Dismiss",
}
DECISION_LABELS = {
    "booster_scheduled": "booster scheduled",
    "continue_monitoring": "continue monitoring",
    "refer": "refer",
    "dismissed": "dismissed",
}
LEVEL_STYLES = {"urgent": "bold red", "action": "bold yellow", "watch": "cyan"}
DASH = "–"


def words(code: str | None) -> str:
    """A stored code (``lost_to_follow_up``) as words."""
    return code.replace("_", " ") if code else DASH


def outcome(code: str | None) -> str:
    """A call outcome code in words ("no answer")."""
    return OUTCOME_LABELS.get(code or "", words(code))


def product(code: str | None) -> str:
    """The product's name, as the packet and every screen give it."""
    return PRODUCT_NAMES.get(code or "", words(code))


def level(code: str) -> Text:
    """A flag level coloured by how urgent it is."""
    return Text(code, style=LEVEL_STYLES.get(code, ""))


def score(value: float | None) -> str:
    """A 0-100 score; invalid (None) shows as a dash, never 0."""
    return DASH if value is None else f"{value:.0f}"


def number(value: Any, suffix: str = "") -> str:
    """A number without needless decimals, or a dash when not recorded."""
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def plural(n: int, noun: str) -> str:
    """``1 open flag``, ``2 open flags``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def yes_no(value: bool | None) -> str:
    """ "yes", "no", or a dash when not recorded."""
    return DASH if value is None else ("yes" if value else "no")


def call_name(timepoint: str) -> str:
    """What a call is for, in words: "confirmation call", "6m follow-up"."""
    return "confirmation call" if timepoint == "confirm" else f"{timepoint} follow-up"


def call_window(start: date, end: date, today: date) -> str:
    """A call's window as lists show it: ``02 Dec–16 Dec``."""
    return f"{short_day(start, today)}–{short_day(end, today)}"


def call_reason(reason: str | None) -> str | None:
    """Why a call is asked for, as the screens say it: the stored reason without the ", confirm"
    that the call sheet's reason ends with (the screens name the confirmation call already)."""
    return reason.removesuffix(", confirm") if reason else None


def day(value: date | None) -> str:
    """A date as YYYY-MM-DD, or a dash when none."""
    return value.isoformat() if value else DASH


def short_day(value: date | None, today: date) -> str:
    """``21 Nov`` in the current year, ``21 Nov 25`` in another."""
    if value is None:
        return DASH
    if value.year == today.year:
        return value.strftime("%d %b")
    return value.strftime("%d %b %y")


def moment(value: datetime | None) -> str:
    """A stored moment (UTC) on the clinic's clock: ``2026-11-21 15:00``."""
    if value is None:
        return DASH
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def clock(value: datetime | None) -> str:
    """A local time as weekday and hour ("Fri 21:11"), or a dash when none."""
    if value is None:
        return DASH
    return value.strftime("%a %H:%M")


def local_time(value: datetime | None, decent: bool, today: date | None = None) -> Text:
    """The patient's local time (with the weekday when it is another day there); outside
    calling hours it is marked, not just coloured."""
    if value is None:
        return Text("zone unknown", style="dim")
    label = value.strftime("%H:%M")
    if today is not None and value.date() != today:
        label += value.strftime(" %a")
    if decent:
        return Text(label)
    return Text(f"{label} ⚠ {'early' if value.hour < 12 else 'late'}", style="bold red")
