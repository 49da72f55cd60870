"""A knee's flags over time, for the patient screen and the review queue: every flag raised (open,
decided or cleared), its evidence sentence, each decision with its note, who and when (ended ones
too: amended or reopened, and why), why a cleared flag was cleared, and what raised a flag again
after a decision. A coordinator phoning a patient sees that she was referred."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from followup.services.context import Context
from followup.services.decide import DecisionView, decisions_for
from followup.store.bulk import driver_rows
from followup.store.engine import read_session
from followup.store.episodes import DateCache, as_datetime

HISTORY_LIMIT = 200  # a patient's flags over years; more is never shown at once


@dataclass(frozen=True)
class FlagEvent:
    """One flag in a knee's history."""

    id: int
    knee: str
    treatment_id: str
    kind: str
    level: str
    status: str
    raised_on: date
    summary: str
    created_at: datetime
    closed_at: datetime | None
    closed_reason: str | None
    reraised_after: dict[str, Any] | None
    decisions: tuple[DecisionView, ...]

    @property
    def decision(self) -> DecisionView | None:
        """The decision in force, if any."""
        return next((d for d in reversed(self.decisions) if d.status == "in_force"), None)


def flag_history(ctx: Context, patient_id: str, *, limit: int = HISTORY_LIMIT) -> list[FlagEvent]:
    """The patient's flags, newest first, with their decisions."""
    sql = (
        "SELECT id, knee, treatment_id, kind, level, status, raised_on, summary, created_at, "
        "closed_at, closed_reason, evidence FROM flag WHERE patient_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?"
    )
    dates = DateCache()
    with read_session(ctx.engine) as session:
        rows = list(driver_rows(session.connection(), sql, (patient_id, limit)))
    decisions = decisions_for(ctx, [r[0] for r in rows])
    events = []
    for r in rows:
        evidence = orjson.loads(r[11]) if r[11] else {}
        events.append(
            FlagEvent(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                dates[r[6]],
                r[7],
                as_datetime(r[8]),
                as_datetime(r[9]) if r[9] else None,
                r[10],
                evidence.get("reraised_after"),
                tuple(decisions.get(r[0], ())),
            )  # fmt: skip
        )
    return events
