"""The events of the REDCap project (``events.csv``, ``instrument_designations.csv``,
``repeating_instruments.csv``): baseline, one per timepoint of the schedule, unscheduled, in one
arm, under the unique event names REDCap will give them."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from hashlib import md5
from typing import IO

from followup.services.exchange import BASELINE, UNSCHEDULED, FollowUpEvent
from followup.services.importing.redcap import FORM

EVENT_COLUMNS = (
    "event_name", "arm_num", "day_offset", "offset_min", "offset_max", "unique_event_name",
    "custom_event_label",
)  # fmt: skip
DESIGNATION_COLUMNS = ("arm_num", "unique_event_name", "form")
REPEATING_COLUMNS = ("event_name", "form_name", "custom_form_label")
ARM = 1


def event_name(event: FollowUpEvent) -> str:
    """The event's name as a REDCap user sees it (REDCap allows 30 characters)."""
    if event.label in (BASELINE, UNSCHEDULED):
        return event.label.capitalize()
    return f"Follow-up {event.label}"[:30]


def unique_event_names(names: Iterable[str], arm: int = ARM) -> list[str]:
    """The unique event names REDCap gives events of these names, in this order, in one arm:
    letters, digits, underscores and spaces kept, spaces as underscores, the first 18 characters,
    lower case, no underscores at either end, ``_arm_N`` appended, and a letter (b, c...) after
    a name already given. (REDCap's own rule, so the designations file can name the events.)"""
    given: list[str] = []
    unique = []
    for name in names:
        text = re.sub(r"[^0-9a-z_ ]", "", name.strip(), flags=re.IGNORECASE)
        text = text.replace(" ", "_")[:18].lower().strip("_")
        if not text:
            text = md5(name.strip().encode()).hexdigest()[:10]
        text += f"_arm_{arm}"
        count = given.count(text)
        suffix = ""
        if 0 < count < 26:
            suffix = chr(97 + count)
        elif 26 <= count < 702:
            suffix = chr(96 + count // 26) + chr(97 + count % 26)
        elif count >= 702:
            suffix = "??"
        given.append(text)
        unique.append(text + suffix)
    return unique


def event_table(events: list[FollowUpEvent]) -> dict[str, str]:
    """Each event label's unique event name."""
    names = unique_event_names(event_name(e) for e in events)
    return {e.label: name for e, name in zip(events, names, strict=True)}


def write_events(fh: IO[str], events: list[FollowUpEvent]) -> None:
    """``events.csv``: the arm's events with REDCap's day offsets and windows."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    unique = event_table(events)
    for e in events:
        writer.writerow(
            [event_name(e), ARM, e.day_offset, e.days_before, e.days_after, unique[e.label], ""]
        )


def write_designations(fh: IO[str], events: list[FollowUpEvent]) -> None:
    """``instrument_designations.csv``: the form in every event."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(DESIGNATION_COLUMNS)
    for unique in event_table(events).values():
        writer.writerow([ARM, unique, FORM])


def write_repeating(fh: IO[str], events: list[FollowUpEvent]) -> None:
    """``repeating_instruments.csv``: the form repeats in every event."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(REPEATING_COLUMNS)
    for unique in event_table(events).values():
        writer.writerow([unique, FORM, ""])
