"""Call attempts: the contacts.csv rows a coordinator's phone log would hold for one patient.

Every assessment taken by phone is preceded by zero to two failed attempts; a missed window
(a confirmation call that rang out too) gets one failed attempt (two to four for a lapsed
patient) and a window still open at the anchor date up to two. Calls fall in the patient's own
working hours.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from .draws import pick
from .notes import CALL_NOTES
from .people import CLINIC_TZ
from .visits import Episode


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


class CallLog:
    """One patient's call attempts, drawn from the patient's own random sequence."""

    def __init__(
        self,
        rng: random.Random,
        anchor: date,
        patient_id: str,
        timezone: str,
        archetype: str,
        lapse: int,
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.patient_id = patient_id
        self.timezone = timezone
        self.arch = archetype
        self.lapse = lapse

    def rows(self, episodes: list[Episode]) -> list[list[object]]:
        """Call attempts around phone visits, in missed windows and for calls due now."""
        tz = self.timezone
        calls: list[tuple[datetime, str]] = []
        phone_days = sorted(
            {v.on for e in episodes for v in e.visits if v.source == "phone" and v.recorded}
        )
        for day in phone_days:
            calls += self._attempts_before(day, pick(self.rng, (0, 0, 0, 1, 1, 2)))
            calls.append((call_time(self.rng, day, tz, self.anchor), "reached"))
        # Both knees treated the same day share their windows: one set of attempts per window.
        missed = {(w.start, w.end) for ep in episodes for w in ep.missed}
        still_open = {w.start for ep in episodes for w in ep.open_windows}
        for start, end in sorted(missed):
            tries = self.rng.randint(2, 4) if self.lapse else 1
            calls += self._attempts_in(start, min(end, self.anchor), tries)
        for start in sorted(still_open):
            calls += self._attempts_in(start, self.anchor, self.rng.choice((0, 1, 2)))
        # One call per minute: attempts moved off the anchor day can land on the same time.
        calls = sorted(dict(sorted(set(calls), reverse=True)).items())
        return [
            [self.patient_id, when.isoformat(), outcome, self._call_note(outcome)]
            for when, outcome in calls
        ]

    def _failed_outcome(self) -> str:
        """How an unsuccessful attempt went; patients lost to follow-up decline more often."""
        r = self.rng.random()
        if r < 0.03:
            return "wrong_number"
        if r < 0.07 or (self.arch == "lapsed_lost" and r < 0.15):
            return "declined"
        return "voicemail" if r < 0.55 else "no_answer"

    def _attempts_before(self, day: date, count: int) -> list[tuple[datetime, str]]:
        """``count`` failed attempts on different days of the four before ``day``."""
        out = []
        for back in sorted(self.rng.sample(range(1, 5), count)):
            when = call_time(self.rng, day - timedelta(days=back), self.timezone, self.anchor)
            out.append((when, self._failed_outcome()))
        return out

    def _attempts_in(self, start: date, end: date, count: int) -> list[tuple[datetime, str]]:
        """Up to ``count`` failed attempts on different days from ``start`` to ``end``."""
        span = (end - start).days
        if span < 0 or count == 0:
            return []
        days = sorted(self.rng.sample(range(span + 1), min(count, span + 1)))
        return [
            (
                call_time(self.rng, start + timedelta(days=d), self.timezone, self.anchor),
                self._failed_outcome(),
            )
            for d in days
        ]

    def _call_note(self, outcome: str) -> str:
        note = pick(self.rng, CALL_NOTES[outcome])
        if outcome == "reached" and self.timezone != CLINIC_TZ and self.rng.random() < 0.3:
            note += f" (patient's local time, {self.timezone})"
        return note
